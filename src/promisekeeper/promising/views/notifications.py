"""A user's notifications: the page with all of them and the daily digest choice, and
marking them read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from promisekeeper.organisation.http import HtmxHttpRequest
from promisekeeper.organisation.input import id_param
from promisekeeper.sales.digests import digest_daily_get, digest_daily_set
from promisekeeper.sales.models import Notification
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


PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "POST"])
def notifications_page(request: HtmxHttpRequest) -> HttpResponse:
    """The user's latest notifications, and whether they get a daily digest e-mail of the
    unread ones (a POST with ``daily`` ticked turns it on, unticked off)."""
    if request.method == "POST":
        ticked = request.POST.get("daily")
        if ticked not in (None, "on"):
            return HttpResponseBadRequest("daily: tick the box or leave it empty")
        daily = ticked == "on"
        digest_daily_set(user=request.user, daily=daily)
        messages.success(
            request,
            "You will get a daily e-mail of your unread notifications."
            if daily
            else "No more daily e-mail: your notifications stay here.",
        )
        return redirect("promising:notifications")
    user = request.user
    latest = Notification.objects.filter(user=user).select_related("deal")  # type: ignore[misc]
    context = {
        "latest": list(latest[:PAGE_SIZE]),
        "daily": digest_daily_get(user=user),
        "has_email": bool(getattr(user, "email", "")),
    }
    return render(request, "promising/notifications.html", context)
