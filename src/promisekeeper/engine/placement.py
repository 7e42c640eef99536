"""Placing one project's phases onto the free capacity grid, as early as possible.

This is the inner loop of every engine answer: ``schedule`` places projects
one after another, ``earliest_finish`` places one new project on top of a plan.
Everything here works on a ``free`` people × days array that it updates in
place; the caller undoes a placement with :func:`release`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from promisekeeper.engine.capacity import capacity_matrix, efficiency_matrix, working_day_mask
from promisekeeper.engine.model import EffortPhase, FixedPhase, Instance, Project, topological_order
from promisekeeper.engine.plan import Allocations, PhaseTiming

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class RolePool:
    """The people who can do one role: their rows, efficiencies, and who has it as main role."""

    people: np.ndarray
    efficiency: np.ndarray
    primary: np.ndarray


class Context:
    """Lookups derived once per instance and shared by every placement."""

    def __init__(self, instance: Instance, capacity: np.ndarray | None = None) -> None:
        self.instance = instance
        self.horizon = instance.calendar.horizon_days
        self.capacity = capacity_matrix(instance) if capacity is None else capacity
        self.efficiency = efficiency_matrix(instance)
        self.role_index = {role: k for k, role in enumerate(instance.roles)}
        self.working = working_day_mask(instance.calendar)
        self.working_days = np.flatnonzero(self.working)
        best = self.efficiency.max(axis=1) if self.efficiency.size else np.zeros(0)
        self.pools: list[RolePool] = []
        for k in range(len(instance.roles)):
            people = np.flatnonzero(self.efficiency[:, k] > 0)
            eff = self.efficiency[people, k]
            self.pools.append(RolePool(people, eff, eff >= best[people] - _EPS))
        self.project_index = {p.id: i for i, p in enumerate(instance.projects)}
        self._orders: dict[int, list[int]] = {}

    def phase_order(self, project: Project, project_index: int) -> list[int]:
        if project_index < 0:
            return topological_order(project)
        order = self._orders.get(project_index)
        if order is None:
            order = topological_order(project)
            self._orders[project_index] = order
        return order


@dataclass(slots=True)
class Placement:
    """Where one project went: its phase timings and its allocations (or why it failed)."""

    timings: tuple[PhaseTiming, ...]
    allocations: Allocations
    failed_phase: str | None = None


def _effort_daily(
    pool_people: np.ndarray,
    pool_eff: np.ndarray,
    free: np.ndarray,
    phase: EffortPhase,
    lo: int,
    hi: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Hours each pool member can give per day in [lo, hi) and the effort the best crew delivers."""
    hours = np.minimum(free[pool_people, lo:hi], phase.max_hours_per_day)
    effective = hours * pool_eff[:, None]
    k = phase.max_people
    if len(pool_people) > k:
        top = np.partition(effective, len(pool_people) - k, axis=0)[len(pool_people) - k :]
        return hours, top.sum(axis=0)
    return hours, effective.sum(axis=0)


def _effort_finish(
    pool_people: np.ndarray,
    pool_eff: np.ndarray,
    free: np.ndarray,
    phase: EffortPhase,
    start: int,
    horizon: int,
) -> tuple[int, np.ndarray, np.ndarray, int] | None:
    """Index of the day the phase completes, scanning a growing window from ``start``."""
    need = phase.effort_hours
    rate = max(_EPS, float(min(len(pool_people), phase.max_people)) * phase.max_hours_per_day * 0.5)
    window = int(need / rate) + 21
    while True:
        hi = min(horizon, start + window)
        hours, daily = _effort_daily(pool_people, pool_eff, free, phase, start, hi)
        cumulative = np.cumsum(daily)
        last = int(np.searchsorted(cumulative, need - _EPS))
        if last < len(cumulative):
            return last, hours, daily, hi
        if hi >= horizon:
            return None
        window *= 3


def place_effort(
    ctx: Context,
    free: np.ndarray,
    phase: EffortPhase,
    start: int,
    project_index: int,
    phase_index: int,
) -> tuple[PhaseTiming, Allocations] | None:
    """Put an effort phase on the free grid from ``start`` on; None if it overruns the horizon."""
    if phase.effort_hours <= _EPS:
        return PhaseTiming(phase.id, start, start), Allocations()
    pool = ctx.pools[ctx.role_index[phase.role]]
    if len(pool.people) == 0:
        return None
    candidates = [(pool.people, pool.efficiency)]
    if not pool.primary.all() and pool.primary.any():
        candidates.insert(0, (pool.people[pool.primary], pool.efficiency[pool.primary]))
    best: tuple[np.ndarray, np.ndarray, tuple[int, np.ndarray, np.ndarray, int]] | None = None
    for people, eff in candidates:
        found = _effort_finish(people, eff, free, phase, start, ctx.horizon)
        if found is not None and (best is None or found[0] < best[2][0]):
            best = (people, eff, found)
    if best is None:
        return None
    people, eff, (last, hours, daily, _hi) = best
    return _commit_effort(
        free, phase, start, people, eff, hours, daily, last, project_index, phase_index
    )


def _commit_effort(
    free: np.ndarray,
    phase: EffortPhase,
    start: int,
    people: np.ndarray,
    eff: np.ndarray,
    hours: np.ndarray,
    daily: np.ndarray,
    last: int,
    project_index: int,
    phase_index: int,
) -> tuple[PhaseTiming, Allocations]:
    span = last + 1
    hours = hours[:, :span].copy()
    effective = hours * eff[:, None]
    k = phase.max_people
    if len(people) > k:
        keep = np.zeros_like(hours, dtype=bool)
        order = np.argsort(-effective, axis=0, kind="stable")[:k]
        np.put_along_axis(keep, order, True, axis=0)
        hours[~keep] = 0.0
        effective[~keep] = 0.0
    delivered_before = float(daily[:last].sum())
    remaining = phase.effort_hours - delivered_before
    final = effective[:, last]
    hours[:, last] = 0.0
    for row in np.argsort(-final, kind="stable"):
        if remaining <= _EPS or final[row] <= 0:
            break
        take = min(final[row], remaining)
        hours[row, last] = take / eff[row]
        remaining -= take
    rows, cols = np.nonzero(hours > _EPS)
    taken = hours[rows, cols]
    person_rows = people[rows]
    days = cols + start
    free[person_rows, days] -= taken
    np.maximum(free[person_rows, days], 0.0, out=free[person_rows, days])
    first_day = int(days.min()) if len(days) else start
    allocations = Allocations(
        person=person_rows.astype(np.int32),
        day=days.astype(np.int32),
        project=np.full(len(taken), project_index, dtype=np.int32),
        phase=np.full(len(taken), phase_index, dtype=np.int32),
        hours=taken.astype(np.float64),
    )
    return PhaseTiming(phase.id, first_day, start + span), allocations


def _crew_for_day(
    ctx: Context, free_day: np.ndarray, phase: FixedPhase, taken: set[int]
) -> list[tuple[int, int]] | None:
    """Pick exactly the crew for one day: (person row, role index) pairs, or None."""
    needs = sorted(
        ((ctx.role_index[r], n) for r, n in phase.crew.items() if n > 0),
        key=lambda rn: len(ctx.pools[rn[0]].people),
    )
    crew: list[tuple[int, int]] = []
    for role, count in needs:
        pool = ctx.pools[role]
        able = pool.people[free_day[pool.people] >= phase.hours_per_day - _EPS]
        able = [int(p) for p in able if int(p) not in taken]
        if len(able) < count:
            return None
        able.sort(key=lambda p: (int((ctx.efficiency[p] > 0).sum()), -free_day[p]))
        for person in able[:count]:
            crew.append((person, role))
            taken.add(person)
    return crew


def _fixed_day_possible(
    ctx: Context, free: np.ndarray, phase: FixedPhase, days: np.ndarray
) -> np.ndarray:
    """Necessary condition per day: enough able people for each crew role and in total."""
    ok = np.ones(len(days), dtype=bool)
    total_need = 0
    union = np.zeros(free.shape[0], dtype=bool)
    for role_name, count in phase.crew.items():
        if count <= 0:
            continue
        pool = ctx.pools[ctx.role_index[role_name]]
        able = free[np.ix_(pool.people, days)] >= phase.hours_per_day - _EPS
        ok &= able.sum(axis=0) >= count
        total_need += count
        union[pool.people] = True
    if total_need and len(phase.crew) > 1:
        members = np.flatnonzero(union)
        able_any = free[np.ix_(members, days)] >= phase.hours_per_day - _EPS
        ok &= able_any.sum(axis=0) >= total_need
    return ok


def place_fixed(
    ctx: Context,
    free: np.ndarray,
    phase: FixedPhase,
    start: int,
    project_index: int,
    phase_index: int,
) -> tuple[PhaseTiming, Allocations] | None:
    """Put a fixed phase on the first run of ``days`` working days with its full crew."""
    if phase.days == 0:
        return PhaseTiming(phase.id, start, start), Allocations()
    first = int(np.searchsorted(ctx.working_days, start))
    candidates = ctx.working_days[first:]
    if len(candidates) < phase.days:
        return None
    ok = _fixed_day_possible(ctx, free, phase, candidates)
    d = phase.days
    while True:
        run = np.concatenate(([0], np.cumsum(ok, dtype=np.int64)))
        full = np.flatnonzero(run[d:] - run[:-d] == d)
        if len(full) == 0:
            return None
        at = int(full[0])
        days = candidates[at : at + d]
        crews: list[list[tuple[int, int]]] = []
        for offset, day in enumerate(days):
            crew = _crew_for_day(ctx, free[:, day], phase, set())
            if crew is None:
                ok[at + offset] = False
                break
            crews.append(crew)
        else:
            return _commit_fixed(free, phase, days, crews, project_index, phase_index)


def _commit_fixed(
    free: np.ndarray,
    phase: FixedPhase,
    days: np.ndarray,
    crews: list[list[tuple[int, int]]],
    project_index: int,
    phase_index: int,
) -> tuple[PhaseTiming, Allocations]:
    person = np.array([p for crew in crews for p, _ in crew], dtype=np.int32)
    day = np.array(
        [int(d) for d, crew in zip(days, crews, strict=True) for _ in crew], dtype=np.int32
    )
    hours = np.full(len(person), phase.hours_per_day, dtype=np.float64)
    free[person, day] -= hours
    allocations = Allocations(
        person=person,
        day=day,
        project=np.full(len(person), project_index, dtype=np.int32),
        phase=np.full(len(person), phase_index, dtype=np.int32),
        hours=hours,
    )
    return PhaseTiming(phase.id, int(days[0]), int(days[-1]) + 1), allocations


def place_phase(
    ctx: Context,
    free: np.ndarray,
    phase: EffortPhase | FixedPhase,
    start: int,
    project_index: int,
    phase_index: int,
) -> tuple[PhaseTiming, Allocations] | None:
    if isinstance(phase, EffortPhase):
        return place_effort(ctx, free, phase, start, project_index, phase_index)
    return place_fixed(ctx, free, phase, start, project_index, phase_index)


def place_project(
    ctx: Context,
    free: np.ndarray,
    project: Project,
    project_index: int,
    *,
    fixed_starts: dict[str, int] | None = None,
) -> Placement:
    """Place every phase of ``project`` as early as precedence, lags and capacity allow.

    On failure (a phase would overrun the horizon) everything placed so far is
    released again and ``failed_phase`` names the phase.
    """
    timings: dict[str, PhaseTiming] = {}
    parts: list[Allocations] = []
    for phase_index in ctx.phase_order(project, project_index):
        phase = project.phases[phase_index]
        earliest = project.release_day
        for dep in phase.predecessors:
            earliest = max(earliest, timings[dep.phase].end_day + dep.lag_days)
        if fixed_starts is not None and phase.id in fixed_starts:
            earliest = max(earliest, fixed_starts[phase.id])
        placed = (
            place_phase(ctx, free, phase, earliest, project_index, phase_index)
            if earliest < ctx.horizon
            else None
        )
        if placed is None:
            done = Allocations.concat(parts)
            release(free, done)
            return Placement((), Allocations(), failed_phase=phase.id)
        timings[phase.id] = placed[0]
        parts.append(placed[1])
    ordered = tuple(timings[p.id] for p in project.phases)
    return Placement(ordered, Allocations.concat(parts))


def release(free: np.ndarray, allocations: Allocations) -> None:
    """Give the hours of ``allocations`` back to the free grid."""
    np.add.at(free, (allocations.person, allocations.day), allocations.hours)
