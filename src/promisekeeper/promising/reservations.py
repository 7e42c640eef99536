"""Reserved hours: book a checked placement to the hour, give a project's hours back, move them.

The PersonDayLoad rows carry the CHECK constraints that are the last word on
over-commitment; every booking adds to them in one statement (``sql.person_day_load_add``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

import numpy as np
from django.db import models
from django.db.models import F

from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.engine.model import Project
from promisekeeper.engine.plan import Allocations
from promisekeeper.promising.plan_edits import BookedRow
from promisekeeper.promising.snapshot import Snapshot
from promisekeeper.promising.sql import person_day_load_add
from promisekeeper.sales.models import CapacityReservation, PersonDayLoad, Promise

HOURS = Decimal("0.001")


def exact_hours(value: float) -> Decimal:
    """Engine hours (floats) as the database stores them: rounded down to 0.001 h."""
    return Decimal(repr(float(value))).quantize(HOURS, rounding=ROUND_DOWN)


def clean_fields(row: models.Model) -> None:
    """Validate a row's own values inside the commit's lock, without a query per field.

    The rows it points to were read (and locked) by the caller, and constraints that span
    rows are the database's: a violation rolls the commit back.
    """
    relations = [f.name for f in row._meta.concrete_fields if f.is_relation]
    row.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)


def _per_person_day(allocations: Allocations) -> dict[tuple[int, int], list[tuple[int, Decimal]]]:
    """Allocations summed per (person, day, phase), rounded, grouped by (person, day)."""
    per_phase: dict[tuple[int, int, int], float] = defaultdict(float)
    for person, day, phase, hours in zip(
        allocations.person.tolist(),
        allocations.day.tolist(),
        allocations.phase.tolist(),
        allocations.hours.tolist(),
        strict=True,
    ):
        per_phase[(person, day, phase)] += hours
    per_day: dict[tuple[int, int], list[tuple[int, Decimal]]] = defaultdict(list)
    for (person, day, phase), hours in sorted(per_phase.items()):
        rounded = exact_hours(hours)
        if rounded > 0:
            per_day[(person, day)].append((phase, rounded))
    return per_day


def capacity_reserve(
    *,
    promise: Promise,
    project: DeliveryProject,
    phases: Sequence[Any],
    allocations: Allocations,
    snapshot: Snapshot,
    regular_free: np.ndarray | None = None,
) -> list[BookedRow]:
    """Book a checked placement to the hour; the PersonDayLoad CHECK is the last word.

    ``phases`` are the engine project's phases (allocations index them). With
    ``regular_free``, hours a person-day gets beyond it are booked as approved overtime
    (the commit of an exception operations approved with overtime). Returns what was booked
    (hours rounded down to 0.001 h), which is what other processes replay.
    """
    people = [snapshot.people[p.id] for p in snapshot.instance.people]
    capacity = snapshot.firm_plan.capacity
    reservations: list[CapacityReservation] = []
    loads = []
    booked_rows: list[BookedRow] = []
    per_day = _per_person_day(allocations)
    for (person, day), booked in sorted(per_day.items(), key=lambda i: (people[i[0][0]], i[0][1])):
        total = sum((hours for _, hours in booked), Decimal(0))
        over = Decimal(0)
        if regular_free is not None:
            over = max(Decimal(0), total - exact_hours(float(regular_free[person, day])))
        date = snapshot.date_of(day)
        loads.append((people[person], date, exact_hours(capacity[person, day]), total, over))
        for phase, hours in booked:
            share = min(over, hours)
            over -= share
            booked_rows.append((person, day, phase, hours))
            reservations.append(
                CapacityReservation(
                    promise_id=promise.pk,
                    project_id=project.pk,
                    phase_key=phases[phase].id,
                    person_id=people[person],
                    day=date,
                    hours=hours,
                    overtime_hours=share,
                )
            )
    CapacityReservation.objects.bulk_create(reservations)
    person_day_load_add(loads)
    return booked_rows


def capacity_release(*, project: DeliveryProject) -> Decimal:
    """Give back a project's reserved hours (and the overtime granted for them)."""
    per_day: dict[tuple[int, datetime.date], tuple[Decimal, Decimal]] = {}
    rows = CapacityReservation.objects.filter(project=project)
    for person_id, day, hours, overtime in rows.values_list(
        "person_id", "day", "hours", "overtime_hours"
    ):
        held, granted = per_day.get((person_id, day), (Decimal(0), Decimal(0)))
        per_day[(person_id, day)] = (held + hours, granted + overtime)
    for (person_id, day), (hours, overtime) in sorted(per_day.items()):
        PersonDayLoad.objects.filter(person_id=person_id, day=day).update(
            reserved_hours=F("reserved_hours") - hours,
            overtime_hours=F("overtime_hours") - overtime,
        )
    rows.delete()
    return sum((hours for hours, _ in per_day.values()), Decimal(0))


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
        capacity_release(project=row)
        capacity_reserve(
            promise=Promise.objects.get(pk=promise_id),
            project=row,
            phases=engine_project.phases,
            allocations=allocations,
            snapshot=snapshot,
        )
