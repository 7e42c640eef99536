"""Check-ins: when a project's cadence calls for them (on working days only), and marking
them done.

Every ``cadence_days`` after a project's release, up to its delivery (or promised) date, there
is a customer check-in on the first working day from that day. Sales and operations meet on
their own cadence when the SOP sets one (``internal_checkin_cadence_days``), else on the
working day before each customer check-in, so they agree on what to tell the customer; the
sales owner owns it and operations attend, at the organisation's set time
(``internal_checkin_time``). Weekends, public holidays and company closures are never
working days.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

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
from promisekeeper.organisation.selectors import organisation_settings_get
from promisekeeper.organisation.working_days import WorkingDays, working_days_get

# Projects whose check-ins are still to come: work promised and not yet handed over.
ACTIVE = (Project.Status.COMMITTED, Project.Status.IN_DELIVERY)


@dataclass(frozen=True)
class InternalMeeting:
    """When sales and operations meet for a check-in: the time of day and how long, in the
    organisation's time zone."""

    time: datetime.time
    minutes: int
    time_zone: str

    def starts(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, self.time, tzinfo=ZoneInfo(self.time_zone))

    def ends(self, day: datetime.date) -> datetime.datetime:
        return self.starts(day) + datetime.timedelta(minutes=self.minutes)


def internal_meeting_get() -> InternalMeeting:
    """The organisation's set time for sales–operations check-ins (09:00 for 30 minutes,
    in UTC, before it is set up)."""
    org = organisation_settings_get()
    if org is None:
        return InternalMeeting(datetime.time(9, 0), 30, "UTC")
    return InternalMeeting(org.internal_checkin_time, org.internal_checkin_minutes, org.time_zone)


def checkin_attendees(checkin: CheckIn) -> str:
    """Who takes part, in words: the owner, and for a sales–operations check-in operations."""
    owner = (
        (checkin.owner.get_full_name() or checkin.owner.get_username())
        if checkin.owner
        else "nobody yet"
    )
    if checkin.kind == CheckIn.Kind.INTERNAL:
        return f"{owner} (sales) with operations"
    return owner


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
    internal_cadence_days: int | None = None,
) -> list[CheckInSlot]:
    """The check-ins from ``start`` (exclusive) to ``end`` (inclusive): a customer one every
    ``cadence_days``, and a sales–operations one every ``internal_cadence_days`` (None: on
    the working day before each customer one), each on a working day."""
    slots: dict[tuple[str, datetime.date], CheckInSlot] = {}
    first = start + datetime.timedelta(days=1)

    def add(kind: str, day: datetime.date) -> None:
        slots[(kind, day)] = CheckInSlot(kind, day)

    for day in _cadence_days(start=start, end=end, every=cadence_days, working=working):
        if internal_cadence_days is None:
            before = working.on_or_before(day - datetime.timedelta(days=1), first=first)
            add(CheckIn.Kind.INTERNAL, before or day)
        add(CheckIn.Kind.CUSTOMER, day)
    if internal_cadence_days is not None:
        for day in _cadence_days(
            start=start, end=end, every=internal_cadence_days, working=working
        ):
            add(CheckIn.Kind.INTERNAL, day)
    return sorted(slots.values(), key=lambda s: (s.due_date, s.kind))


def _cadence_days(
    *, start: datetime.date, end: datetime.date, every: int, working: WorkingDays
) -> list[datetime.date]:
    """Every ``every`` days after ``start`` up to ``end``, each on the first working day
    from it; a nominal day with no working day left before ``end`` moves back to the last
    working day after ``start``, and none is kept if there is none."""
    if every <= 0 or end <= start:
        return []
    first = start + datetime.timedelta(days=1)
    days = []
    nominal = start + datetime.timedelta(days=every)
    while nominal <= end:
        day = working.on_or_after(nominal, last=end) or working.on_or_before(nominal, first=first)
        if day is not None:
            days.append(day)
        nominal += datetime.timedelta(days=every)
    return days


def _span(project: Project) -> tuple[datetime.date, datetime.date] | None:
    end = project.delivered_date or project.promised_date
    return (project.release_date, end) if end else None


@transaction.atomic
def checkins_schedule(*, project: Project, today: datetime.date) -> int:
    """Make the project's check-ins from today on match its cadences and working days; done
    and past ones are kept as they are. Returns how many were added or removed.

    The customer check-in's owner is the project's sales owner, and so is the internal one's,
    which operations attend (operations may mark either done)."""
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
            internal_cadence_days=project.sop_version.internal_checkin_cadence_days,
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


def checkins_attended(*, user: AnyUser) -> QuerySet[CheckIn]:
    """The check-ins a user takes part in: those they own, and for operations every
    sales–operations check-in too."""
    rows = CheckIn.objects.select_related("owner", "project__customer", "project__sop_version")
    attended = Q(owner_id=user.pk or 0)
    if is_operations(user):
        attended |= Q(kind=CheckIn.Kind.INTERNAL)
    return rows.filter(attended)


def checkins_missed(*, user: AnyUser, today: datetime.date) -> QuerySet[CheckIn]:
    """Check-ins before today not marked done, of those the user deals with."""
    return checkins_visible(user=user).filter(due_date__lt=today, done_at__isnull=True)
