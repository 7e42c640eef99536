"""Promise queries: when could a new project finish, and can it finish by a date?

Both run on top of an existing :class:`~promisekeeper.engine.plan.Plan`
without touching it: they place the new project on a copy of the plan's free
capacity. ``can_deliver_by`` with reshuffle may re-plan work that has not
started, but only when every promise already made is still kept.

Examples
--------
>>> from datetime import date
>>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
>>> from promisekeeper.engine.schedule import schedule
>>> instance = Instance(
...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=90),
...     roles=("developer",),
...     people=(Person("ana", {"developer": 1.0}),),
...     projects=(Project("a", (EffortPhase("build", "developer", 80.0),), promised_day=20),),
... )
>>> plan = schedule(instance)
>>> new = Project("b", (EffortPhase("build", "developer", 40.0),))
>>> answer = earliest_finish(plan, new)
>>> answer.finish_day, answer.bottleneck.role
(19, 'developer')
>>> can_deliver_by(plan, new, 15).feasible
False
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

import numpy as np

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    EffortPhase,
    FixedPhase,
    Instance,
    Project,
    ProjectState,
    project_roles,
    validate_project,
)
from promisekeeper.engine.placement import Context, Undo, phase_span, place_project, restore
from promisekeeper.engine.plan import Allocations, PhaseTiming, Plan, ProjectStatus

NEW_PROJECT = -1


class AnswerStatus(enum.StrEnum):
    """The outcome of a promise query."""

    FEASIBLE = "feasible"
    LATE = "late"
    BEYOND_HORIZON = "beyond_horizon"


@dataclass(frozen=True, slots=True)
class Bottleneck:
    """What held a new project back: a role (or phase) and the weeks it was short.

    ``delay_days`` is how much later the project finishes than it would on an
    empty calendar; ``weeks`` lists ``(week_start_day, utilisation)`` of the
    role over the phase's span, utilisation being booked / available hours.
    """

    phase: str
    role: str
    delay_days: int
    weeks: tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class PromiseAnswer:
    """The earliest finish of a new project on top of a plan."""

    project_id: str
    status: AnswerStatus
    finish_day: int | None
    phases: tuple[PhaseTiming, ...]
    allocations: Allocations
    bottleneck: Bottleneck | None
    unconstrained_finish_day: int | None

    @property
    def last_work_day(self) -> int | None:
        return None if self.finish_day is None else self.finish_day - 1


@dataclass(frozen=True, slots=True)
class Move:
    """A project that a reshuffle moves: its finish before and after."""

    project_id: str
    old_finish_day: int
    new_finish_day: int

    @property
    def shift_days(self) -> int:
        return self.new_finish_day - self.old_finish_day


@dataclass(frozen=True, slots=True)
class DeliveryAnswer:
    """Whether a new project can finish by ``by_day`` (inclusive)."""

    feasible: bool
    by_day: int
    finish_day: int | None
    reshuffled: bool
    moves: tuple[Move, ...]
    answer: PromiseAnswer | None
    plan: Plan | None
    reason: str = ""


def plan_context(plan: Plan) -> Context:
    """The plan's cached lookups, built on first use."""
    if not isinstance(plan.context, Context):
        plan.context = Context(plan.instance, plan.capacity)
    return plan.context


def free_grid(plan: Plan) -> np.ndarray:
    """A copy of the plan's free hours, taken while no query has work placed on it.

    ``earliest_finish`` places a project on the plan's own grid and takes it off
    again under the plan's lock; readers copy under the same lock.
    """
    ctx = plan_context(plan)
    with ctx.lock:
        return plan.free.copy()


def new_project_order(plan: Plan, project: Project) -> list[int]:
    """Check a new project against the plan (raising ``InvalidInput``); returns its phase order."""
    instance = plan.instance
    order = validate_project(project, instance.calendar, frozenset(instance.roles), "project")
    if project.id in plan.projects:
        raise InvalidInput("project.id", f"project {project.id!r} is already in the plan")
    return order


def earliest_finish(plan: Plan, project: Project) -> PromiseAnswer:
    """Earliest finish of ``project`` on the capacity ``plan`` leaves free; moves nothing.

    The answer names the bottleneck: the phase that lost the most days to
    booked capacity, its role, and that role's load in the weeks concerned.
    """
    order = new_project_order(plan, project)
    ctx = plan_context(plan)
    undo: Undo = []
    with ctx.lock:
        placed = place_project(ctx, plan.free, project, NEW_PROJECT, undo=undo, order=order)
        restore(plan.free, undo)
    if placed.failed_phase is not None:
        return PromiseAnswer(
            project.id, AnswerStatus.BEYOND_HORIZON, None, (), Allocations(), None, None
        )
    finish = max((t.end_day for t in placed.timings), default=project.release_day)
    ideal = _unconstrained_timings(ctx, project, order)
    ideal_finish = (
        None if ideal is None else max((t.end_day for t in ideal), default=project.release_day)
    )
    bottleneck = _bottleneck(plan, ctx, project, placed.timings, ideal or (), finish, ideal_finish)
    status = AnswerStatus.FEASIBLE
    if project.promised_day is not None and finish - 1 > project.promised_day:
        status = AnswerStatus.LATE
    return PromiseAnswer(
        project.id, status, finish, placed.timings, placed.allocations, bottleneck, ideal_finish
    )


def placement_fits(plan: Plan, allocations: Allocations, tolerance: float = 1e-6) -> bool:
    """Whether every hour of ``allocations`` is still free on ``plan``.

    A placement computed on an older plan stays bookable as it is when this holds: the
    cheap re-check before booking it (each person-day's hours are summed first, so two
    phases sharing a day are counted together).
    """
    if len(allocations) == 0:
        return True
    people, days = plan.free.shape
    person, day = allocations.person, allocations.day
    if person.min() < 0 or day.min() < 0 or person.max() >= people or day.max() >= days:
        return False
    cells = person.astype(np.int64) * days + day
    needed = np.bincount(cells, weights=allocations.hours)
    used = np.flatnonzero(needed)
    ctx = plan_context(plan)
    with ctx.lock:
        free = plan.free.ravel()[used]
    return bool(np.all(needed[used] <= free + tolerance))


def _unconstrained_timings(
    ctx: Context, project: Project, order: list[int]
) -> tuple[PhaseTiming, ...] | None:
    """Phase timings on an empty calendar (all capacity free), for measuring delay."""
    timings: dict[str, PhaseTiming] = {}
    for k in order:
        phase = project.phases[k]
        earliest = project.release_day
        for dep in phase.predecessors:
            earliest = max(earliest, timings[dep.phase].end_day + dep.lag_days)
        span = phase_span(ctx, ctx.capacity, phase, earliest) if earliest < ctx.horizon else None
        if span is None:
            return None
        timings[phase.id] = PhaseTiming(phase.id, *span)
    return tuple(timings[p.id] for p in project.phases)


def _phase_role(
    ctx: Context, free: np.ndarray, phase: EffortPhase | FixedPhase, span: slice
) -> str:
    if isinstance(phase, EffortPhase):
        return phase.role
    scarcest, best = "", np.inf
    for role, count in phase.crew.items():
        people = ctx.pools[ctx.role_index[role]].people
        spare = float(free[np.ix_(people, np.arange(span.start, span.stop))].sum()) / max(1, count)
        if count > 0 and spare < best:
            scarcest, best = role, spare
    return scarcest


def _bottleneck(
    plan: Plan,
    ctx: Context,
    project: Project,
    actual: tuple[PhaseTiming, ...],
    ideal: tuple[PhaseTiming, ...],
    finish: int,
    ideal_finish: int | None,
) -> Bottleneck | None:
    if not actual:
        return None
    ideal_by_id = {t.id: t for t in ideal}
    worst, worst_extra = 0, -1
    for k, timing in enumerate(actual):
        reference = ideal_by_id.get(timing.id)
        ideal_length = (reference.end_day - reference.start_day) if reference else 0
        earliest = _earliest_start(project, k, actual)
        extra = (timing.end_day - earliest) - ideal_length
        if extra > worst_extra:
            worst, worst_extra = k, extra
    timing = actual[worst]
    phase = project.phases[worst]
    lo = _earliest_start(project, worst, actual)
    hi = max(timing.end_day, lo + 1)
    role = _phase_role(ctx, plan.free, phase, slice(lo, hi))
    weeks = _role_weeks(plan, ctx, role, lo, hi)
    delay = 0 if ideal_finish is None else max(0, finish - ideal_finish)
    return Bottleneck(phase.id, role, delay, weeks)


def _earliest_start(project: Project, k: int, timings: tuple[PhaseTiming, ...]) -> int:
    by_id = {t.id: t for t in timings}
    earliest = project.release_day
    for dep in project.phases[k].predecessors:
        earliest = max(earliest, by_id[dep.phase].end_day + dep.lag_days)
    return earliest


def _role_weeks(
    plan: Plan, ctx: Context, role: str, lo: int, hi: int
) -> tuple[tuple[int, float], ...]:
    people = ctx.pools[ctx.role_index[role]].people
    if len(people) == 0:
        return ()
    weekday = plan.instance.calendar.start.weekday()
    first_week = lo - ((weekday + lo) % 7)
    a, b = max(0, first_week), min(ctx.horizon, first_week + 7 * -(-(hi - first_week) // 7))
    available = ctx.capacity[people, a:b].sum(axis=0)
    booked = available - plan.free[people, a:b].sum(axis=0)
    weeks = []
    for week in range(first_week, hi, 7):
        lo_w, hi_w = max(0, week) - a, min(ctx.horizon, week + 7) - a
        cap = float(available[lo_w:hi_w].sum())
        used = float(booked[lo_w:hi_w].sum())
        weeks.append((int(week), round(used / cap, 4) if cap > 0 else 1.0))
    return tuple(weeks)


def can_deliver_by(
    plan: Plan, project: Project, by_day: int, *, allow_reshuffle: bool = False
) -> DeliveryAnswer:
    """Can ``project`` finish by ``by_day`` (last working day, inclusive)?

    Without reshuffle this is ``earliest_finish`` compared with the date. With
    ``allow_reshuffle`` the work that has not started and is in the way (it
    holds hours, on or before ``by_day``, of people who could do the new
    project's roles) is re-planned together with the new project, and the answer is
    yes only if every project that was on time is still on time; ``moves``
    names the projects whose finish changes.
    """
    instance = plan.instance
    if not 0 <= by_day < instance.calendar.horizon_days:
        raise InvalidInput(
            "by_day", f"must be inside the horizon (0..{instance.calendar.horizon_days - 1})"
        )
    answer = earliest_finish(plan, project)
    if answer.finish_day is not None and answer.finish_day - 1 <= by_day:
        return DeliveryAnswer(True, by_day, answer.finish_day, False, (), answer, None)
    if not allow_reshuffle:
        return DeliveryAnswer(
            False,
            by_day,
            answer.finish_day,
            False,
            (),
            answer,
            None,
            reason="not enough free capacity",
        )
    return _reshuffle(plan, project, by_day, answer)


def _reshuffle(plan: Plan, project: Project, by_day: int, answer: PromiseAnswer) -> DeliveryAnswer:
    """Move as little unstarted work as makes room: the projects in the way with the most
    slack first, one, two, four ... at a time, each trial placing the new project first and
    the moved ones after it by priority; all of them, in priority order, last."""
    from promisekeeper.engine.schedule import priority_key

    instance = plan.instance
    candidate = replace(project, promised_day=by_day, state=ProjectState.COMMITTED)
    extended = replace(instance, projects=(*instance.projects, candidate))
    ctx = Context(extended, plan.capacity)
    new_index = len(instance.projects)
    in_way = sorted(
        _in_the_way(plan, candidate, by_day), key=lambda i: -_slack(plan, instance.projects[i])
    )
    trials: list[tuple[list[int], bool]] = []
    if _fits_alone(plan, extended, ctx, in_way, new_index, by_day):
        trials = [(in_way[:count], True) for count in _doubling(in_way)]
        if min([*in_way, new_index], key=lambda i: priority_key(extended.projects[i])) != new_index:
            trials.append((in_way, False))  # all of them in priority order is another order
    for moving, new_first in trials:
        merged = _moved(plan, extended, ctx, moving, new_index, new_first=new_first)
        if _keeps_promises(plan, merged) and _on_time(merged, candidate.id):
            finish = merged.projects[candidate.id].finish_day
            return DeliveryAnswer(True, by_day, finish, True, _moves(plan, merged), answer, merged)
    return DeliveryAnswer(
        False,
        by_day,
        answer.finish_day,
        True,
        (),
        answer,
        None,
        reason="no re-ordering of unstarted work keeps every existing promise",
    )


def _slack(plan: Plan, project: Project) -> float:
    """Days a project can finish later and still keep its promise (any, if it has none)."""
    result = plan.projects.get(project.id)
    if project.promised_day is None or result is None or result.finish_day is None:
        return float("inf")
    if result.status is not ProjectStatus.ON_TIME:
        return float("inf")  # already late: moving it breaks no kept promise
    return float(project.promised_day - (result.finish_day - 1))


def _doubling(items: list[int]) -> list[int]:
    """1, 2, 4, ... up to len(items) (inclusive)."""
    counts = []
    count = 1
    while count < len(items):
        counts.append(count)
        count *= 2
    return [*counts, len(items)] if items else []


def _grid_without(plan: Plan, moving: list[int]) -> tuple[np.ndarray, Allocations]:
    """Free hours with ``moving`` projects' hours given back, and everybody else's hours."""
    fixed = np.ones(len(plan.instance.projects), dtype=bool)
    fixed[moving] = False
    kept = plan.allocations.where(fixed[plan.allocations.project])
    free = plan.capacity.copy()
    np.subtract.at(free, (kept.person, kept.day), kept.hours)
    return free, kept


def _fits_alone(
    plan: Plan, extended: Instance, ctx: Context, in_way: list[int], new_index: int, by_day: int
) -> bool:
    free, _ = _grid_without(plan, in_way)
    project = extended.projects[new_index]
    finish = place_project(ctx, free, project, new_index).finish_day(project.release_day)
    return finish is not None and finish - 1 <= by_day


def _moved(
    plan: Plan,
    extended: Instance,
    ctx: Context,
    moving: list[int],
    new_index: int,
    *,
    new_first: bool,
) -> Plan:
    """``plan`` with the new project added and ``moving`` re-placed around it."""
    from promisekeeper.engine.schedule import priority_key, schedule_in_order

    free, kept = _grid_without(plan, moving)
    by_priority = sorted([*moving, new_index], key=lambda i: priority_key(extended.projects[i]))
    order = [new_index, *(i for i in by_priority if i != new_index)] if new_first else by_priority
    trial = schedule_in_order(extended, order, ctx=ctx, free=free, repair_seconds=0.5)
    still = set(moving)
    results = {pid: r for pid, r in plan.projects.items() if ctx.project_index[pid] not in still}
    results.update(trial.projects)
    return Plan(
        extended,
        plan.capacity,
        trial.free,
        Allocations.concat([kept, trial.allocations]),
        results,
        context=ctx,
    )


def _in_the_way(plan: Plan, project: Project, by_day: int) -> list[int]:
    """Unstarted projects holding hours, on or before ``by_day``, of people who could do
    ``project``'s roles: the only ones whose moving can make room for it.

    Everything else keeps its hours, so a reshuffle re-plans (and moves) as little as it can.
    """
    able = np.zeros(len(plan.instance.people), dtype=bool)
    able[plan_context(plan).people_able(project_roles(project))] = True
    alloc = plan.allocations
    touching = able[alloc.person] & (alloc.day <= by_day)
    holders = set(np.unique(alloc.project[touching]).tolist())
    return [
        i
        for i, p in enumerate(plan.instance.projects)
        if i in holders and p.state is not ProjectState.IN_DELIVERY
    ]


def _on_time(plan: Plan, project_id: str) -> bool:
    return plan.projects[project_id].status is ProjectStatus.ON_TIME


def _keeps_promises(before: Plan, after: Plan) -> bool:
    for project_id, result in before.projects.items():
        if result.status is ProjectStatus.ON_TIME and not _on_time(after, project_id):
            return False
    return True


def _moves(before: Plan, after: Plan) -> tuple[Move, ...]:
    moves = []
    for project_id, result in before.projects.items():
        new = after.projects[project_id]
        if (
            result.finish_day is not None
            and new.finish_day is not None
            and new.finish_day != result.finish_day
        ):
            moves.append(Move(project_id, result.finish_day, new.finish_day))
    return tuple(moves)
