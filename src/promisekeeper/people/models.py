"""Who can do the work: people, their roles, skills, hours and time off."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

WEEKDAY_FIELDS = (
    "hours_mon",
    "hours_tue",
    "hours_wed",
    "hours_thu",
    "hours_fri",
    "hours_sat",
    "hours_sun",
)


def _hours_field(default: str) -> models.DecimalField:
    return models.DecimalField(max_digits=4, decimal_places=2, default=Decimal(default))


class Role(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """Someone whose hours count as delivery capacity."""

    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    hours_mon = _hours_field("8")
    hours_tue = _hours_field("8")
    hours_wed = _hours_field("8")
    hours_thu = _hours_field("8")
    hours_fri = _hours_field("8")
    hours_sat = _hours_field("0")
    hours_sun = _hours_field("0")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    delivery_share = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        help_text="Share of working hours available for delivery work (0–1).",
    )
    cost_rate = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="person_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(delivery_share__gte=0, delivery_share__lte=1),
                name="person_delivery_share_0_1",
            ),
            models.CheckConstraint(
                condition=Q(cost_rate__isnull=True) | Q(cost_rate__gte=0),
                name="person_cost_rate_non_negative",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{day}__gte": 0, f"{day}__lte": 24}),
                    name=f"person_{day}_0_24",
                )
                for day in WEEKDAY_FIELDS
            ],
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weekly_hours(self) -> list[Decimal]:
        """Contracted hours Monday..Sunday."""
        return [getattr(self, day) for day in WEEKDAY_FIELDS]


class Skill(models.Model):
    """A person can work in a role at an efficiency (1 = normal speed)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="skills")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="skills")
    efficiency = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("1.00"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "role"], name="skill_unique_person_role"),
            models.CheckConstraint(
                condition=Q(efficiency__gt=0, efficiency__lte=Decimal("1.5")),
                name="skill_efficiency_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} as {self.role} ({self.efficiency})"


class TimeOff(models.Model):
    class Kind(models.TextChoices):
        VACATION = "vacation", "Vacation"
        SICK = "sick", "Sick"
        TRAINING = "training", "Training"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        APPROVED = "approved", "Approved"
        TENTATIVE = "tentative", "Tentative"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="time_off")
    start_date = models.DateField()
    end_date = models.DateField()
    hours_per_day = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Hours off per day; empty means whole days.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.VACATION)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPROVED)

    class Meta:
        verbose_name_plural = "time off"
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="time_off_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_day__isnull=True)
                | Q(hours_per_day__gt=0, hours_per_day__lte=24),
                name="time_off_hours_per_day_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.kind} {self.start_date} – {self.end_date}"
