"""The logged-in user's unread notifications, for the top bar."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from promisekeeper.organisation.permissions import can_quote, is_operations
from promisekeeper.sales.selectors import notification_list_unread

register = template.Library()

SHOWN = 10


@register.inclusion_tag("sales/_notifications.html", takes_context=True)
def notification_menu(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications": [], "request": request}
    return {"notifications": list(notification_list_unread(user=user)[:SHOWN]), "request": request}


@register.simple_tag(takes_context=True)
def sales_nav(context: template.Context) -> SafeString:
    """Quote for sales and operations (both may ask), Exceptions for operations."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return format_html("")
    links = []
    if can_quote(user):
        links.append((reverse("promising:quote"), "Quote"))
    if is_operations(user):
        links.append((reverse("promising:exceptions"), "Exceptions"))
    return format_html_join("\n", '<a href="{}">{}</a>', links)
