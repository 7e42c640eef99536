"""Reserved time: book a checked placement in whole minutes, give a project's time back, move it,
take logged work off it.

The PersonDayLoad rows carry the CHECK constraints that are the last word on
over-commitment; every booking adds to them in one statement (``sql.person_day_load_add``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import models
from django.db.models import Case, F, Sum, Value, When

from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.delivery.models import ProjectPhase, TimesheetEntry
from promisekeeper.engine.model import Project
from promisekeeper.engine.plan import Allocations
from promisekeeper.promising.plan_edits import BookedRow
from promisekeeper.promising.snapshot import Snapshot
from promisekeeper.promising.sql import capacity_reservations_insert, person_day_load_add
from promisekeeper.sales.models import CapacityReservation, PersonDayLoad, Promise
from promisekeeper.sales.units import minutes_from_hours


@dataclass(frozen=True)
class ApprovedOvertime:
    """The overtime an approval grants a commit: its share of regular capacity, and the
    regular free hours the work was placed against (what lies beyond them is overtime)."""

    share: float
    regular_free: np.ndarray


def clean_fields(row: models.Model) -> None:
    """Validate a row's own values inside the commit's lock, without a query per field.

    The rows it points to were read (and locked) by the caller, and constraints that span
    rows are the database's: a violation rolls the commit back.
    """
    relations = [f.name for f in row._meta.concrete_fields if f.is_relation]
    row.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)


def _per_person_day(allocations: Allocations) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """Allocations summed per (person, day, phase) in whole minutes, grouped by (person, day).

    A day's phases are rounded as a running total, so the day's minutes are its hours
    rounded once: phases that share a full day never round above the day's capacity.
    """
    per_phase: dict[tuple[int, int, int], float] = defaultdict(float)
    for person, day, phase, hours in zip(
        allocations.person.tolist(),
        allocations.day.tolist(),
        allocations.phase.tolist(),
        allocations.hours.tolist(),
        strict=True,
    ):
        per_phase[(person, day, phase)] += hours
    per_day: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    running: dict[tuple[int, int], tuple[float, int]] = {}
    for (person, day, phase), hours in sorted(per_phase.items()):
        hours_before, minutes_before = running.get((person, day), (0.0, 0))
        minutes_after = minutes_from_hours(hours_before + hours)
        running[(person, day)] = (hours_before + hours, minutes_after)
        if minutes_after > minutes_before:
            per_day[(person, day)].append((phase, minutes_after - minutes_before))
    return per_day


def capacity_reserve(
    *,
    promise: Promise,
    project: DeliveryProject,
    phases: Sequence[Any],
    allocations: Allocations,
    snapshot: Snapshot,
    overtime: ApprovedOvertime | None = None,
) -> list[BookedRow]:
    """Book a checked placement in whole minutes; the PersonDayLoad CHECKs are the last word.

    ``phases`` are the engine project's phases (allocations index them). With
    ``overtime`` (the commit of an exception operations approved with overtime), minutes a
    person-day gets beyond its regular free hours are booked as overtime, and the day's
    overtime allowance becomes at least the approved share of its capacity. Returns what
    was booked, which is what other processes replay.
    """
    people = [snapshot.people[p.id] for p in snapshot.instance.people]
    capacity = snapshot.firm_plan.capacity
    reservations: list[tuple[int, int, str, int, datetime.date, int, int]] = []
    loads = []
    booked_rows: list[BookedRow] = []
    per_day = _per_person_day(allocations)
    for (person, day), booked in sorted(per_day.items(), key=lambda i: (people[i[0][0]], i[0][1])):
        total = sum(minutes for _, minutes in booked)
        over = allowed = 0
        if overtime is not None:
            over = max(0, total - minutes_from_hours(float(overtime.regular_free[person, day])))
            if over:
                allowed = minutes_from_hours(float(capacity[person, day]) * overtime.share)
        date = snapshot.date_of(day)
        capacity_minutes = minutes_from_hours(float(capacity[person, day]))
        loads.append((people[person], date, capacity_minutes, total, over, allowed))
        for phase, minutes in booked:
            share = min(over, minutes)
            over -= share
            booked_rows.append((person, day, phase, minutes))
            reservations.append(
                (promise.pk, project.pk, phases[phase].id, people[person], date, minutes, share)
            )
    capacity_reservations_insert(reservations)
    person_day_load_add(loads)
    return booked_rows


def capacity_release(
    *,
    project: DeliveryProject,
    phase_key: str | None = None,
    from_day: datetime.date | None = None,
) -> int:
    """Give back a project's reserved minutes (and the overtime granted for them); a day
    left without overtime has no overtime allowance either. Returns the minutes released.

    ``phase_key`` and ``from_day`` limit it to one phase's reservation from that day on
    (what is left of a phase marked done)."""
    per_day: dict[tuple[int, datetime.date], tuple[int, int]] = {}
    rows = CapacityReservation.objects.filter(project=project)
    if phase_key is not None:
        rows = rows.filter(phase_key=phase_key)
    if from_day is not None:
        rows = rows.filter(day__gte=from_day)
    for person_id, day, minutes, overtime in rows.values_list(
        "person_id", "day", "minutes", "overtime_minutes"
    ):
        held, granted = per_day.get((person_id, day), (0, 0))
        per_day[(person_id, day)] = (held + minutes, granted + overtime)
    for (person_id, day), (minutes, overtime) in sorted(per_day.items()):
        PersonDayLoad.objects.filter(person_id=person_id, day=day).update(
            reserved_minutes=F("reserved_minutes") - minutes,
            overtime_minutes=F("overtime_minutes") - overtime,
            overtime_allowed_minutes=Case(
                When(overtime_minutes=overtime, then=Value(0)),
                default=F("overtime_allowed_minutes"),
            ),
        )
    rows.delete()
    return sum(minutes for minutes, _ in per_day.values())


def reservation_consume(*, project: DeliveryProject, phase_key: str, minutes: int) -> int:
    """Take ``minutes`` of logged work off a phase's reservation, its earliest days first
    (work logged is the work planned first), overtime first within a day; returns the
    minutes taken, which is less than ``minutes`` when the reservation runs out."""
    left = minutes
    rows = CapacityReservation.objects.filter(project=project, phase_key=phase_key).order_by(
        "day", "person_id"
    )
    for row in rows:
        if left <= 0:
            break
        taken = min(row.minutes, left)
        overtime = min(row.overtime_minutes, taken)
        left -= taken
        PersonDayLoad.objects.filter(person_id=row.person_id, day=row.day).update(
            reserved_minutes=F("reserved_minutes") - taken,
            overtime_minutes=F("overtime_minutes") - overtime,
            overtime_allowed_minutes=Case(
                When(overtime_minutes=overtime, then=Value(0)),
                default=F("overtime_allowed_minutes"),
            ),
        )
        if taken == row.minutes:
            row.delete()
        else:
            CapacityReservation.objects.filter(pk=row.pk).update(
                minutes=F("minutes") - taken, overtime_minutes=F("overtime_minutes") - overtime
            )
    return minutes - left


def logged_minutes_consumed_reset(*, project: DeliveryProject) -> None:
    """After the project's work is booked again (it then holds the work left): every minute
    logged on its phases so far counts as consumed, so none is taken off twice."""
    logged = dict(
        TimesheetEntry.objects.filter(phase__project=project)
        .values("phase_id")
        .annotate(total=Sum("minutes"))
        .values_list("phase_id", "total")
    )
    for pk, consumed in ProjectPhase.objects.filter(project=project).values_list(
        "pk", "logged_minutes_consumed"
    ):
        if consumed != logged.get(pk, 0):
            ProjectPhase.objects.filter(pk=pk).update(logged_minutes_consumed=logged.get(pk, 0))


def reservations_rebook(
    *,
    row: DeliveryProject,
    promise: Promise,
    engine_project: Project,
    allocations: Allocations,
    snapshot: Snapshot,
) -> None:
    """Give back all of a promised project's reserved time and book ``allocations`` (its
    work left, placed again) for the same promise."""
    capacity_release(project=row)
    capacity_reserve(
        promise=promise,
        project=row,
        phases=engine_project.phases,
        allocations=allocations,
        snapshot=snapshot,
    )
    logged_minutes_consumed_reset(project=row)


def reservations_move(moved: dict[int, tuple[Project, Allocations]], snapshot: Snapshot) -> None:
    """Re-book promised projects a reshuffle moved: the same promise, new hours.

    Projects without reservations (planned, not booked) just plan again with the next
    snapshot; every kept promise was re-checked by the reshuffle.
    """
    for pk in sorted(moved):
        engine_project, allocations = moved[pk]
        row = DeliveryProject.objects.select_for_update().get(pk=pk)
        promise_id = (
            CapacityReservation.objects.filter(project=row)
            .values_list("promise_id", flat=True)
            .first()
        )
        if promise_id is None:
            continue
        reservations_rebook(
            row=row,
            promise=Promise.objects.get(pk=promise_id),
            engine_project=engine_project,
            allocations=allocations,
            snapshot=snapshot,
        )
