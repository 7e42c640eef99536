"""Template filters over the read rules, so the menu shows only links the user may follow."""

from __future__ import annotations

from django import template

from promisekeeper.organisation.permissions import AnyUser, Area, is_admin, may_read

register = template.Library()


@register.filter(name="may_read")
def may_read_filter(user: AnyUser, area: str) -> bool:
    """``{% if user|may_read:"people" %}``: the read rule for that area."""
    return may_read(user, Area(area))


@register.filter(name="is_admin")
def is_admin_filter(user: AnyUser) -> bool:
    """``{% if user|is_admin %}``: whether the user may open the admin."""
    return is_admin(user)
