"""Plan a whole portfolio so that promises already made are kept.

Projects are placed one after another, each as early as the capacity left by
the ones before allows. The order is what keeps promises: work in delivery and
committed work first (earliest promised date first), then held, then
tentative work. A repair pass then tries to rescue late projects by moving
them ahead of earlier projects that have slack to spare.

Examples
--------
>>> from datetime import date
>>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
>>> instance = Instance(
...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=60),
...     roles=("developer",),
...     people=(Person("ana", {"developer": 1.0}),),
...     projects=(Project("site", (EffortPhase("build", "developer", 40.0),), promised_day=6),),
... )
>>> plan = schedule(instance)
>>> plan.projects["site"].finish_day, plan.projects["site"].status.value
(5, 'on_time')
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from promisekeeper.engine.model import (
    Instance,
    Project,
    ProjectState,
    project_roles,
    validate_instance,
)
from promisekeeper.engine.placement import Context, Placement, place_project, release
from promisekeeper.engine.plan import (
    Allocations,
    Plan,
    ProjectResult,
    ProjectStatus,
    project_result,
)

_REPAIR_LOOKBACK = 12


def priority_class(project: Project) -> int:
    """0 for promised work (in delivery or committed), 1 for held, 2 for tentative."""
    if project.state in (ProjectState.IN_DELIVERY, ProjectState.COMMITTED):
        return 0
    return 1 if project.state is ProjectState.HELD else 2


def priority_key(project: Project) -> tuple[int, int, int, int, int]:
    """Sort key of the scheduling order: class, earliest promise, priority, release."""
    promised = project.promised_day if project.promised_day is not None else 1 << 30
    return (
        priority_class(project),
        promised,
        -project.priority,
        int(project.state),
        project.release_day,
    )


def default_order(instance: Instance) -> list[int]:
    """Indices of ``instance.projects`` in the order ``schedule`` places them."""
    return sorted(range(len(instance.projects)), key=lambda i: priority_key(instance.projects[i]))


@dataclass(slots=True)
class _Book:
    """Mutable working state of one scheduling run."""

    ctx: Context
    free: np.ndarray
    placements: dict[int, Placement]
    order: list[int]


def _place(book: _Book, index: int) -> Placement:
    placement = place_project(book.ctx, book.free, book.ctx.instance.projects[index], index)
    book.placements[index] = placement
    return placement


def _lateness(project: Project, placement: Placement) -> int:
    if placement.failed_phase is not None:
        return 1 << 20
    if project.promised_day is None:
        return 0
    finish = max((t.end_day for t in placement.timings), default=0)
    return max(0, finish - 1 - project.promised_day)


def _block_lateness(book: _Book, block: Sequence[int]) -> tuple[int, int]:
    projects = book.ctx.instance.projects
    late = [_lateness(projects[i], book.placements[i]) for i in block]
    return sum(1 for x in late if x > 0), sum(late)


def _try_move(book: _Book, late_pos: int, target_pos: int) -> bool:
    """Move the project at ``late_pos`` to ``target_pos``; keep it only if lateness drops."""
    block = book.order[target_pos : late_pos + 1]
    before = _block_lateness(book, block)
    old = {i: book.placements[i] for i in block}
    for i in block:
        release(book.free, old[i].allocations)
    reordered = [block[-1], *block[:-1]]
    for i in reordered:
        _place(book, i)
    after = _block_lateness(book, block)
    if after[1] < before[1] and after[0] <= before[0]:
        book.order[target_pos : late_pos + 1] = reordered
        return True
    for i in block:
        release(book.free, book.placements[i].allocations)
    for i in block:
        placed = old[i]
        np.subtract.at(
            book.free, (placed.allocations.person, placed.allocations.day), placed.allocations.hours
        )
        book.placements[i] = placed
    return False


def _repair(book: _Book, deadline: float) -> None:
    """Rescue late promised projects by moving each ahead of earlier ones with slack.

    Work in delivery is never overtaken: its people are already on it.
    """
    projects = book.ctx.instance.projects
    pos = 0
    while pos < len(book.order) and time.perf_counter() < deadline:
        index = book.order[pos]
        project = projects[index]
        if priority_class(project) != 0 or _lateness(project, book.placements[index]) == 0:
            pos += 1
            continue
        roles = project_roles(project)
        for target in range(pos - 1, max(-1, pos - 1 - _REPAIR_LOOKBACK), -1):
            other = projects[book.order[target]]
            if other.state is ProjectState.IN_DELIVERY:
                break
            if priority_class(other) != 0 or not roles & project_roles(other):
                continue
            slack = _slack(other, book.placements[book.order[target]])
            if slack > 0 and _try_move(book, pos, target):
                break
            if time.perf_counter() >= deadline:
                return
        pos += 1


def _slack(project: Project, placement: Placement) -> int:
    if project.promised_day is None or placement.failed_phase is not None:
        return 0
    finish = max((t.end_day for t in placement.timings), default=0)
    return project.promised_day - (finish - 1)


def _result(project: Project, placement: Placement) -> ProjectResult:
    if placement.failed_phase is not None:
        # The reason is read by people (the at-risk list): the phase's name, not its key.
        failed = next(p for p in project.phases if p.id == placement.failed_phase)
        return ProjectResult(
            project.id,
            ProjectStatus.UNSCHEDULED,
            None,
            project.promised_day,
            None,
            (),
            reason=f"phase {failed.name or failed.id!r} does not fit before the horizon ends",
        )
    return project_result(project.id, project.promised_day, placement.timings)


def _plan_from_book(book: _Book) -> Plan:
    projects = book.ctx.instance.projects
    results = {projects[i].id: _result(projects[i], book.placements[i]) for i in book.order}
    allocations = Allocations.concat([book.placements[i].allocations for i in book.order])
    return Plan(
        book.ctx.instance, book.ctx.capacity, book.free, allocations, results, context=book.ctx
    )


def schedule_in_order(
    instance: Instance,
    order: Sequence[int],
    *,
    ctx: Context | None = None,
    free: np.ndarray | None = None,
    repair_seconds: float = 0.0,
) -> Plan:
    """Place the projects at ``order`` one by one (a serial schedule), then repair.

    ``free`` (optional) is the grid to place onto; by default the full capacity.
    """
    ctx = ctx or Context(instance)
    book = _Book(ctx, ctx.capacity.copy() if free is None else free, {}, list(order))
    for index in book.order:
        _place(book, index)
    if repair_seconds > 0:
        _repair(book, time.perf_counter() + repair_seconds)
    return _plan_from_book(book)


def schedule(instance: Instance, *, time_limit: float = 10.0) -> Plan:
    """Plan all work of ``instance``; the returned plan satisfies every engine invariant.

    Parameters
    ----------
    instance
        The portfolio. Validated first; bad input raises ``InvalidInput``.
    time_limit
        Seconds the repair pass may use. The constructive plan itself is
        always produced.
    """
    orders = validate_instance(instance)
    ctx = Context(instance, orders=orders)
    return schedule_in_order(instance, default_order(instance), ctx=ctx, repair_seconds=time_limit)


def plan_from_start_days(instance: Instance, starts: Mapping[tuple[str, str], int]) -> Plan:
    """Build a plan whose phases start no earlier than ``starts[(project, phase)]``.

    Phases are placed in topological order at the earliest feasible day from
    the given start on; for a resource-feasible start assignment (such as a
    CP-SAT or RCPSP solution) every phase lands exactly on its start.
    """
    ctx = Context(instance)
    book = _Book(ctx, ctx.capacity.copy(), {}, [])
    by_project: dict[str, dict[str, int]] = {}
    for (project_id, phase_id), day in starts.items():
        by_project.setdefault(project_id, {})[phase_id] = int(day)
    first_start = {
        i: min(by_project.get(p.id, {}).values(), default=0)
        for i, p in enumerate(instance.projects)
    }
    book.order = sorted(range(len(instance.projects)), key=lambda i: (first_start[i], i))
    for index in book.order:
        project = instance.projects[index]
        book.placements[index] = place_project(
            ctx, book.free, project, index, fixed_starts=by_project.get(project.id, {})
        )
    return _plan_from_book(book)
