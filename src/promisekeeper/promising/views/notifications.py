"""Marking a user's notifications read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from promisekeeper.organisation.http import HtmxHttpRequest
from promisekeeper.organisation.input import id_param
from promisekeeper.sales.selectors import notification_list_unread
from promisekeeper.sales.services import notification_mark_read


@login_required
@require_POST
def notifications_read(request: HtmxHttpRequest) -> HttpResponse:
    """Mark the user's notifications read (all, or the one named by ``pk``)."""
    notification_mark_read(user=request.user, pk=id_param(request.POST.get("pk"), "pk"))
    if request.htmx:
        return render(
            request,
            "sales/_notifications.html",
            {"notifications": list(notification_list_unread(user=request.user)[:10])},
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("insights:dashboard")
    return redirect(target)
