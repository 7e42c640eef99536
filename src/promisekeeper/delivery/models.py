"""Work the business has committed to and is delivering."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from promisekeeper.catalog.models import SopPhase, SopVersion
from promisekeeper.people.models import Person, Role
from promisekeeper.sales.models import Customer, Deal


class Project(models.Model):
    class Status(models.TextChoices):
        COMMITTED = "committed", "Committed"
        IN_DELIVERY = "in_delivery", "In delivery"
        HELD = "held", "Held"
        TENTATIVE = "tentative", "Tentative"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    deal = models.OneToOneField(
        Deal, null=True, blank=True, on_delete=models.PROTECT, related_name="project"
    )
    name = models.CharField(max_length=200)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="projects")
    sop_version = models.ForeignKey(SopVersion, on_delete=models.PROTECT, related_name="projects")
    quantity = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.COMMITTED)
    release_date = models.DateField(help_text="Earliest day work may start.")
    promised_date = models.DateField(null=True, blank=True)
    priority = models.IntegerField(default=0, help_text="Higher goes first when capacity is short.")
    delivered_date = models.DateField(null=True, blank=True)
    sales_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["promised_date", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="project_quantity_positive"),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_date__isnull=False),
                name="project_delivered_has_date",
            ),
            models.CheckConstraint(
                condition=Q(delivered_date__isnull=True) | Q(delivered_date__gte=F("release_date")),
                name="project_delivered_after_release",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="project_status_idx")]

    def __str__(self) -> str:
        return self.name


class ProjectPhase(models.Model):
    """A project's copy of an SOP phase, with its own estimate, actuals and progress."""

    class State(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="phases")
    sop_phase = models.ForeignKey(
        SopPhase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=6, choices=SopPhase.Kind.choices)
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effort_estimated_hours = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal(0))
    effort_actual_hours = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal(0))
    progress = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal(0))
    fixed_days = models.PositiveIntegerField(default=0)
    crew = models.JSONField(
        default=list, blank=True, help_text='[{"role": "installer", "count": 2}]'
    )
    hours_per_day = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal(8))
    actual_start = models.DateField(null=True, blank=True)
    actual_end = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.NOT_STARTED)
    remaining_hours = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Hours still to do, as the person doing it estimates them (blank: unknown).",
    )
    logged_minutes_consumed = models.PositiveIntegerField(
        default=0,
        help_text="The logged minutes already taken off this phase's reservation; set to the "
        "minutes logged whenever its work is booked again (that booking places the work left).",
    )

    class Meta:
        ordering = ["project", "order"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="project_phase_unique_key"),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=1), name="project_phase_progress_0_1"
            ),
            models.CheckConstraint(
                condition=Q(effort_estimated_hours__gte=0, effort_actual_hours__gte=0),
                name="project_phase_hours_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=False, actual_end__gte=F("actual_start")),
                name="project_phase_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(remaining_hours__isnull=True) | Q(remaining_hours__gte=0),
                name="project_phase_remaining_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["not_started", "in_progress", "done"]),
                name="project_phase_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.name}"


class ProjectForecast(models.Model):
    """A promised project's latest forecast: when it will finish, whether that keeps the
    promise, and why, as the last risk check found it.

    Written only by ``promising.alerts``; the state is kept so that a check can tell a
    change of state (which is announced) from the same state again (which is not). Not a
    table the planning snapshot reads, so writing it never bumps the capacity ledger.
    """

    class State(models.TextChoices):
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        LATE = "late", "Late"

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="forecast")
    state = models.CharField(max_length=8, choices=State.choices)
    finish_date = models.DateField(null=True, blank=True, help_text="Blank: beyond the horizon.")
    promised_date = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)
    checked_at = models.DateTimeField()
    changed_at = models.DateTimeField(help_text="When the state last changed.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["on_track", "at_risk", "late"]),
                name="project_forecast_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.get_state_display()}"


class ProjectAssignment(models.Model):
    """Optional: a person named to a project (the engine may still plan others)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assignments")
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "person"], name="assignment_unique_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.project}"


class ThankYouNote(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="thank_you_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Thanks on {self.project}"


class TimesheetEntry(models.Model):
    """Time a person logged on one day on one project phase, in whole minutes.

    Written only by ``delivery.timesheets`` (the grid, the CSV import and the API), which also
    keeps the phase's ``effort_actual_hours`` equal to the sum of its entries. One row per
    person, day and phase, so importing the same hours again changes nothing.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="timesheet_entries")
    phase = models.ForeignKey(
        ProjectPhase, on_delete=models.PROTECT, related_name="timesheet_entries"
    )
    day = models.DateField()
    minutes = models.PositiveIntegerField(help_text="Logged time in whole minutes.")
    note = models.CharField(max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "timesheet entries"
        ordering = ["day", "person", "phase"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "day", "phase"], name="timesheet_entry_unique_person_day_phase"
            ),
            models.CheckConstraint(
                condition=Q(minutes__gt=0, minutes__lte=24 * 60),
                name="timesheet_entry_minutes_1_to_24h",
            ),
        ]
        indexes = [models.Index(fields=["person", "day"], name="timesheet_person_day")]

    def __str__(self) -> str:
        return f"{self.minutes} min of {self.person} on {self.day}"


class TimesheetImport(models.Model):
    """An uploaded time-tracker CSV: checked (dry run) as often as wanted, applied once."""

    file_name = models.CharField(max_length=255)
    content = models.TextField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.uploaded_at:%Y-%m-%d %H:%M})"


class CheckIn(models.Model):
    """A check-in a project's cadence calls for, on a working day, with whoever owns it.

    Written only by ``delivery.checkins``: scheduled from the SOP's cadence, then marked done
    with notes once held. One per project, kind and day.
    """

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer check-in"
        INTERNAL = "internal", "Sales–operations check-in"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="checkins")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    due_date = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True, max_length=4000)

    class Meta:
        ordering = ["due_date", "kind", "project"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "due_date"], name="checkin_unique_project_kind_day"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["customer", "internal"]), name="checkin_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(done_at__isnull=False) | Q(notes=""),
                name="checkin_notes_only_when_done",
            ),
        ]
        indexes = [models.Index(fields=["due_date"], name="checkin_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.project} on {self.due_date}"
