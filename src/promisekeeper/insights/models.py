"""Insights' one table: the secret behind each user's calendar feed links."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact


class CalendarFeedToken(models.Model):
    """A user's calendar feed secret, stored only as its SHA-256 digest.

    Calendar apps cannot sign in, so a feed URL carries this secret instead of a session; the
    feed shows what its user may see, read with the user's rights at the time of the request.
    Written only by ``insights.feeds``: issuing a new one replaces the old (whose links stop
    working), revoking deletes it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_token"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("digest"), 64), name="calendar_feed_token_digest_length"
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed token of {self.user}"
