"""Capacity cut under promises: time off booked over reserved hours, a person's hours, share
or end date lowered, a company closure added or widened.

The engine places the displaced work again (``engine.edits.replace_displaced``): each
promised project holding hours a person-day no longer has is placed at its earliest on what
is left, before its promised date where the hours fit. Under the ledger lock, the new hours
are booked for the same promise (``reservations.reservations_move``), and every promise
that cannot be kept is flagged to its owner and to operations in the same transaction. The
page first shows what moves and what breaks, and saves only once that is confirmed.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Sum
from django.utils import timezone

from promisekeeper.delivery.models import ProjectPhase
from promisekeeper.engine.edits import Displaced, replace_displaced
from promisekeeper.engine.model import Instance
from promisekeeper.engine.plan import Plan
from promisekeeper.organisation.models import CompanyClosure
from promisekeeper.organisation.permissions import AnyUser, is_admin, is_operations
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.people.models import Person as DbPerson
from promisekeeper.people.models import TimeOff as DbTimeOff
from promisekeeper.people.services import time_off_build, time_off_create, time_off_update
from promisekeeper.promising.answer import finish_date
from promisekeeper.promising.cache import portfolio_snapshot
from promisekeeper.promising.locks import ledger_lock, with_retries
from promisekeeper.promising.permissions import User
from promisekeeper.promising.plan_edits import Pinned, firm_plan_build
from promisekeeper.promising.previews import time_off_people
from promisekeeper.promising.reservations import reservations_move
from promisekeeper.promising.snapshot import (
    Snapshot,
    person_to_engine,
    pinned_allocations,
    snapshot_build,
)
from promisekeeper.promising.to_engine import person_engine_id
from promisekeeper.sales.models import AuditEvent, CapacityReservation, Deal, PersonDayLoad
from promisekeeper.sales.services import audit_event_record, notification_send, operations_notify
from promisekeeper.sales.units import hours_from_minutes, minutes_from_hours

T = TypeVar("T")


@dataclass(frozen=True)
class CutConsequence:
    """A promised project a capacity cut displaces: the hours it loses where it holds them,
    whether it still finishes by its promised date once placed again, and when it finishes."""

    project_pk: int
    name: str
    promised: datetime.date | None
    displaced_hours: float
    kept: bool
    finish_after: datetime.date | None


class CutNotConfirmed(Exception):
    """The change displaces reserved hours and was not confirmed (nothing was written)."""

    def __init__(self, consequences: Sequence[CutConsequence]) -> None:
        super().__init__("confirm the promises this change moves")
        self.consequences = list(consequences)


@dataclass(frozen=True)
class TimeOffSaved:
    """The time off as saved, and the promises it moved (kept or not)."""

    time_off: DbTimeOff
    consequences: list[CutConsequence]


def time_off_cut_preview(
    *, time_off: DbTimeOff, replaces: DbTimeOff | None = None
) -> list[CutConsequence]:
    """The promised projects whose reserved hours ``time_off`` (unsaved; ``replaces`` is
    the entry it would overwrite) takes away, and where they would go. Reads only."""
    snapshot = portfolio_snapshot()
    people = time_off_people(snapshot, time_off, replaces)
    return _cut_preview(snapshot, replace(snapshot.firm_plan.instance, people=people))


def person_cut_preview(*, person: DbPerson) -> list[CutConsequence]:
    """What changing a person's weekly hours, delivery share, start or end date to the
    values of ``person`` (a saved row, changed in memory) takes from promised work. Reads only."""
    snapshot = portfolio_snapshot()
    engine_id = person_engine_id(person.pk)
    firm = snapshot.firm_plan.instance
    if not any(p.id == engine_id for p in firm.people):
        return []  # not planned now (no skills, or outside the horizon): nothing booked
    skills = {s.role.name: float(s.efficiency) for s in person.skills.select_related("role")}
    changed = person_to_engine(
        person, skills=skills, time_off=person.time_off.all(), today=snapshot.today
    )
    people = tuple(changed if p.id == engine_id else p for p in firm.people)
    return _cut_preview(snapshot, replace(firm, people=people))


def closure_cut_preview(
    *, closure: CompanyClosure, replaces: CompanyClosure | None = None
) -> list[CutConsequence]:
    """What a company closure (unsaved; ``replaces`` is the one it would change) takes from
    promised work: nobody works its days. Reads only."""
    snapshot = portfolio_snapshot()
    firm = snapshot.firm_plan.instance
    calendar = firm.calendar
    closed = set(calendar.closed_days)
    if replaces is not None:
        closed -= _closure_days(snapshot, replaces)
        closed |= _other_closure_days(snapshot, replaces)
    closed |= _closure_days(snapshot, closure)
    changed = replace(calendar, closed_days=frozenset(closed))
    return _cut_preview(snapshot, replace(firm, calendar=changed))


def _closure_days(snapshot: Snapshot, closure: CompanyClosure) -> set[int]:
    horizon = snapshot.instance.calendar.horizon_days
    first = max((closure.start_date - snapshot.today).days, 0)
    last = min((closure.end_date - snapshot.today).days, horizon - 1)
    return set(range(first, last + 1))


def _other_closure_days(snapshot: Snapshot, replaces: CompanyClosure) -> set[int]:
    """Days other closures still close (they may overlap the one being changed)."""
    days: set[int] = set()
    for other in CompanyClosure.objects.exclude(pk=replaces.pk):
        days |= _closure_days(snapshot, other)
    return days


def _cut_preview(snapshot: Snapshot, firm: Instance) -> list[CutConsequence]:
    pinned = pinned_allocations(firm, snapshot.projects, snapshot.people)
    # The snapshot's own firm planning, on the changed capacity: a pure function.
    _, displaced = _displaced(snapshot, firm_plan_build(firm, pinned), pinned)
    return [cut_consequence(snapshot, d) for d in displaced]


def time_off_save(
    *,
    user: User,
    person: DbPerson,
    fields: dict[str, Any],
    editing: DbTimeOff | None = None,
    confirmed: bool = False,
) -> TimeOffSaved:
    """Book (or change) time off; reserved hours it takes away are placed again at once.

    When it displaces reserved hours, ``confirmed`` must say the consequences were seen
    (``CutNotConfirmed`` otherwise, nothing written); if under the lock it displaces more
    than the preview showed, it is refused the same way.
    """

    def write() -> DbTimeOff:
        if editing is not None:
            return time_off_update(time_off=editing, **fields)
        return time_off_create(person=person, **fields)

    preview = time_off_build(person=person, **fields)
    saved, consequences = capacity_change_save(
        user=user,
        preview=lambda: time_off_cut_preview(time_off=preview, replaces=editing),
        write=write,
        cause=f"time off of {person.name} ({preview.start_date:%Y-%m-%d} to "
        f"{preview.end_date:%Y-%m-%d})",
        people=[person.pk],
        confirmed=confirmed,
    )
    return TimeOffSaved(saved, consequences)


def capacity_change_save(
    *,
    user: User,
    preview: Callable[[], list[CutConsequence]],
    write: Callable[[], T],
    cause: str,
    people: Sequence[int] | None,
    confirmed: bool,
) -> tuple[T, list[CutConsequence]]:
    """Make a change that may take capacity from promised work: ``preview`` says what it
    would displace; unless ``confirmed`` that must be nothing (``CutNotConfirmed``, nothing
    written). Then, under the ledger lock, ``write`` saves the change and the displaced work
    is booked again (``capacity_cut_apply``; ``people``: whose loads follow their new
    capacity, None for everyone). Displacing more than was previewed rolls it all back."""
    if not (is_operations(user) or is_admin(user) or getattr(user, "is_superuser", False)):
        raise PermissionDenied("Only operations can change capacity.")
    previewed = preview()
    if previewed and not confirmed:
        raise CutNotConfirmed(previewed)

    def attempt() -> tuple[T, list[CutConsequence]]:
        # Not durable: the admin saves its form in a transaction of its own, which this joins.
        with transaction.atomic():
            ledger_lock()
            saved = write()
            consequences = capacity_cut_apply(user=user, cause=cause, people=people)
            if not _covered(consequences, previewed):
                raise CutNotConfirmed(consequences)  # rolls the save back
            return saved, consequences

    return with_retries(attempt)


def capacity_cut_apply(
    *, user: User, cause: str, people: Sequence[int] | None
) -> list[CutConsequence]:
    """Under the ledger lock, after a capacity write: re-book the promised work the cut
    displaced, let the load rows of ``people`` follow their new capacity, record each move
    and flag each promise that cannot be kept (in this transaction, so the flags exist
    exactly when the cut does)."""
    # A full build under the lock: the capacity itself changed, and a cut is a rare
    # operations action; no booking can slip in between the cut and the re-placement.
    snapshot = snapshot_build(today=timezone.localdate(), ledger_version=ledger_version_get())
    pinned = pinned_allocations(snapshot.firm_plan.instance, snapshot.projects, snapshot.people)
    _, displaced = _displaced(snapshot, snapshot.firm_plan, pinned)
    reservations_move(
        {snapshot.projects[d.project.id].pk: (d.project, d.answer.allocations) for d in displaced},
        snapshot,
    )
    _loads_follow_capacity(snapshot, people)
    consequences = [cut_consequence(snapshot, d) for d in displaced]
    for consequence in consequences:
        replan_record(user, consequence, cause)
    return consequences


def _displaced(
    snapshot: Snapshot, plan: Plan, pinned: Pinned
) -> tuple[Plan, tuple[Displaced, ...]]:
    ids = {plan.instance.projects[k].id for k in pinned}
    return replace_displaced(plan, ids, allowance=_overtime_grid(snapshot, plan))


def _overtime_grid(snapshot: Snapshot, plan: Plan) -> np.ndarray:
    """Approved overtime per person-day (booked hours may use it), on the plan's grid."""
    grid = np.zeros_like(plan.capacity)
    row_of = {snapshot.people[p.id]: row for row, p in enumerate(plan.instance.people)}
    horizon = grid.shape[1]
    for person_id, day, minutes in PersonDayLoad.objects.filter(
        overtime_minutes__gt=0, day__gte=snapshot.today
    ).values_list("person_id", "day", "overtime_minutes"):
        d = (day - snapshot.today).days
        if person_id in row_of and d < horizon:
            grid[row_of[person_id], d] = hours_from_minutes(minutes)
    return grid


def _loads_follow_capacity(snapshot: Snapshot, people: Sequence[int] | None) -> None:
    """The load rows of ``people`` (None: everyone's) from today carry the capacity they
    have now (their CHECK then compares the reserved hours with it)."""
    row_of = {snapshot.people[p.id]: row for row, p in enumerate(snapshot.instance.people)}
    capacity = snapshot.firm_plan.capacity
    changed = []
    loads = PersonDayLoad.objects.filter(day__gte=snapshot.today)
    if people is not None:
        loads = loads.filter(person_id__in=people)
    for load in loads:
        d = (load.day - snapshot.today).days
        if load.person_id not in row_of or d >= capacity.shape[1]:
            continue
        now = minutes_from_hours(float(capacity[row_of[load.person_id], d]))
        if now != load.capacity_minutes:
            load.capacity_minutes = now
            changed.append(load)
    PersonDayLoad.objects.bulk_update(changed, ["capacity_minutes"])


def cut_consequence(snapshot: Snapshot, displaced: Displaced) -> CutConsequence:
    project = displaced.project
    return CutConsequence(
        project_pk=snapshot.projects[project.id].pk,
        name=project.name,
        promised=None if project.promised_day is None else snapshot.date_of(project.promised_day),
        displaced_hours=round(displaced.hours, 3),
        kept=displaced.kept,
        finish_after=finish_date(snapshot, displaced.answer.finish_day),
    )


def _covered(now: Sequence[CutConsequence], previewed: Sequence[CutConsequence]) -> bool:
    """Whether the consequences under the lock are no worse than those confirmed."""
    seen = {c.project_pk for c in previewed}
    broken = {c.project_pk for c in previewed if not c.kept}
    return all(c.project_pk in seen and (c.kept or c.project_pk in broken) for c in now)


def replan_record(user: AnyUser, consequence: CutConsequence, cause: str) -> None:
    """The move in the audit trail; a promise that cannot be kept told to its owner and to
    operations."""
    deal = Deal.objects.filter(project__pk=consequence.project_pk).select_related("owner").first()
    finish = consequence.finish_after
    audit_event_record(
        actor=user,  # type: ignore[arg-type]
        action=AuditEvent.Action.PROMISE_REPLANNED,
        deal=deal,
        payload={
            "project": consequence.project_pk,
            "cause": cause,
            "kept": consequence.kept,
            "promised_date": consequence.promised.isoformat() if consequence.promised else None,
            "finish_date": finish.isoformat() if finish else None,
            "displaced_hours": str(Decimal(str(consequence.displaced_hours))),
        },
    )
    if consequence.kept or deal is None:
        return
    text = cut_warning(consequence, cause)
    operations_notify(deal, text)
    if deal.owner is not None and not is_operations(deal.owner):
        notification_send(deal.owner, deal, text)


def cut_warning(consequence: CutConsequence, cause: str) -> str:
    """What the owner and operations are told about a promise a cut breaks."""
    promised = f"{consequence.promised:%Y-%m-%d}" if consequence.promised else "its date"
    finish = (
        f"{consequence.finish_after:%Y-%m-%d}"
        if consequence.finish_after
        else "beyond the planning horizon"
    )
    return (
        f"{consequence.name}: the promise for {promised} cannot be kept after {cause}; "
        f"the work now finishes {finish}. Re-date it with the customer or find capacity."
    )


@dataclass(frozen=True)
class PromisedInRole:
    """Promised work a person holds in one role from today: minutes and the last day."""

    minutes: int
    last_day: datetime.date


def promised_in_role(*, person_pk: int, role_pk: int) -> PromisedInRole | None:
    """The reserved minutes a person holds from today in phases of ``role``, or None.

    A skill that promised work stands on cannot be removed or made slower silently: the
    booked hours would no longer do the work they were booked for (the admin refuses it,
    naming this work, until it is re-planned or re-dated)."""
    in_role = ProjectPhase.objects.filter(
        project=OuterRef("project"), key=OuterRef("phase_key"), role_id=role_pk
    )
    held = (
        CapacityReservation.objects.filter(person_id=person_pk, day__gte=timezone.localdate())
        .filter(Exists(in_role))
        .aggregate(minutes=Sum("minutes"), last=Max("day"))
    )
    if not held["minutes"]:
        return None
    return PromisedInRole(int(held["minutes"]), held["last"])
