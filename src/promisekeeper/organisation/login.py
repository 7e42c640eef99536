"""Login lock-out (django-axes): the client's address, and the page a locked-out login sees."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, trusting ``X-Forwarded-For`` only from PROXY_COUNT proxies.

    Behind the HTTPS proxy every request comes from the proxy's address; counting that as
    the client would lock everyone out together.
    """
    count: int = settings.PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(count, len(hops))]
    address: str | None = request.META.get("REMOTE_ADDR")
    return address


def lockout_response(request: HttpRequest, response: Any, credentials: Any) -> HttpResponse:
    """The login page again with why and for how long, as 429 Too Many Requests."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request),
            "locked_out": (
                f"Too many failed logins for this account or from this address. "
                f"Try again in {minutes} minutes, or ask an administrator to unlock it."
            ),
        },
        status=429,
    )
