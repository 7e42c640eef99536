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
class PhaseWait:
    """A phase on the chain that sets a new project's finish, and the days it lost itself.

    ``ready_day`` is the earliest day its predecessors (with their lags) and the project's
    release allow it to start; ``days`` is how much later it ends than it would from
    ``ready_day`` on an empty calendar. A phase that only starts late because a predecessor
    finished late has ``ready_day`` late too, and loses nothing itself. ``role`` is the role
    whose booked capacity held it back: an effort phase's role, or the crew role of a fixed
    phase that had too few people free on the days it could have run but did not.
    """

    phase: str
    name: str
    role: str
    ready_day: int
    end_day: int
    days: int


@dataclass(frozen=True, slots=True)
class Bottleneck:
    """What holds a new project's finish back: a phase, its role and the days it lost.

    The phase is, of the phases on the chain that sets the finish (the last phase to end,
    the predecessor it waited for, and so on back), the one that lost the most days to
    booked capacity (``delay_days``, see :class:`PhaseWait`); a phase off that chain does
    not move the date, however long it waits. When no phase on the chain lost a day, it is
    the longest one, with ``delay_days`` 0: its role's capacity sets the pace. ``name`` is
    the phase's name for people; ``waits`` lists every phase on the chain that lost days,
    most days first; ``weeks`` lists ``(week_start_day, utilisation)`` of the role from the
    phase's ready day to its end, utilisation being booked / available hours.
    """

    phase: str
    role: str
    delay_days: int
    weeks: tuple[tuple[int, float], ...]
    name: str = ""
    waits: tuple[PhaseWait, ...] = ()


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

    The answer names the bottleneck (:class:`Bottleneck`): the phase on the chain that
    sets the finish that lost the most days to booked capacity, the role that was full,
    and that role's load in the weeks concerned.
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
    bottleneck = _bottleneck(plan, ctx, project, placed.timings, placed.allocations)
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


def _ready_days(project: Project, timings: tuple[PhaseTiming, ...]) -> list[int]:
    """Each phase's earliest start allowed by its predecessors, their lags and the release."""
    by_id = {t.id: t for t in timings}
    ready = []
    for phase in project.phases:
        day = project.release_day
        for dep in phase.predecessors:
            day = max(day, by_id[dep.phase].end_day + dep.lag_days)
        ready.append(day)
    return ready


def _finishing_chain(
    project: Project, timings: tuple[PhaseTiming, ...], ready: list[int]
) -> list[int]:
    """The phases that set the finish, last first: the phase that ends last, then the
    predecessor whose end (plus lag) made it ready, and so on back to the release."""
    index = {p.id: k for k, p in enumerate(project.phases)}
    k: int | None = max(range(len(timings)), key=lambda j: (timings[j].end_day, j))
    chain: list[int] = []
    while k is not None and k not in chain:
        chain.append(k)
        k = next(
            (
                index[dep.phase]
                for dep in project.phases[k].predecessors
                if timings[index[dep.phase]].end_day + dep.lag_days == ready[k]
            ),
            None,
        )
    return chain


def _days_lost(
    ctx: Context, phase: EffortPhase | FixedPhase, ready: int, timing: PhaseTiming
) -> int:
    """How much later ``phase`` ends than it would from ``ready`` on an empty calendar."""
    alone = phase_span(ctx, ctx.capacity, phase, ready) if ready < ctx.horizon else None
    return 0 if alone is None else max(0, timing.end_day - alone[1])


def _short_role(
    ctx: Context,
    free: np.ndarray,
    own: Allocations,
    phase: EffortPhase | FixedPhase,
    waited: tuple[int, int] | None,
) -> str:
    """The role whose capacity held ``phase`` back on the days ``waited`` (lo, hi).

    An effort phase has one role. For a fixed phase, each working day in ``waited`` (on
    which it could have run but did not) counts against every crew role that had fewer
    people free for a whole day than the crew needs, the project's own other phases
    taking hours too; the role short on the most days binds, ties going to the one with
    the fewest people to spare. Without ``waited`` (nothing was lost) the role with the
    fewest people per crew place is named.
    """
    if isinstance(phase, EffortPhase):
        return phase.role
    needs = [(role, count) for role, count in phase.crew.items() if count > 0]
    if not needs:
        return ""

    def pool(role: str) -> np.ndarray:
        return ctx.pools[ctx.role_index[role]].people

    if waited is None:
        return min(needs, key=lambda rc: (len(pool(rc[0])) / rc[1], rc[0]))[0]
    working = ctx.working_days
    days = working[(working >= waited[0]) & (working < waited[1])]
    score: dict[str, tuple[int, float]] = {}
    for role, count in needs:
        people = pool(role)
        grid = free[np.ix_(people, days)]
        mine = np.isin(own.person, people) & np.isin(own.day, days)
        if mine.any():
            rows = np.searchsorted(people, own.person[mine])
            cols = np.searchsorted(days, own.day[mine])
            np.subtract.at(grid, (rows, cols), own.hours[mine])
        able = np.count_nonzero(grid >= phase.hours_per_day - 1e-9, axis=0)
        score[role] = (int(np.count_nonzero(able < count)), -float((able - count).sum()) / count)
    return max(needs, key=lambda rc: (score[rc[0]], rc[0]))[0]


def _bottleneck(
    plan: Plan,
    ctx: Context,
    project: Project,
    actual: tuple[PhaseTiming, ...],
    own: Allocations,
) -> Bottleneck | None:
    if not actual:
        return None
    ready = _ready_days(project, actual)
    chain = _finishing_chain(project, actual, ready)
    lost = {k: _days_lost(ctx, project.phases[k], ready[k], actual[k]) for k in chain}

    def wait(k: int, waited: tuple[int, int] | None) -> PhaseWait:
        phase = project.phases[k]
        role = _short_role(ctx, plan.free, own, phase, waited)
        return PhaseWait(
            phase.id, phase.name or phase.id, role, ready[k], actual[k].end_day, lost[k]
        )

    with ctx.lock:  # the free grid holds other queries' work while they place it
        waits = sorted(
            (wait(k, (ready[k], actual[k].start_day)) for k in chain if lost[k] > 0),
            key=lambda w: (-w.days, w.ready_day),
        )
        # Nothing on the chain waited: its longest phase sets the pace.
        held = (
            waits[0]
            if waits
            else wait(max(chain, key=lambda j: actual[j].end_day - ready[j]), None)
        )
        weeks = _role_weeks(
            plan, ctx, held.role, held.ready_day, max(held.end_day, held.ready_day + 1)
        )
    return Bottleneck(held.phase, held.role, held.days, weeks, name=held.name, waits=tuple(waits))


def _role_weeks(
    plan: Plan, ctx: Context, role: str, lo: int, hi: int
) -> tuple[tuple[int, float], ...]:
    if role not in ctx.role_index:
        return ()
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
