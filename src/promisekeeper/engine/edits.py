"""Plan edits: take a project out, pin projects to booked hours, plan more work after a plan.

A promise that was made owns the hours it was checked against: such a project is
*pinned*, its allocations are exactly those hours and everything else is planned around
them. These functions build such plans from plain engine objects. None of them changes
the plan it is given; each returns a new :class:`~promisekeeper.engine.plan.Plan` whose
free grid is its own.

Examples
--------
>>> from datetime import date
>>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
>>> from promisekeeper.engine.plan import Allocations
>>> instance = Instance(
...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=30),
...     roles=("developer",),
...     people=(Person("ana", {"developer": 1.0}),),
...     projects=(
...         Project("booked", (EffortPhase("build", "developer", 16.0),)),
...         Project("next", (EffortPhase("build", "developer", 16.0),)),
...     ),
... )
>>> hours = Allocations.from_rows([(0, 1, 0, 8.0), (0, 2, 0, 8.0)])  # Tuesday and Wednesday
>>> plan = schedule_pinned(instance, {0: hours}, time_limit=0.1)
>>> [(r.id, r.phases[0].start_day, r.finish_day) for r in plan.projects.values()]
[('next', 0, 4), ('booked', 1, 3)]
>>> freed = plan_without(plan, "booked")
>>> float(freed.free[0, :5].sum()), list(freed.projects)
(24.0, ['next'])
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from promisekeeper.engine.capacity import capacity_matrix
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import Instance, Project, validate_instance
from promisekeeper.engine.placement import Context
from promisekeeper.engine.plan import Allocations, PhaseTiming, Plan, ProjectResult, project_result
from promisekeeper.engine.promise import (
    AnswerStatus,
    PromiseAnswer,
    earliest_finish,
    free_grid,
    plan_context,
)
from promisekeeper.engine.schedule import default_order, schedule, schedule_in_order


def plan_without(plan: Plan, project_id: str) -> Plan:
    """A copy of ``plan`` without one project: its hours are free again, nothing else moves.

    Parameters
    ----------
    plan
        The plan; it is not changed.
    project_id
        The project to take out. An id the plan does not hold (``""`` included) gives
        a copy of the plan with its own free grid that shares the plan's lookups.

    Returns
    -------
    Plan
        The other projects with their allocations and results as they were (project
        indices renumbered past the removed one); its hours added back to the free
        grid, never above the capacity.

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> from promisekeeper.engine.schedule import schedule
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=30),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ...     projects=(
    ...         Project("a", (EffortPhase("build", "developer", 8.0),), promised_day=3),
    ...         Project("b", (EffortPhase("build", "developer", 8.0),), promised_day=5),
    ...     ),
    ... )
    >>> plan = schedule(instance)
    >>> rest = plan_without(plan, "a")
    >>> list(rest.projects), rest.allocations.project.tolist(), rest.allocations.day.tolist()
    (['b'], [0], [1])
    >>> float(rest.free[0, 0]), float(plan.free[0, 0])
    (8.0, 0.0)
    """
    projects = plan.instance.projects
    k = next((i for i, p in enumerate(projects) if p.id == project_id), None)
    if k is None:
        # Share the lookups (they have their own lock), never the free grid.
        return Plan(
            plan.instance,
            plan.capacity,
            free_grid(plan),
            plan.allocations,
            plan.projects,
            context=plan_context(plan),
        )
    alloc = plan.allocations
    mine = alloc.project == k
    free = free_grid(plan)
    np.add.at(free, (alloc.person[mine], alloc.day[mine]), alloc.hours[mine])
    np.minimum(free, plan.capacity, out=free)
    kept = alloc.where(~mine)
    kept.project = np.where(kept.project > k, kept.project - 1, kept.project).astype(np.int32)
    instance = replace(plan.instance, projects=projects[:k] + projects[k + 1 :])
    results = {pid: r for pid, r in plan.projects.items() if pid != project_id}
    return Plan(instance, plan.capacity, free, kept, results)


def pinned_result(project: Project, allocations: Allocations) -> ProjectResult:
    """A pinned project's outcome: each phase spans its first to last allocated day.

    Phases without allocated hours get no timing; the status compares the last phase's
    end with ``project.promised_day`` as for a scheduled project.

    Examples
    --------
    >>> from promisekeeper.engine.model import EffortPhase, Project
    >>> from promisekeeper.engine.plan import Allocations
    >>> project = Project("p", (EffortPhase("build", "developer", 16.0),), promised_day=3)
    >>> result = pinned_result(project, Allocations.from_rows([(0, 2, 0, 8.0), (0, 4, 0, 8.0)]))
    >>> result.phases[0].start_day, result.finish_day, result.status.value
    (2, 5, 'late')
    """
    timings = []
    for j, phase in enumerate(project.phases):
        days = allocations.day[allocations.phase == j]
        if days.size:
            timings.append(PhaseTiming(phase.id, int(days.min()), int(days.max()) + 1))
    return project_result(project.id, project.promised_day, tuple(timings))


def schedule_pinned(
    instance: Instance, pinned: Mapping[int, Allocations], *, time_limit: float = 10.0
) -> Plan:
    """Plan ``instance`` with some projects pinned to given hours and the rest around them.

    Parameters
    ----------
    instance
        The portfolio; validated first.
    pinned
        Allocations keyed by the index in ``instance.projects`` of the project they
        pin: its person rows, days and phase indices (the ``project`` column is taken
        as that index). Pinned hours are taken off the capacity first (where they
        exceed it the free hours stop at zero); a pinned project's result is
        :func:`pinned_result`.
    time_limit
        Seconds the scheduler's repair pass may use.

    Returns
    -------
    Plan
        Without pins, :func:`~promisekeeper.engine.schedule.schedule` of the instance.
        Otherwise the unpinned projects placed in the scheduling order
        (:func:`~promisekeeper.engine.schedule.default_order`) on what the pins leave
        free, then repaired; their results come first, then the pinned ones, and the
        pinned allocations come first.

    Raises
    ------
    InvalidInput
        On a bad instance, or a pin whose project, person, day or phase is out of
        range, naming it (``pinned[k].day``).

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=30),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ...     projects=(
    ...         Project("promised", (EffortPhase("build", "developer", 40.0),)),
    ...         Project("new", (EffortPhase("build", "developer", 8.0),)),
    ...     ),
    ... )
    >>> week = Allocations.from_rows([(0, day, 0, 8.0) for day in range(5)])
    >>> plan = schedule_pinned(instance, {0: week}, time_limit=0.1)
    >>> plan.projects["new"].finish_day, plan.projects["promised"].finish_day
    (8, 5)
    """
    if not pinned:
        return schedule(instance, time_limit=time_limit)
    validate_instance(instance)
    pins = {k: _pin(instance, k, alloc, f"pinned[{k}]") for k, alloc in pinned.items()}
    capacity = capacity_matrix(instance)
    free = capacity.copy()
    for alloc in pins.values():
        np.subtract.at(free, (alloc.person, alloc.day), alloc.hours)
    np.maximum(free, 0.0, out=free)
    unpinned = [k for k in range(len(instance.projects)) if k not in pins]
    sub = replace(instance, projects=tuple(instance.projects[k] for k in unpinned))
    sub_plan = schedule_in_order(
        sub, default_order(sub), ctx=Context(sub, capacity), free=free, repair_seconds=time_limit
    )
    remap = np.asarray(unpinned, dtype=np.int32)
    scheduled = sub_plan.allocations
    scheduled.project = remap[scheduled.project] if len(scheduled) else scheduled.project
    results = dict(sub_plan.projects)
    for k, alloc in pins.items():
        project = instance.projects[k]
        results[project.id] = pinned_result(project, alloc)
    return Plan(
        instance, capacity, sub_plan.free, Allocations.concat([*pins.values(), scheduled]), results
    )


def schedule_after(plan: Plan, instance: Instance) -> Plan:
    """``plan`` with the projects ``instance`` adds after its own placed on what it leaves
    free, in the scheduling order; nothing of ``plan`` moves.

    This is how a pipeline of tentative work is pictured on top of firm work. There is
    no repair pass, and the added projects are not validated here.

    Parameters
    ----------
    plan
        The plan to keep; it is not changed.
    instance
        ``plan.instance`` with more projects after its own (same people and calendar).

    Returns
    -------
    Plan
        On ``instance``: ``plan``'s allocations followed by the added projects', and
        ``plan``'s results followed by theirs (in the order they were placed).

    Raises
    ------
    InvalidInput
        When ``instance`` does not start with ``plan``'s projects or its people and
        horizon do not match the plan's capacity grid.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> from promisekeeper.engine.schedule import schedule
    >>> firm = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=30),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ...     projects=(Project("firm", (EffortPhase("build", "developer", 40.0),)),),
    ... )
    >>> tentative = Project("maybe", (EffortPhase("build", "developer", 8.0),))
    >>> both = schedule_after(schedule(firm), replace(firm, projects=(*firm.projects, tentative)))
    >>> both.projects["firm"].finish_day, both.projects["maybe"].finish_day
    (5, 8)
    """
    ids = [p.id for p in plan.instance.projects]
    if [p.id for p in instance.projects[: len(ids)]] != ids:
        raise InvalidInput("instance.projects", "must start with the plan's projects")
    if plan.capacity.shape != (len(instance.people), instance.calendar.horizon_days):
        raise InvalidInput("instance.people", "must be the plan's people over the plan's horizon")
    ctx = Context(instance, plan.capacity)
    order = [i for i in default_order(instance) if i >= len(ids)]
    added = schedule_in_order(instance, order, ctx=ctx, free=plan.free.copy())
    return Plan(
        instance,
        plan.capacity,
        added.free,
        Allocations.concat([plan.allocations, added.allocations]),
        {**plan.projects, **added.projects},
        context=ctx,
    )


@dataclass(frozen=True, slots=True)
class Booked:
    """A project and the hours booked for it: person rows, days and phase indices (the
    ``project`` column is ignored)."""

    project: Project
    allocations: Allocations


def pin_projects(plan: Plan, booked: Sequence[Booked], *, removing: Collection[str] = ()) -> Plan:
    """``plan`` with each booked project pinned to its hours, replacing what it supersedes.

    Parameters
    ----------
    plan
        The plan; it is not changed.
    booked
        The projects and their booked hours, oldest first. A later entry for the same
        project id supersedes an earlier one (the project keeps the place of its first
        entry).
    removing
        Ids of projects the bookings supersede (a hold they replace, an earlier plan of
        the same work); ids the plan does not hold are ignored. Every booked project's
        own id is removed as well.

    Returns
    -------
    Plan
        The plan without the removed projects (:func:`plan_without`, nothing else
        moves), then the booked projects appended in order, their hours taken off the
        free grid (which stops at zero) and their results :func:`pinned_result`.

    Raises
    ------
    InvalidInput
        When a booked allocation's person, day or phase is out of range, naming it
        (``booked[k].allocations.day``).

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> from promisekeeper.engine.schedule import schedule
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=30),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ...     projects=(Project("hold", (EffortPhase("build", "developer", 16.0),)),),
    ... )
    >>> plan = schedule(instance)
    >>> promised = Project("promise", (EffortPhase("build", "developer", 16.0),))
    >>> hours = Allocations.from_rows([(0, 7, 0, 8.0), (0, 8, 0, 8.0)])
    >>> after = pin_projects(plan, [Booked(promised, hours)], removing={"hold"})
    >>> list(after.projects), after.projects["promise"].finish_day, float(after.free[0, 0])
    (['promise'], 9, 8.0)
    """
    latest = {b.project.id: (k, b) for k, b in enumerate(booked)}
    base = plan
    for project_id in sorted((set(removing) | set(latest)) & set(plan.projects)):
        base = plan_without(base, project_id)
    count = len(base.instance.projects)
    kept = list(latest.values())
    extended = replace(
        base.instance, projects=(*base.instance.projects, *(b.project for _, b in kept))
    )
    pins = [
        _pin(extended, count + n, b.allocations, f"booked[{k}].allocations")
        for n, (k, b) in enumerate(kept)
    ]
    free = free_grid(base)
    for alloc in pins:
        np.subtract.at(free, (alloc.person, alloc.day), alloc.hours)
    np.maximum(free, 0.0, out=free)
    results = dict(base.projects)
    for (_, b), alloc in zip(kept, pins, strict=True):
        results[b.project.id] = pinned_result(b.project, alloc)
    return Plan(
        extended, base.capacity, free, Allocations.concat([base.allocations, *pins]), results
    )


@dataclass(frozen=True, slots=True)
class Displaced:
    """A pinned project whose hours a capacity cut took away, and where it goes now.

    ``hours`` is what it held on person-days that no longer have them; ``answer`` is its
    new placement (:func:`~promisekeeper.engine.promise.earliest_finish`), ``kept`` whether
    that still finishes by its promised day.
    """

    project: Project
    hours: float
    answer: PromiseAnswer

    @property
    def kept(self) -> bool:
        return self.answer.status is AnswerStatus.FEASIBLE


def replace_displaced(
    plan: Plan,
    pinned: Collection[str],
    *,
    allowance: np.ndarray | None = None,
    tolerance: float = 1e-3,
) -> tuple[Plan, tuple[Displaced, ...]]:
    """Place again the pinned projects whose hours exceed the plan's capacity.

    A capacity cut (time off, a shorter week) can leave booked hours on a person-day that
    no longer has them. Each pinned project holding such hours is taken out whole
    (:func:`plan_without`) and placed again at its earliest on what is left free, the one
    promised first first, then pinned to its new hours. Nothing else moves.

    Parameters
    ----------
    plan
        A plan on the cut capacity, with the pinned projects' booked hours (as
        :func:`schedule_pinned` or :func:`pin_projects` build it); it is not changed.
    pinned
        Ids of the projects whose allocations are booked hours.
    allowance
        Extra hours per person-day the booked hours may use (approved overtime), the
        plan's capacity shape; none by default.
    tolerance
        Hours a person-day may be over before its projects are displaced (rounding).

    Returns
    -------
    tuple
        The plan with the displaced projects pinned to their new hours (appended), and
        the displaced projects in the order they were placed again.

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import (
    ...     Calendar, EffortPhase, Instance, Person, Project, TimeOff
    ... )
    >>> ana = Person("ana", {"developer": 1.0}, time_off=(TimeOff(1, 2),))  # Tuesday off
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=30),
    ...     roles=("developer",),
    ...     people=(ana,),
    ...     projects=(Project("p", (EffortPhase("build", "developer", 16.0),), promised_day=4),),
    ... )
    >>> booked = Allocations.from_rows([(0, 0, 0, 8.0), (0, 1, 0, 8.0)])  # Monday and Tuesday
    >>> plan, moved = replace_displaced(schedule_pinned(instance, {0: booked}), {"p"})
    >>> [(d.project.id, d.hours, d.kept) for d in moved]
    [('p', 8.0, True)]
    >>> plan.allocations.day.tolist(), plan.projects["p"].finish_day
    ([0, 2], 3)
    """
    ids = [p.id for p in plan.instance.projects]
    held = np.isin(plan.allocations.project, [k for k, pid in enumerate(ids) if pid in pinned])
    alloc = plan.allocations.where(held)
    load = np.zeros_like(plan.capacity)
    np.add.at(load, (alloc.person, alloc.day), alloc.hours)
    limit = plan.capacity if allowance is None else plan.capacity + allowance
    over = load > limit + tolerance
    on_over = over[alloc.person, alloc.day]
    lost: dict[int, float] = {}
    for k, hours in zip(
        alloc.project[on_over].tolist(), alloc.hours[on_over].tolist(), strict=True
    ):
        lost[k] = lost.get(k, 0.0) + hours
    return replace_projects(plan, {ids[k]: hours for k, hours in lost.items()})


def replace_projects(plan: Plan, hours: Mapping[str, float]) -> tuple[Plan, tuple[Displaced, ...]]:
    """Place the projects ``hours`` names again, each taken out whole and placed at its
    earliest on what everything else leaves free, the one promised first first; nothing
    else moves.

    Parameters
    ----------
    plan
        The plan; it is not changed.
    hours
        By project id, the hours that made it move (reported as :attr:`Displaced.hours`):
        what a capacity cut took, or work logged beyond a reservation.

    Returns
    -------
    tuple
        The plan with those projects pinned to their new hours (appended), and the
        projects in the order they were placed again.

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=30),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ...     projects=(Project("p", (EffortPhase("build", "developer", 24.0),), promised_day=4),),
    ... )
    >>> booked = Allocations.from_rows([(0, 0, 0, 8.0)])  # 8 hours booked, 24 to do
    >>> plan, moved = replace_projects(schedule_pinned(instance, {0: booked}), {"p": 16.0})
    >>> [(d.project.id, d.hours, d.kept) for d in moved], plan.allocations.day.tolist()
    ([('p', 16.0, True)], [0, 1, 2])
    """
    ids = [p.id for p in plan.instance.projects]
    index = {pid: k for k, pid in enumerate(ids)}
    order = sorted(
        (index[pid] for pid in hours),
        key=lambda k: (_promised(plan.instance.projects[k]), ids[k]),
    )
    base = plan
    for k in order:
        base = plan_without(base, ids[k])
    moved = []
    for k in order:
        project = plan.instance.projects[k]
        answer = earliest_finish(base, project)
        base = pin_projects(base, [Booked(project, answer.allocations)])
        moved.append(Displaced(project, hours[ids[k]], answer))
    return base, tuple(moved)


def _promised(project: Project) -> int:
    return project.promised_day if project.promised_day is not None else 1 << 30


def _pin(instance: Instance, k: int, alloc: Allocations, where: str) -> Allocations:
    """``alloc`` as allocations of project ``k`` of ``instance``, after checking that every
    person, day and phase it names exists."""
    if not 0 <= k < len(instance.projects):
        raise InvalidInput(where, f"no project at index {k}")
    bounds = (
        ("person", alloc.person, len(instance.people)),
        ("day", alloc.day, instance.calendar.horizon_days),
        ("phase", alloc.phase, len(instance.projects[k].phases)),
    )
    for name, values, size in bounds:
        if len(values) and not (values.min() >= 0 and values.max() < size):
            raise InvalidInput(f"{where}.{name}", f"must be in 0..{size - 1}")
    return Allocations(
        person=alloc.person.astype(np.int32),
        day=alloc.day.astype(np.int32),
        project=np.full(len(alloc), k, dtype=np.int32),
        phase=alloc.phase.astype(np.int32),
        hours=alloc.hours.astype(np.float64),
    )
