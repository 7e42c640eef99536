"""Plan surgery on engine plans: pin booked hours, remove a project, add the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from promisekeeper.engine.capacity import capacity_matrix
from promisekeeper.engine.model import (
    Instance,
    Project,
    validate_instance,
)
from promisekeeper.engine.placement import Context
from promisekeeper.engine.plan import Allocations, PhaseTiming, Plan, ProjectResult, project_result
from promisekeeper.engine.promise import free_grid, plan_context
from promisekeeper.engine.schedule import default_order, schedule, schedule_in_order
from promisekeeper.promising.to_engine import ProjectRef

SCHEDULE_SECONDS = 1.0


Pinned = dict[int, Allocations]


def allocations_of_rows(project: int, rows: list[tuple[int, int, int, float]]) -> Allocations:
    return Allocations(
        person=np.array([r[0] for r in rows], dtype=np.int32),
        day=np.array([r[1] for r in rows], dtype=np.int32),
        project=np.full(len(rows), project, dtype=np.int32),
        phase=np.array([r[2] for r in rows], dtype=np.int32),
        hours=np.array([r[3] for r in rows], dtype=np.float64),
    )


def pinned_result(project: Project, allocations: Allocations) -> ProjectResult:
    """A pinned project's outcome: each phase spans its first to last reserved day."""
    timings = []
    for j, phase in enumerate(project.phases):
        days = allocations.day[allocations.phase == j]
        if days.size:
            timings.append(PhaseTiming(phase.id, int(days.min()), int(days.max()) + 1))
    return project_result(project.id, project.promised_day, tuple(timings))


def firm_plan_build(firm_instance: Instance, pinned: Pinned) -> Plan:
    """Plan firm work: pinned reservations as booked, everything else scheduled around them."""
    if not pinned:
        return schedule(firm_instance, time_limit=SCHEDULE_SECONDS)
    validate_instance(firm_instance)
    capacity = capacity_matrix(firm_instance)
    free = capacity.copy()
    for alloc in pinned.values():
        np.subtract.at(free, (alloc.person, alloc.day), alloc.hours)
    np.maximum(free, 0.0, out=free)
    unpinned = [k for k in range(len(firm_instance.projects)) if k not in pinned]
    sub = replace(firm_instance, projects=tuple(firm_instance.projects[k] for k in unpinned))
    sub_plan = schedule_in_order(
        sub,
        default_order(sub),
        ctx=Context(sub, capacity),
        free=free,
        repair_seconds=SCHEDULE_SECONDS,
    )
    remap = np.asarray(unpinned, dtype=np.int32)
    scheduled = sub_plan.allocations
    scheduled.project = remap[scheduled.project] if len(scheduled) else scheduled.project
    results = dict(sub_plan.projects)
    for k, alloc in pinned.items():
        project = firm_instance.projects[k]
        results[project.id] = pinned_result(project, alloc)
    return Plan(
        firm_instance,
        capacity,
        sub_plan.free,
        Allocations.concat([*pinned.values(), scheduled]),
        results,
    )


def pipeline_plan(instance: Instance, firm_plan: Plan, firm_count: int) -> Plan:
    ctx = Context(instance, firm_plan.capacity)
    tentative_order = [i for i in default_order(instance) if i >= firm_count]
    pipeline = schedule_in_order(instance, tentative_order, ctx=ctx, free=firm_plan.free.copy())
    return Plan(
        instance,
        firm_plan.capacity,
        pipeline.free,
        Allocations.concat([firm_plan.allocations, pipeline.allocations]),
        {**firm_plan.projects, **pipeline.projects},
        context=ctx,
    )


def plan_without(plan: Plan, project_id: str) -> Plan:
    """A copy of ``plan`` without one project: its hours are free again, nothing else moves."""
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


@dataclass(frozen=True)
class CommittedProject:
    """One project that now holds exactly ``allocations`` (reserved hours, any project index).

    ``replaces`` names the firm engine projects it supersedes (the deal's hold, or the
    project's own earlier plan); ``deal_pk`` names the deal whose tentative or held copy goes.
    """

    project: Project
    ref: ProjectRef
    allocations: Allocations
    replaces: tuple[str, ...] = ()
    deal_pk: int | None = None


BookedRow = tuple[int, int, int, Decimal]
"""One booked reservation: person row, day index, phase index (of the engine project), hours."""


def booked_allocations(booked: Sequence[BookedRow]) -> Allocations:
    """Booked rows (person index, day, phase index, hours) as engine allocations."""
    return allocations_of_rows(0, [(p, d, j, float(h)) for p, d, j, h in booked])
