"""Check-ins: when a project's cadence calls for them (on working days only), and marking
them done.

Every ``cadence_days`` after a project's release, up to its delivery (or promised) date, there
is a customer check-in on the first working day from that day, and a sales–operations
check-in on the working day before it, so sales and operations agree on what to tell the
customer. Weekends, public holidays and company closures are never working days.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from promisekeeper.delivery.models import CheckIn, Project
from promisekeeper.organisation.permissions import (
    ADMIN,
    CHECKIN_REFUSAL,
    OPERATIONS,
    SALES,
    AnyUser,
    is_operations,
    is_sales,
    may_complete_checkin,
)
from promisekeeper.organisation.working_days import WorkingDays, working_days_get

# Projects whose check-ins are still to come: work promised and not yet handed over.
ACTIVE = (Project.Status.COMMITTED, Project.Status.IN_DELIVERY)


@dataclass(frozen=True)
class CheckInSlot:
    kind: str
    due_date: datetime.date


def checkin_slots(
    *,
    start: datetime.date,
    end: datetime.date,
    cadence_days: int,
    working: WorkingDays,
) -> list[CheckInSlot]:
    """The check-ins from ``start`` (exclusive) to ``end`` (inclusive) every ``cadence_days``,
    each on a working day; a nominal day with no working day left before ``end`` moves back
    to the last working day after ``start``, and none is scheduled if there is none."""
    if cadence_days <= 0 or end <= start:
        return []
    first = start + datetime.timedelta(days=1)
    slots: dict[tuple[str, datetime.date], CheckInSlot] = {}
    nominal = start + datetime.timedelta(days=cadence_days)
    while nominal <= end:
        day = working.on_or_after(nominal, last=end) or working.on_or_before(nominal, first=first)
        if day is not None:
            before = working.on_or_before(day - datetime.timedelta(days=1), first=first)
            for slot in (
                CheckInSlot(CheckIn.Kind.INTERNAL, before or day),
                CheckInSlot(CheckIn.Kind.CUSTOMER, day),
            ):
                slots[(slot.kind, slot.due_date)] = slot
        nominal += datetime.timedelta(days=cadence_days)
    return sorted(slots.values(), key=lambda s: (s.due_date, s.kind))


def _span(project: Project) -> tuple[datetime.date, datetime.date] | None:
    end = project.delivered_date or project.promised_date
    return (project.release_date, end) if end else None


@transaction.atomic
def checkins_schedule(*, project: Project, today: datetime.date) -> int:
    """Make the project's check-ins from today on match its cadence and working days; done
    and past ones are kept as they are. Returns how many were added or removed.

    The customer check-in's owner is the project's sales owner, and so is the internal one's
    (operations may mark either done)."""
    wanted: set[tuple[str, datetime.date]] = set()
    span = _span(project)
    if project.status in ACTIVE and span is not None:
        start, end = span
        working = working_days_get(start=start, end=end + datetime.timedelta(days=1))
        slots = checkin_slots(
            start=start,
            end=end,
            cadence_days=project.sop_version.checkin_cadence_days,
            working=working,
        )
        wanted = {(s.kind, s.due_date) for s in slots if s.due_date >= today}
    future = CheckIn.objects.filter(project=project, due_date__gte=today, done_at__isnull=True)
    have = set(future.values_list("kind", "due_date"))
    stale = have - wanted
    for kind, day in stale:
        future.filter(kind=kind, due_date=day).delete()
    done = set(
        CheckIn.objects.filter(project=project, done_at__isnull=False).values_list(
            "kind", "due_date"
        )
    )
    added = sorted(wanted - have - done)
    for kind, day in added:
        checkin = CheckIn(project=project, kind=kind, due_date=day, owner=project.sales_owner)
        checkin.full_clean()
        checkin.save()
    return len(stale) + len(added)


def checkins_schedule_all(*, today: datetime.date) -> int:
    """Schedule every project's check-ins (active ones get theirs, others lose future ones)."""
    changed = 0
    pending = Q(checkins__due_date__gte=today, checkins__done_at__isnull=True)
    projects = Project.objects.filter(Q(status__in=ACTIVE) | pending).distinct()
    for project in projects.select_related("sop_version", "sales_owner").order_by("pk"):
        changed += checkins_schedule(project=project, today=today)
    return changed


MAX_NOTES = 4000


@transaction.atomic
def checkin_complete(*, user: AnyUser, checkin_id: int, notes: str) -> CheckIn:
    """Mark a check-in done with what was said; only its owner or operations, once."""
    checkin = CheckIn.objects.select_for_update().get(pk=checkin_id)
    if not may_complete_checkin(user, checkin.owner_id):
        raise PermissionDenied(CHECKIN_REFUSAL)
    notes = notes.strip()
    if not notes:
        raise ValidationError({"notes": "Write down what was discussed."})
    if len(notes) > MAX_NOTES:
        raise ValidationError({"notes": f"Notes are limited to {MAX_NOTES} characters."})
    if checkin.done_at is not None:
        raise ValidationError({"notes": "This check-in is already marked done."})
    checkin.done_at = timezone.now()
    checkin.done_by = user if user.is_authenticated else None  # type: ignore[assignment]
    checkin.notes = notes
    checkin.full_clean()
    checkin.save()
    return checkin


OWNER_REFUSAL = "Only operations can hand a check-in to someone else."


@transaction.atomic
def checkin_owner_set(*, user: AnyUser, checkin_id: int, owner: AbstractBaseUser) -> CheckIn:
    """Hand an open check-in to another seller or operator; operations only."""
    if not is_operations(user):
        raise PermissionDenied(OWNER_REFUSAL)
    checkin = CheckIn.objects.select_for_update().get(pk=checkin_id)
    if checkin.done_at is not None:
        raise ValidationError({"owner": "This check-in is already done."})
    if not (is_sales(owner) or is_operations(owner)):
        raise ValidationError({"owner": "The owner must be in sales or operations."})
    checkin.owner = owner  # type: ignore[assignment]
    checkin.full_clean()
    checkin.save(update_fields=["owner"])
    return checkin


def checkin_owner_choices() -> QuerySet[User]:
    """Who may own a check-in: active users in sales or operations (admins are in both)."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=[SALES, OPERATIONS, ADMIN]) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


def checkins_visible(*, user: AnyUser) -> QuerySet[CheckIn]:
    """The check-ins a user deals with: their own; operations see every one."""
    rows = CheckIn.objects.select_related("project__customer", "owner", "done_by")
    if is_operations(user):
        return rows
    return rows.filter(owner_id=user.pk or 0)


def checkins_missed(*, user: AnyUser, today: datetime.date) -> QuerySet[CheckIn]:
    """Check-ins before today not marked done, of those the user deals with."""
    return checkins_visible(user=user).filter(due_date__lt=today, done_at__isnull=True)
