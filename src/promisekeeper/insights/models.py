"""Insights' tables: the secret behind each user's calendar feed links, and the history of
each promised project's forecast state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from promisekeeper.delivery.models import Project, ProjectForecast


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


class RiskStateChange(models.Model):
    """One change of a promised project's forecast state (on track, at risk, late), kept so
    that "was this promise ever at risk?" has an answer after the state moved on.

    Written only by ``insights.alerts`` with the state it stores on ``ProjectForecast``;
    ``before`` is blank at a project's first check.
    """

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="risk_state_changes"
    )
    before = models.CharField(max_length=8, choices=ProjectForecast.State.choices, blank=True)
    after = models.CharField(max_length=8, choices=ProjectForecast.State.choices)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(after__in=["on_track", "at_risk", "late"]),
                name="risk_state_change_after_valid",
            ),
        ]
        indexes = [models.Index(fields=["project", "after"], name="risk_change_project_after")]

    def __str__(self) -> str:
        return f"{self.project}: {self.before or 'first check'} → {self.after}"
