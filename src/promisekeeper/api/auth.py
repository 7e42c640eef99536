"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from promisekeeper.api.models import ApiToken
from promisekeeper.api.selectors import api_token_get_active

LAST_USED_EVERY = datetime.timedelta(minutes=1)


class TokenAuth(HttpBearer):
    """A request carries ``Authorization: Bearer <key>`` of an active user's token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_get_active(key=token)
        if api_token is None:
            return None
        api_token_mark_used(token=api_token, now=timezone.now())
        request.user = api_token.user
        # request.auth is the token, so throttling counts per token (errors.TokenRateThrottle).
        return api_token


def api_token_mark_used(*, token: ApiToken, now: datetime.datetime) -> None:
    """Set ``token.last_used`` to ``now``, unless it was set less than a minute before.

    A burst of requests finds a recent ``last_used`` on the token it loaded and writes
    nothing; the UPDATE repeats the condition, so requests racing past that check write once.
    """
    due = now - LAST_USED_EVERY
    if token.last_used is not None and token.last_used > due:
        return
    written = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used__isnull=True) | Q(last_used__lte=due))
        .update(last_used=now)
    )
    if written:
        token.last_used = now
