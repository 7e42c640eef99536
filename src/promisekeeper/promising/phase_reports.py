"""Reporting a delivery phase: its state, actual dates and the hours left, as the people
doing it (or operations) say. Marking a phase done gives back what is left of its reservation.

The release changes capacity, so the report runs under the capacity lock (the ledger row,
``locks.ledger_lock``) in one durable transaction; the ledger triggers then tell every
process's plan cache that the plan changed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min

from promisekeeper.delivery.models import Project, ProjectAssignment, ProjectPhase, TimesheetEntry
from promisekeeper.people.models import Person
from promisekeeper.promising.locks import ledger_lock, with_retries
from promisekeeper.promising.permissions import may_report_phases
from promisekeeper.promising.reservations import capacity_release

User = AuthUser | AnonymousUser
State = ProjectPhase.State


@dataclass(frozen=True)
class PhaseReport:
    """What someone says of a phase. Blank dates are taken from its timesheet entries (the
    first and last day logged) or, failing those, today; ``remaining_hours`` None: unknown."""

    state: State
    actual_start: datetime.date | None = None
    actual_end: datetime.date | None = None
    remaining_hours: Decimal | None = None


@dataclass(frozen=True)
class PhaseReported:
    phase: ProjectPhase
    released_minutes: int


def on_project(user: User, project: Project) -> bool:
    """Whether the user is a person on the project: assigned to it, or with hours logged on it."""
    if not user.is_authenticated:
        return False
    people = Person.objects.filter(user_id=user.pk)
    return (
        ProjectAssignment.objects.filter(project=project, person__in=people).exists()
        or TimesheetEntry.objects.filter(phase__project=project, person__in=people).exists()
    )


def phase_report(
    *, user: User, phase_pk: int, report: PhaseReport, today: datetime.date
) -> PhaseReported:
    """Set the phase's state, dates and hours left (ValidationError naming the field, nothing
    written); done means fully done, and what is left of its reservation from today on is
    released."""

    def attempt() -> PhaseReported:
        with transaction.atomic(durable=True):
            ledger_lock()
            phase = (
                ProjectPhase.objects.select_for_update().select_related("project").get(pk=phase_pk)
            )
            may_report_phases(user, on_project=on_project(user, phase.project)).require()
            _apply(phase, report, today)
            phase.full_clean(exclude=["project", "sop_phase", "role"], validate_unique=False)
            phase.save()
            released = 0
            if phase.state == State.DONE:
                released = capacity_release(
                    project=phase.project, phase_key=phase.key, from_day=today
                )
            return PhaseReported(phase, released)

    return with_retries(attempt)


def _logged_days(phase: ProjectPhase) -> tuple[datetime.date | None, datetime.date | None]:
    days = TimesheetEntry.objects.filter(phase=phase).aggregate(first=Min("day"), last=Max("day"))
    return days["first"], days["last"]


def _apply(phase: ProjectPhase, report: PhaseReport, today: datetime.date) -> None:
    first, last = _logged_days(phase)
    if report.remaining_hours is not None and report.remaining_hours < 0:
        raise ValidationError({"remaining_hours": "The hours left cannot be negative."})
    for name, day in (("actual_start", report.actual_start), ("actual_end", report.actual_end)):
        if day is not None and day > today:
            raise ValidationError({name: "An actual date cannot be in the future."})
    phase.state = report.state
    if report.state == State.NOT_STARTED:
        if first is not None:
            raise ValidationError({"state": "Hours are logged on this phase: it has started."})
        for name, day in (("actual_start", report.actual_start), ("actual_end", report.actual_end)):
            if day is not None:
                raise ValidationError({name: "A phase not started has no actual dates."})
        phase.actual_start = phase.actual_end = None
        phase.remaining_hours = report.remaining_hours
        return
    phase.actual_start = report.actual_start or phase.actual_start or first or today
    if report.state == State.IN_PROGRESS:
        if report.actual_end is not None:
            raise ValidationError({"actual_end": "A phase in progress has no end date yet."})
        if phase.progress >= 1 and report.remaining_hours is None:
            # Its progress says nothing is left; only the hours left can say what is.
            raise ValidationError(
                {"remaining_hours": "Say how many hours are left to reopen a finished phase."}
            )
        phase.actual_end = None
        phase.remaining_hours = report.remaining_hours
        return
    phase.actual_end = report.actual_end or last or today
    if phase.actual_end < phase.actual_start:
        raise ValidationError({"actual_end": "The phase cannot end before it started."})
    phase.progress = Decimal(1)
    phase.remaining_hours = None
