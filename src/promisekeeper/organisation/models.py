"""The business itself: its calendar, its planning policy and the global capacity ledger."""

from __future__ import annotations

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


def validate_weekdays(value: object) -> None:
    if (
        not isinstance(value, list)
        or not value
        or any(
            not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6 for day in value
        )
        or len(set(value)) != len(value)
    ):
        raise ValidationError(
            "Working weekdays must be distinct integers 0 (Monday) to 6 (Sunday)."
        )


def default_working_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class QuoteConfidence(models.TextChoices):
    P50 = "P50", "P50 (coin flip)"
    P80 = "P80", "P80 (usual)"
    P95 = "P95", "P95 (safe)"


class OrganisationSettings(models.Model):
    """Singleton (pk=1): how this business plans."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    country = models.CharField(max_length=2, default="GB", help_text="ISO 3166 code for holidays.")
    subdivision = models.CharField(max_length=10, blank=True, help_text="e.g. ENG, BY, CA.")
    working_weekdays = models.JSONField(
        default=default_working_weekdays, validators=[validate_weekdays]
    )
    planning_horizon_days = models.PositiveIntegerField(
        default=548, validators=[MinValueValidator(1), MaxValueValidator(1096)]
    )
    quote_confidence = models.CharField(
        max_length=3, choices=QuoteConfidence.choices, default=QuoteConfidence.P80
    )
    risk_slack_threshold_days = models.PositiveIntegerField(default=5)
    internal_checkin_time = models.TimeField(
        default=datetime.time(9, 0),
        help_text="When sales and operations meet for a project's check-in (local time), so "
        "the calendar feeds can book it.",
    )
    internal_checkin_minutes = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(480)],
        help_text="How long that check-in lasts, in minutes.",
    )

    class Meta:
        verbose_name = "organisation settings"
        verbose_name_plural = "organisation settings"
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="organisation_single_row"),
            models.CheckConstraint(
                condition=Q(planning_horizon_days__gte=1, planning_horizon_days__lte=1096),
                name="organisation_horizon_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CompanyClosure(models.Model):
    """Days when nobody works (e.g. between Christmas and New Year)."""

    name = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="closure_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_date} – {self.end_date})"


class Ledger(models.Model):
    """Single row whose version changes on every capacity-affecting write.

    Database triggers (migration 0003) bump it on every insert, update and delete of a table
    the plan reads, whoever writes (services, the admin, raw SQL); no code bumps it by hand.

    Promise commits lock this row (select_for_update) as the global capacity lock, and
    caches of the portfolio snapshot are keyed by its version.
    """

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    version = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="ledger_single_row"),
            models.CheckConstraint(condition=Q(version__gte=0), name="ledger_version_non_negative"),
        ]

    def __str__(self) -> str:
        return f"Ledger v{self.version}"


class PeriodicJobRun(models.Model):
    """One slot of a periodic job that a scheduler enqueued (``promisekeeper.organisation.jobs``).

    The unique (job, slot) pair is what makes running two schedulers safe: whichever inserts
    the row first enqueues the task, in the same transaction; the other's insert fails.
    """

    job = models.CharField(max_length=100)
    slot = models.DateTimeField(help_text="When the slot began (UTC).")
    task_result_id = models.CharField(max_length=64, help_text="The enqueued django-tasks result.")
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-slot", "job"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="periodic_job_run_once_per_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.job} at {self.slot:%Y-%m-%d %H:%M}"
