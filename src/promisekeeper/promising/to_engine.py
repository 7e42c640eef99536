"""Database rows to engine objects: delivery projects, SOP phases and deals as engine projects."""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from promisekeeper.catalog.models import EffortRange, SopPhase, SopVersion
from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.delivery.models import ProjectPhase
from promisekeeper.engine.model import (
    Calendar,
    Dependency,
    EffortPhase,
    FixedPhase,
    Phase,
    Project,
    ProjectState,
)
from promisekeeper.sales.models import Deal

T = TypeVar("T")


DEFAULT_MAX_HOURS_PER_DAY = 8.0


STATE_OF_STATUS: dict[str, ProjectState] = {
    DeliveryProject.Status.IN_DELIVERY: ProjectState.IN_DELIVERY,
    DeliveryProject.Status.COMMITTED: ProjectState.COMMITTED,
    DeliveryProject.Status.HELD: ProjectState.HELD,
    DeliveryProject.Status.TENTATIVE: ProjectState.TENTATIVE,
}


def person_engine_id(pk: int) -> str:
    return f"person-{pk}"


def project_engine_id(pk: int) -> str:
    return f"project-{pk}"


def deal_engine_id(pk: int) -> str:
    return f"deal-{pk}"


@dataclass(frozen=True, slots=True)
class ProjectRef:
    """Which database row an engine project stands for: a delivery project or a deal."""

    kind: str
    pk: int


Memo = dict[tuple[Any, ...], Any]
"""Reads a reservation change cannot alter (SOP phase rows, delivered-project history).

A snapshot replayed from another shares its parent's memo; any other capacity write means a
rebuild, which starts an empty one.
"""


def memoised(memo: Memo | None, key: tuple[Any, ...], read: Callable[[], T]) -> T:
    """``read()`` once per memo (every time when there is none)."""
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    value: T = memo[key]
    return value


def day_index(calendar: Calendar, when: datetime.date | None) -> int | None:
    if when is None:
        return None
    return min(max((when - calendar.start).days, 0), calendar.horizon_days - 1)


def as_float(value: Decimal | float | None, default: float = 0.0) -> float:
    return default if value is None else float(value)


def delivery_project_to_engine(row: DeliveryProject, calendar: Calendar) -> Project:
    """A delivery project's remaining work per phase: estimate × (1 − progress), or, for an
    effort phase under way with actual hours recorded, the engine's remaining effort given
    those hours (``spent_hours``) when that leaves more: neither a progress report nor the
    hours may make a phase look more done than the other says it is. Hours past what the
    progress should have cost (an overrun) plan the rest at the pace so far, when that
    leaves more still. A phase marked done has
    nothing left; an effort phase whose worker estimated the hours left plans those."""
    phases: list[Phase] = []
    key_of_sop_phase = {p.sop_phase_id: p.key for p in row.phases.all() if p.sop_phase_id}
    for phase in row.phases.all():
        done = phase.state == ProjectPhase.State.DONE
        remaining = 0.0 if done else 1.0 - as_float(phase.progress)
        sop = phase.sop_phase
        predecessors = tuple(
            Dependency(key_of_sop_phase[d.predecessor_id], int(d.lag_days))
            for d in (sop.predecessors.all() if sop else ())
            if d.predecessor_id in key_of_sop_phase
        )
        if phase.kind == SopPhase.Kind.FIXED:
            phases.append(
                FixedPhase(
                    phase.key,
                    math.ceil(phase.fixed_days * remaining - 1e-9),
                    {c["role"]: int(c["count"]) for c in phase.crew},
                    hours_per_day=as_float(phase.hours_per_day, 8.0),
                    predecessors=predecessors,
                    name=phase.name,
                )
            )
            continue
        planned = sop.effort_for(row.quantity) if sop is not None else None
        estimate = as_float(phase.effort_estimated_hours)
        likely = estimate * remaining
        told = phase.remaining_hours is not None and not done
        if told:
            likely = as_float(phase.remaining_hours)
        low, high = _bounds_like(planned, likely)
        effort = EffortPhase(
            phase.key,
            phase.role.name if phase.role else "",
            likely,
            max_people=sop.max_people if sop else 1,
            max_hours_per_day=as_float(
                sop.max_hours_per_day if sop else None, DEFAULT_MAX_HOURS_PER_DAY
            ),
            predecessors=predecessors,
            effort_low=low,
            effort_high=high,
            name=phase.name,
        )
        spent = as_float(phase.effort_actual_hours)
        if remaining > 0 and spent > 0 and not told:
            total_low, total_high = _bounds_like(planned, estimate)
            under_way = replace(
                effort,
                effort_hours=estimate,
                effort_low=total_low,
                effort_high=total_high,
                spent_hours=spent,
            )
            if under_way.remaining_hours > effort.remaining_hours:
                effort = under_way
        done_share = 1.0 - remaining
        if 0 < done_share < 1 and spent > estimate * done_share and not told:
            # An overrun: the hours so far bought less progress than the estimate said, so
            # the rest goes at the rate it has been going. More hours, later, never earlier.
            at_pace = spent * remaining / done_share
            if at_pace > effort.remaining_hours:
                pace_low, pace_high = _bounds_like(planned, at_pace)
                effort = replace(
                    effort,
                    effort_hours=at_pace,
                    effort_low=pace_low,
                    effort_high=pace_high,
                    spent_hours=0.0,
                )
        phases.append(effort)
    return Project(
        project_engine_id(row.pk),
        tuple(phases),
        release_day=day_index(calendar, row.release_date) or 0,
        promised_day=day_index(calendar, row.promised_date),
        priority=row.priority,
        state=STATE_OF_STATUS[row.status],
        quantity=float(row.quantity),
        name=row.name,
    )


def _bounds_like(planned: EffortRange | None, likely: float) -> tuple[float, float]:
    """Low and high hours around ``likely`` in the proportions the SOP plans."""
    low, high = likely, likely
    if planned is not None and planned.likely > 0:
        low = likely * float(planned.low) / float(planned.likely)
        high = likely * float(planned.high) / float(planned.likely)
    return min(low, likely), max(high, likely)


def sop_phase_rows(sop_version: SopVersion, memo: Memo | None = None) -> list[SopPhase]:
    """An SOP version's phases in order, with roles, crews and dependencies loaded."""
    rows = memoised(
        memo,
        ("sop-phase-rows", sop_version.pk),
        lambda: tuple(
            sop_version.phases.select_related("role")
            .prefetch_related("crew__role", "predecessors")
            .order_by("order", "pk")
        ),
    )
    return list(rows)


def sop_phases(
    sop_version: SopVersion, quantity: int, *, prefix: str = "", memo: Memo | None = None
) -> tuple[Phase, ...]:
    """The phases an SOP version prescribes for ``quantity`` units (effort = fixed + per unit)."""
    rows = sop_phase_rows(sop_version, memo)
    key_of = {row.pk: f"{prefix}{row.key}" for row in rows}
    phases: list[Phase] = []
    for row in rows:
        predecessors = tuple(
            Dependency(key_of[d.predecessor_id], int(d.lag_days))
            for d in row.predecessors.all()
            if d.predecessor_id in key_of
        )
        if row.kind == SopPhase.Kind.FIXED:
            phases.append(
                FixedPhase(
                    key_of[row.pk],
                    int(row.fixed_days),
                    {c.role.name: int(c.count) for c in row.crew.all()},
                    hours_per_day=as_float(row.hours_per_day, 8.0),
                    predecessors=predecessors,
                    name=row.name,
                )
            )
            continue
        effort = row.effort_for(quantity)
        phases.append(
            EffortPhase(
                key_of[row.pk],
                row.role.name if row.role else "",
                float(effort.likely),
                max_people=int(row.max_people),
                max_hours_per_day=as_float(row.max_hours_per_day, DEFAULT_MAX_HOURS_PER_DAY),
                predecessors=predecessors,
                effort_low=float(effort.low),
                effort_high=float(effort.high),
                per_unit_hours=as_float(row.effort_per_unit_likely),
                name=row.name,
            )
        )
    return tuple(phases)


def lines_to_engine(
    *,
    project_id: str,
    lines: Sequence[tuple[SopVersion, int]],
    calendar: Calendar,
    release_date: datetime.date | None = None,
    promised_date: datetime.date | None = None,
    state: ProjectState = ProjectState.TENTATIVE,
    win_probability: float = 1.0,
    name: str = "",
    memo: Memo | None = None,
) -> Project:
    """One engine project for a deal's offering lines; the lines run in parallel.

    With a single line the phase ids are the SOP keys; with several they are
    prefixed ``l<k>-`` so they stay unique (and stay valid ProjectPhase slugs).
    """
    phases: list[Phase] = []
    for k, (sop_version, quantity) in enumerate(lines):
        prefix = f"l{k}-" if len(lines) > 1 else ""
        phases.extend(sop_phases(sop_version, quantity, prefix=prefix, memo=memo))
    project_quantity = float(lines[0][1]) if len(lines) == 1 else 1.0
    return Project(
        project_id,
        tuple(phases),
        release_day=day_index(calendar, release_date) or 0,
        promised_day=day_index(calendar, promised_date),
        state=state,
        win_probability=win_probability,
        quantity=project_quantity,
        name=name,
    )


def deal_to_engine(
    deal: Deal, calendar: Calendar, state: ProjectState, memo: Memo | None = None
) -> Project | None:
    """A deal that has no project yet: its offering lines from each offering's latest SOP."""
    from promisekeeper.catalog.selectors import sop_version_latest

    lines: list[tuple[SopVersion, int]] = []
    for line in deal.lines.all():
        offering = line.offering
        if offering is None:
            continue
        version = memoised(
            memo,
            ("sop-version-latest", offering.pk),
            partial(sop_version_latest, offering=offering),
        )
        if version is not None:
            lines.append((version, int(line.quantity)))
    if not lines:
        return None
    return lines_to_engine(
        project_id=deal_engine_id(deal.pk),
        lines=lines,
        calendar=calendar,
        promised_date=deal.wanted_date if state is ProjectState.HELD else None,
        state=state,
        win_probability=float(deal.win_probability),
        name=deal.name,
        memo=memo,
    )
