"""Placing one project's phases onto the free capacity grid, as early as possible.

This is the inner loop of every engine answer: ``schedule`` places projects
one after another, ``earliest_finish`` places one new project on top of a plan.
Everything here works on a ``free`` people × days array that it updates in
place; the caller undoes a placement with :func:`release`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from promisekeeper.engine.capacity import capacity_matrix, efficiency_matrix, working_day_mask
from promisekeeper.engine.model import (
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Project,
    topological_order,
)
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

    def __init__(
        self,
        instance: Instance,
        capacity: np.ndarray | None = None,
        orders: list[list[int]] | None = None,
    ) -> None:
        self.instance = instance
        self.horizon = instance.calendar.horizon_days
        self.capacity = capacity_matrix(instance) if capacity is None else capacity
        self.role_index = {role: k for k, role in enumerate(instance.roles)}
        self.working = working_day_mask(instance.calendar)
        self.working_days = np.flatnonzero(self.working)
        self.project_index = {p.id: i for i, p in enumerate(instance.projects)}
        self._orders: dict[int, list[int]] = dict(enumerate(orders)) if orders else {}
        self.lock = threading.Lock()
        self._set_efficiency(efficiency_matrix(instance))

    def _set_efficiency(self, efficiency: np.ndarray) -> None:
        self.efficiency = efficiency
        best = efficiency.max(axis=1) if efficiency.size else np.zeros(0)
        self.pools: list[RolePool] = []
        for k in range(len(self.instance.roles)):
            people = np.flatnonzero(efficiency[:, k] > 0)
            eff = efficiency[people, k]
            self.pools.append(RolePool(people, eff, eff >= best[people] - _EPS))
        self.role_count = (efficiency > 0).sum(axis=1)

    def with_person(self, person: Person, capacity_row: np.ndarray) -> Context:
        """This context with ``person`` added as the last row (a what-if hire).

        Calendar, role and project lookups are shared; only the people-shaped ones grow.
        """
        grown = copy.copy(self)
        grown.instance = replace(self.instance, people=(*self.instance.people, person))
        grown.capacity = np.vstack([self.capacity, capacity_row])
        grown._orders = dict(self._orders)
        grown.lock = threading.Lock()
        row = efficiency_matrix(replace(self.instance, people=(person,)))
        grown._set_efficiency(np.vstack([self.efficiency, row]))
        return grown

    def people_able(self, roles: Iterable[str]) -> np.ndarray:
        """Rows of the people who can do any of ``roles`` (cross-trained included)."""
        able = np.zeros(len(self.instance.people), dtype=bool)
        for role in roles:
            if role in self.role_index:
                able[self.pools[self.role_index[role]].people] = True
        return np.flatnonzero(able)

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

    def finish_day(self, release_day: int = 0) -> int | None:
        """The day after the last phase ends (``release_day`` if there are none); None when a
        phase did not fit the horizon."""
        if self.failed_phase is not None:
            return None
        return int(max((t.end_day for t in self.timings), default=release_day))


Undo = list[tuple[np.ndarray, np.ndarray, np.ndarray]]


def _take(
    free: np.ndarray, rows: np.ndarray, days: np.ndarray, hours: np.ndarray, undo: Undo | None
) -> None:
    """Book ``hours`` at (rows, days); remember the old values when undoing is wanted."""
    if undo is not None:
        undo.append((rows, days, free[rows, days]))
    free[rows, days] -= hours


def restore(free: np.ndarray, undo: Undo) -> None:
    """Put back, exactly, every cell a placement with this undo log changed."""
    for rows, days, old in reversed(undo):
        free[rows, days] = old
    undo.clear()


def best_crew_effort(effective: np.ndarray, k: int) -> np.ndarray:
    """Effort the best ``k`` people can deliver on each day.

    ``effective`` is people x days of hours x efficiency; this is the rule every
    effort phase is placed by, shared with the Monte Carlo sampler. Only days
    on which more than ``k`` people are free need a selection; on the others
    everyone free is in the crew.
    """
    n = effective.shape[0]
    if n <= k:
        return effective.sum(axis=0)
    if k == 1:
        return effective.max(axis=0)
    daily = effective.sum(axis=0)
    crowded = np.count_nonzero(effective, axis=0) > k
    if crowded.any():
        daily[crowded] = np.partition(effective[:, crowded], n - k, axis=0)[n - k :].sum(axis=0)
    return daily


def _drop_all_but_best(hours: np.ndarray, effective: np.ndarray, k: int) -> None:
    """Zero, in place, everyone but the ``k`` most effective people of each crowded day."""
    crowded = np.flatnonzero(np.count_nonzero(effective, axis=0) > k)
    if len(crowded) == 0:
        return
    sub = effective[:, crowded]
    rejected = np.argpartition(-sub, k - 1, axis=0)[k:]
    hours[rejected, crowded] = 0.0
    effective[rejected, crowded] = 0.0


def _finish_index(daily: np.ndarray, need: float) -> int:
    cumulative = np.cumsum(daily)
    return int(np.searchsorted(cumulative, need - _EPS))


def effort_window(phase: EffortPhase, pool_size: int, effort_hours: float) -> int:
    """Days to look at first when placing ``effort_hours`` of ``phase`` from a pool of
    ``pool_size`` people: what its crew needs at full rate, with slack for days off and
    other work (the search doubles the window when that is not enough)."""
    full_rate = float(min(pool_size, phase.max_people)) * phase.max_hours_per_day
    return int(effort_hours / full_rate * 1.8) + 7


_Crew = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]


def _effort_crew(ctx: Context, grid: np.ndarray, phase: EffortPhase, start: int) -> _Crew | None:
    """Who could work an effort phase from ``start`` on, and on which day it would be done.

    Returns (people, hours, effective, daily effort, index of the last day), or
    None when it does not fit before the horizon ends. The crew is the best
    ``max_people`` of the role each day; people who have the role only as a
    cross-trained skill join when that finishes sooner than without them.
    """
    pool = ctx.pools[ctx.role_index[phase.role]]
    if len(pool.people) == 0:
        return None
    need = phase.remaining_hours
    window = effort_window(phase, len(pool.people), need)
    people, efficiency, primary = pool.people, pool.efficiency, pool.primary
    mixed = bool(primary.any() and not primary.all())
    main_rows = np.flatnonzero(primary)
    while True:
        hi = min(ctx.horizon, start + window)
        hours = np.minimum(grid[people, start:hi], phase.max_hours_per_day)
        effective = hours * efficiency[:, None]
        main: _Crew | None = None
        if mixed:
            main_daily = best_crew_effort(effective[main_rows], phase.max_people)
            main_last = _finish_index(main_daily, need)
            if main_last < len(main_daily):
                main = (
                    people[main_rows],
                    hours[main_rows],
                    effective[main_rows],
                    main_daily,
                    main_last,
                )
                # Cross-trained people add at most all their hours: when even that
                # would not finish sooner, the main-role crew is the answer.
                bound = main_daily + effective[~primary].sum(axis=0)
                if _finish_index(bound, need) >= main_last:
                    return main
        daily = best_crew_effort(effective, phase.max_people)
        last = _finish_index(daily, need)
        if main is not None and main[4] <= last:
            return main
        if last < len(daily):
            return people, hours, effective, daily, last
        if hi >= ctx.horizon:
            return None
        window *= 2


def place_effort(
    ctx: Context,
    free: np.ndarray,
    phase: EffortPhase,
    start: int,
    project_index: int,
    phase_index: int,
    undo: Undo | None = None,
) -> tuple[PhaseTiming, Allocations] | None:
    """Put an effort phase on the free grid from ``start`` on; None if it overruns the horizon."""
    if phase.remaining_hours <= _EPS:
        return PhaseTiming(phase.id, start, start), Allocations()
    crew = _effort_crew(ctx, free, phase, start)
    if crew is None:
        return None
    return _commit_effort(free, phase, start, *crew, project_index, phase_index, undo)


def phase_span(
    ctx: Context, grid: np.ndarray, phase: EffortPhase | FixedPhase, start: int
) -> tuple[int, int] | None:
    """Where a phase would run on ``grid`` from ``start`` on, without booking anything.

    Used for reference timings (a project on an empty calendar); phases are
    judged one at a time, so parallel phases of one project do not compete.
    """
    if isinstance(phase, EffortPhase):
        if phase.remaining_hours <= _EPS:
            return start, start
        crew = _effort_crew(ctx, grid, phase, start)
        if crew is None:
            return None
        daily, last = crew[3], crew[4]
        worked = np.flatnonzero(daily[: last + 1] > 0)
        return start + int(worked[0] if len(worked) else 0), start + last + 1
    if phase.days == 0:
        return start, start
    first = int(np.searchsorted(ctx.working_days, start))
    candidates = ctx.working_days[first:]
    if len(candidates) < phase.days:
        return None
    at = _first_full_run(_fixed_day_possible(ctx, grid, phase, candidates), phase.days)
    if at is None:
        return None
    return int(candidates[at]), int(candidates[at + phase.days - 1]) + 1


def _commit_effort(
    free: np.ndarray,
    phase: EffortPhase,
    start: int,
    people: np.ndarray,
    hours: np.ndarray,
    effective: np.ndarray,
    daily: np.ndarray,
    last: int,
    project_index: int,
    phase_index: int,
    undo: Undo | None,
) -> tuple[PhaseTiming, Allocations]:
    span = last + 1
    hours, effective = hours[:, :span].copy(), effective[:, :span].copy()
    if len(people) > phase.max_people:
        _drop_all_but_best(hours, effective, phase.max_people)
    remaining = phase.remaining_hours - float(daily[:last].sum())
    final = effective[:, last]
    offered = hours[:, last].copy()
    hours[:, last] = 0.0
    for row in np.argsort(-final, kind="stable"):
        if remaining <= _EPS or final[row] <= 0:
            break
        take = min(float(final[row]), remaining)
        hours[row, last] = offered[row] * (take / float(final[row]))
        remaining -= take
    rows, cols = np.nonzero(hours > _EPS)
    taken = hours[rows, cols]
    person_rows = people[rows]
    days = cols + start
    _take(free, person_rows, days, taken, undo)
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
    ctx: Context, free_day: np.ndarray, phase: FixedPhase
) -> list[tuple[int, int]] | None:
    """Pick exactly the crew for one day: (person row, role index) pairs, or None.

    Scarce roles are staffed first, each from the people with the fewest other
    skills, so versatile people stay available for the roles that need them.
    """
    needs = sorted(
        ((ctx.role_index[r], n) for r, n in phase.crew.items() if n > 0),
        key=lambda rn: len(ctx.pools[rn[0]].people),
    )
    crew: list[tuple[int, int]] = []
    taken: set[int] = set()
    for role, count in needs:
        pool = ctx.pools[role]
        able = pool.people[free_day[pool.people] >= phase.hours_per_day - _EPS]
        if taken:
            able = np.array([p for p in able.tolist() if p not in taken], dtype=np.int64)
        if len(able) < count:
            return None
        if len(able) > count:
            able = able[np.lexsort((-free_day[able], ctx.role_count[able]))[:count]]
        for person in able.tolist():
            crew.append((person, role))
            taken.add(person)
    return crew


def _fixed_day_possible(
    ctx: Context, free: np.ndarray, phase: FixedPhase, days: np.ndarray
) -> np.ndarray:
    """Necessary condition per day: enough able people for each crew role and in total."""
    lo, hi = int(days[0]), int(days[-1]) + 1
    columns = days - lo
    ok = np.ones(len(days), dtype=bool)
    total_need = 0
    union: list[np.ndarray] = []
    for role_name, count in phase.crew.items():
        if count <= 0:
            continue
        pool = ctx.pools[ctx.role_index[role_name]]
        able = free[pool.people, lo:hi][:, columns] >= phase.hours_per_day - _EPS
        ok &= np.count_nonzero(able, axis=0) >= count
        total_need += count
        union.append(pool.people)
    if len(union) > 1:
        members = np.unique(np.concatenate(union))
        able_any = free[members, lo:hi][:, columns] >= phase.hours_per_day - _EPS
        ok &= np.count_nonzero(able_any, axis=0) >= total_need
    return ok


def _first_full_run(ok: np.ndarray, length: int) -> int | None:
    run = np.concatenate(([0], np.cumsum(ok, dtype=np.int64)))
    full = np.flatnonzero(run[length:] - run[:-length] == length)
    return int(full[0]) if len(full) else None


def place_fixed(
    ctx: Context,
    free: np.ndarray,
    phase: FixedPhase,
    start: int,
    project_index: int,
    phase_index: int,
    undo: Undo | None = None,
) -> tuple[PhaseTiming, Allocations] | None:
    """Put a fixed phase on the first run of ``days`` working days with its full crew."""
    if phase.days == 0:
        return PhaseTiming(phase.id, start, start), Allocations()
    first = int(np.searchsorted(ctx.working_days, start))
    all_candidates = ctx.working_days[first:]
    if len(all_candidates) < phase.days:
        return None
    window = phase.days + 20
    while True:
        candidates = all_candidates[:window]
        ok = _fixed_day_possible(ctx, free, phase, candidates)
        found = _place_fixed_in(ctx, free, phase, candidates, ok)
        if found is not None:
            days, crews = found
            return _commit_fixed(free, phase, days, crews, project_index, phase_index, undo)
        if window >= len(all_candidates):
            return None
        window *= 4


def _place_fixed_in(
    ctx: Context, free: np.ndarray, phase: FixedPhase, candidates: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, list[list[tuple[int, int]]]] | None:
    while True:
        at = _first_full_run(ok, phase.days)
        if at is None:
            return None
        days = candidates[at : at + phase.days]
        crews: list[list[tuple[int, int]]] = []
        for offset, day in enumerate(days.tolist()):
            crew = _crew_for_day(ctx, free[:, day], phase)
            if crew is None:
                ok[at + offset] = False
                break
            crews.append(crew)
        else:
            return days, crews


def _commit_fixed(
    free: np.ndarray,
    phase: FixedPhase,
    days: np.ndarray,
    crews: list[list[tuple[int, int]]],
    project_index: int,
    phase_index: int,
    undo: Undo | None,
) -> tuple[PhaseTiming, Allocations]:
    person = np.array([p for crew in crews for p, _ in crew], dtype=np.int64)
    day = np.array(
        [d for d, crew in zip(days.tolist(), crews, strict=True) for _ in crew], dtype=np.int64
    )
    hours = np.full(len(person), phase.hours_per_day, dtype=np.float64)
    _take(free, person, day, hours, undo)
    allocations = Allocations(
        person=person.astype(np.int32),
        day=day.astype(np.int32),
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
    undo: Undo | None = None,
) -> tuple[PhaseTiming, Allocations] | None:
    if isinstance(phase, EffortPhase):
        return place_effort(ctx, free, phase, start, project_index, phase_index, undo)
    return place_fixed(ctx, free, phase, start, project_index, phase_index, undo)


def place_project(
    ctx: Context,
    free: np.ndarray,
    project: Project,
    project_index: int,
    *,
    fixed_starts: dict[str, int] | None = None,
    undo: Undo | None = None,
    order: list[int] | None = None,
) -> Placement:
    """Place every phase of ``project`` as early as precedence, lags and capacity allow.

    On failure (a phase would overrun the horizon) everything placed so far is
    given back and ``failed_phase`` names the phase. With an ``undo`` log the
    caller can later :func:`restore` the grid exactly. ``order`` is the phase
    order when the caller already has it (from validation).
    """
    timings: dict[str, PhaseTiming] = {}
    parts: list[Allocations] = []
    log: Undo = [] if undo is None else undo
    mark = len(log)
    for phase_index in order if order is not None else ctx.phase_order(project, project_index):
        phase = project.phases[phase_index]
        earliest = project.release_day
        for dep in phase.predecessors:
            earliest = max(earliest, timings[dep.phase].end_day + dep.lag_days)
        if fixed_starts is not None and phase.id in fixed_starts:
            earliest = max(earliest, fixed_starts[phase.id])
        placed = None
        if earliest < ctx.horizon:
            placed = place_phase(ctx, free, phase, earliest, project_index, phase_index, log)
        if placed is None:
            failed = log[mark:]
            restore(free, failed)
            del log[mark:]
            return Placement((), Allocations(), failed_phase=phase.id)
        timings[phase.id] = placed[0]
        parts.append(placed[1])
    if undo is None:
        log.clear()
    ordered = tuple(timings[p.id] for p in project.phases)
    return Placement(ordered, Allocations.concat(parts))


def release(free: np.ndarray, allocations: Allocations) -> None:
    """Give the hours of ``allocations`` back to the free grid."""
    np.add.at(free, (allocations.person, allocations.day), allocations.hours)
