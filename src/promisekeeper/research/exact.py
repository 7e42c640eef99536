"""Exact scheduling with OR-Tools CP-SAT (imported lazily, only when called).

:func:`solve_exact` builds one interval per phase and one cumulative
constraint per role:

* A fixed phase needs its crew on each of its ``days`` consecutive working
  days. A role's capacity is the number of people qualified for it, which is
  exact when everybody has one role (every RCPSP-shaped instance) and a
  relaxation when people hold several roles.
* An effort phase is *approximated* by a fixed-duration interval: ``k =
  min(max_people, qualified)`` people of its role for
  ``ceil(effort_hours / (k * min(max_hours_per_day, h) * e))`` working days,
  where ``h`` is the median of the qualified people's mean hours on a working
  weekday and ``e`` the median of their efficiencies. It occupies ``k`` units
  of the role on every one of those days. Time off, partial availability and
  spreading work over more days are ignored, so the result is a quick
  estimate, not a plan; convert it with the scheduler for exact hours.
* Time runs in *working-day indices*: phases run on working days only. A lag
  of ``L`` calendar days becomes ``L`` working days, which is exact when
  every day works and conservative otherwise (``L`` working days always span
  at least ``L`` calendar days). Release days round up to the next working
  day, promised days down to the previous one. Start days are returned as
  calendar days.

The objective is the makespan when there is one project without a promise
(the RCPSP); otherwise total weighted lateness in working days
(:func:`~promisekeeper.research.rcpsp.lateness_weight`), then makespan.

:func:`improve_rcpsp` runs the heuristic for a short share of the budget, then
CP-SAT with the heuristic schedule as hint and upper bound.

Examples
--------
>>> from datetime import date
>>> from promisekeeper.engine.model import (
...     Calendar, Dependency, FixedPhase, Instance, Person, Project)
>>> week = (8.0,) * 7
>>> instance = Instance(
...     Calendar(date(2024, 1, 1), 30, (True,) * 7),
...     ("dev",),
...     (Person("ann", {"dev": 1.0}, week), Person("bob", {"dev": 1.0}, week)),
...     (Project("p", (
...         FixedPhase("a", 3, {"dev": 2}),
...         FixedPhase("b", 2, {"dev": 1}),
...         FixedPhase("c", 2, {"dev": 1}, predecessors=(Dependency("a"),)),
...     )),),
... )
>>> result = solve_exact(instance, time_limit=5.0)
>>> result.status, result.makespan, result.lower_bound
(<ExactStatus.OPTIMAL: 'optimal'>, 5, 5)
"""

from __future__ import annotations

import enum
import math
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from promisekeeper.engine.capacity import working_day_mask
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    dependency_order,
    validate_instance,
)
from promisekeeper.research.rcpsp import (
    PhaseKey,
    RcpspResult,
    RcpspStatus,
    lateness_weight,
    rcpsp_solve,
)

HEURISTIC_SHARE = 0.2
EXACT_SHARE = 0.4
RESERVE_SHARE = 0.03  # CP-SAT's model building and presolve run past its own limit


class ExactStatus(enum.StrEnum):
    """What CP-SAT established within the time limit."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    UNKNOWN = "unknown"
    INFEASIBLE = "infeasible"


@dataclass(frozen=True, slots=True)
class ExactResult:
    """Outcome of :func:`solve_exact`.

    ``starts`` maps ``(project_id, phase_id)`` to a calendar start day (empty
    unless ``OPTIMAL`` or ``FEASIBLE``); ``makespan`` is the exclusive calendar
    end of the last phase. ``objective`` and ``lower_bound`` (CP-SAT's best
    objective bound) are in working days: the makespan for a single project
    without a promise, otherwise ``weighted_lateness * (working_days + 1) +
    makespan``. ``wall_time`` is in seconds.
    """

    status: ExactStatus
    starts: dict[PhaseKey, int] = field(default_factory=dict)
    makespan: int | None = None
    objective: int | None = None
    lower_bound: int | None = None
    weighted_lateness: int | None = None
    wall_time: float = 0.0
    reason: str = ""


@dataclass(slots=True)
class _Task:
    key: PhaseKey
    project: int
    duration: int
    demands: dict[str, int]
    release: int
    preds: list[tuple[int, int]]


def solve_exact(
    instance: Instance,
    *,
    time_limit: float,
    hint: Mapping[PhaseKey, int] | None = None,
    workers: int = 2,
    upper_bound: int | None = None,
) -> ExactResult:
    """Schedule with CP-SAT; see the module docstring for the model.

    Parameters
    ----------
    instance
        Any valid instance; effort phases are approximated.
    time_limit
        Seconds CP-SAT may search.
    hint
        Calendar start day per ``(project_id, phase_id)``, e.g. from
        :func:`~promisekeeper.research.rcpsp.rcpsp_solve`; passed to CP-SAT as a
        solution hint.
    workers
        CP-SAT search workers.
    upper_bound
        Only look for solutions with an objective at most this value (working
        days); use the hint's objective. A bound below every solution yields
        ``INFEASIBLE``.

    Returns
    -------
    ExactResult
        ``OPTIMAL``, ``FEASIBLE``, ``UNKNOWN`` (nothing found in time) or
        ``INFEASIBLE`` (proven: a crew larger than its role, or the work does
        not fit the horizon).

    Raises
    ------
    InvalidInput
        If the instance is invalid, the time limit not positive, or the hint
        names an unknown phase.
    """
    clock = time.perf_counter()
    validate_instance(instance)
    if not time_limit > 0:
        raise InvalidInput("time_limit", f"must be positive, got {time_limit}")
    if workers < 1:
        raise InvalidInput("workers", f"must be >= 1, got {workers}")
    working = np.flatnonzero(working_day_mask(instance.calendar))
    n_days = len(working)
    capacity = _capacities(instance)
    tasks, problem = _tasks(instance, working, capacity)
    index = {task.key: k for k, task in enumerate(tasks)}
    for key in hint or {}:
        if key not in index:
            raise InvalidInput("hint", f"unknown phase {key}")

    def done(status: ExactStatus, reason: str = "", **values: Any) -> ExactResult:
        return ExactResult(status, wall_time=time.perf_counter() - clock, reason=reason, **values)

    if problem:
        return done(ExactStatus.INFEASIBLE, problem)
    if not tasks:
        return done(ExactStatus.OPTIMAL, makespan=0, objective=0, lower_bound=0)

    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    heads = _heads(tasks)
    tails = _tails(tasks)
    starts, ends = [], []
    intervals: dict[str, tuple[list[Any], list[int]]] = {}
    for k, task in enumerate(tasks):
        latest = n_days - tails[k]
        if latest < heads[k]:
            return done(
                ExactStatus.INFEASIBLE,
                f"phase {task.key} cannot finish within the {n_days} working days of the horizon",
            )
        start = model.new_int_var(heads[k], latest, f"s{k}")
        end = model.new_int_var(heads[k] + task.duration, latest + task.duration, f"e{k}")
        interval = model.new_interval_var(start, task.duration, end, f"i{k}")
        starts.append(start)
        ends.append(end)
        for role, count in task.demands.items():
            bucket = intervals.setdefault(role, ([], []))
            bucket[0].append(interval)
            bucket[1].append(count)
    for k, task in enumerate(tasks):
        for p, lag in task.preds:
            model.add(starts[k] >= ends[p] + lag)
    for role, (role_intervals, demands) in intervals.items():
        model.add_cumulative(role_intervals, demands, capacity[role])
    makespan = model.new_int_var(
        max(h + t.duration for h, t in zip(heads, tasks, strict=True)), n_days, "makespan"
    )
    has_successor = {p for task in tasks for p, _ in task.preds}
    for k, end in enumerate(ends):
        if k not in has_successor:
            model.add(makespan >= end)

    projects = instance.projects
    late_terms = []
    for p, project in enumerate(projects):
        if project.promised_day is None:
            continue
        promised = int(np.searchsorted(working, project.promised_day, side="right")) - 1
        finish = model.new_int_var(0, n_days, f"f{p}")
        model.add_max_equality(finish, [ends[k] for k, t in enumerate(tasks) if t.project == p])
        late = model.new_int_var(0, n_days, f"late{p}")
        model.add(late >= finish - 1 - promised)
        late_terms.append((lateness_weight(project), late))
    big = n_days + 1
    if late_terms:
        lateness = sum(w * late for w, late in late_terms)
        objective = lateness * big + makespan
    else:
        objective = makespan
    model.minimize(objective)
    if upper_bound is not None:
        model.add(objective <= upper_bound)
    for key, day in (hint or {}).items():
        k = index[key]
        model.add_hint(starts[k], int(np.searchsorted(working, day)))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = 0
    code = solver.solve(model)
    status = {
        cp_model.OPTIMAL: ExactStatus.OPTIMAL,
        cp_model.FEASIBLE: ExactStatus.FEASIBLE,
        cp_model.INFEASIBLE: ExactStatus.INFEASIBLE,
    }.get(code, ExactStatus.UNKNOWN)
    if status is ExactStatus.UNKNOWN or status is ExactStatus.INFEASIBLE:
        reason = (
            "no schedule within the bounds"
            if status is ExactStatus.INFEASIBLE
            else "no solution found in the time limit"
        )
        return done(status, reason)
    start_days = {task.key: int(working[solver.value(starts[k])]) for k, task in enumerate(tasks)}
    span = int(solver.value(makespan))
    return done(
        status,
        starts=start_days,
        makespan=int(working[span - 1]) + 1 if span > 0 else 0,
        objective=int(solver.objective_value),
        lower_bound=int(math.ceil(solver.best_objective_bound - 1e-9)),
        weighted_lateness=int(sum(w * solver.value(late) for w, late in late_terms)),
    )


def improve_rcpsp(instance: Instance, *, time_limit: float, seed: int = 0) -> RcpspResult:
    """Heuristic, then CP-SAT seeded with its schedule, then the heuristic again.

    :func:`~promisekeeper.research.rcpsp.rcpsp_solve` gets ``HEURISTIC_SHARE``
    of ``time_limit``. Unless it reached its lower bound, CP-SAT gets
    ``EXACT_SHARE`` with the heuristic schedule as hint and its objective as
    upper bound: enough to prove most optima of small instances. If that
    proves nothing, a second heuristic run (seed + 1) uses the rest, because
    on hard instances the genetic algorithm improves faster than CP-SAT on two
    workers. Returns the best schedule found; ``OPTIMAL`` when its objective
    meets a proven bound.

    Raises
    ------
    InvalidInput
        If the instance is not RCPSP-shaped.
    """
    clock = time.perf_counter()
    best = rcpsp_solve(instance, time_limit=time_limit * HEURISTIC_SHARE, seed=seed)
    if best.status is not RcpspStatus.FEASIBLE or best.makespan is None:
        return best
    schedules = best.schedules
    big = instance.calendar.horizon_days + 1
    single = len(instance.projects) == 1 and instance.projects[0].promised_day is None

    def objective(result: RcpspResult) -> int:
        assert result.makespan is not None
        return result.makespan + (0 if single else result.weighted_lateness * big)

    bound = best.lower_bound
    exact = solve_exact(
        instance,
        time_limit=time_limit * (EXACT_SHARE - RESERVE_SHARE),
        hint=best.starts,
        upper_bound=objective(best),
    )
    if exact.status is ExactStatus.OPTIMAL or exact.status is ExactStatus.FEASIBLE:
        assert exact.makespan is not None and exact.objective is not None
        if single and exact.lower_bound is not None:
            bound = max(bound, exact.lower_bound)
        if exact.objective < objective(best) or exact.status is ExactStatus.OPTIMAL:
            lateness = exact.weighted_lateness or 0
            best = replace(
                best, starts=exact.starts, makespan=exact.makespan, weighted_lateness=lateness
            )
        if exact.status is ExactStatus.OPTIMAL:
            return replace(
                best,
                status=RcpspStatus.OPTIMAL,
                lower_bound=bound if not single else exact.makespan,
                wall_time=time.perf_counter() - clock,
            )
    remaining = time_limit * (1 - RESERVE_SHARE) - (time.perf_counter() - clock)
    if not (single and objective(best) <= bound) and remaining > 0.01:
        again = rcpsp_solve(instance, time_limit=remaining, seed=seed + 1)
        schedules += again.schedules
        if objective(again) < objective(best):
            best = again
    proven = single and objective(best) <= bound or best.status is RcpspStatus.OPTIMAL
    return replace(
        best,
        status=RcpspStatus.OPTIMAL if proven else RcpspStatus.FEASIBLE,
        lower_bound=bound,
        schedules=schedules,
        wall_time=time.perf_counter() - clock,
    )


def _capacities(instance: Instance) -> dict[str, int]:
    capacity = dict.fromkeys(instance.roles, 0)
    for person in instance.people:
        for role in person.skills:
            capacity[role] += 1
    return capacity


def _typical_hours(person: Person, instance: Instance) -> float:
    days = [
        hours * person.delivery_share
        for hours, works in zip(
            person.weekly_hours, instance.calendar.working_weekdays, strict=True
        )
        if works
    ]
    return sum(days) / len(days) if days else 0.0


def _tasks(
    instance: Instance, working: np.ndarray, capacity: dict[str, int]
) -> tuple[list[_Task], str]:
    """Phases as fixed-duration tasks in working-day space, or a reason they cannot fit."""
    tasks: list[_Task] = []
    problem = ""
    for p, project in enumerate(instance.projects):
        index = {phase.id: len(tasks) + k for k, phase in enumerate(project.phases)}
        release = int(np.searchsorted(working, project.release_day))
        for phase in project.phases:
            key = (project.id, phase.id)
            if isinstance(phase, FixedPhase):
                duration = phase.days
                demands = {r: c for r, c in phase.crew.items() if c > 0 and duration > 0}
            else:
                duration, demands, why = _effort_task(phase, instance)
                problem = problem or why.format(key=key)
            for role, count in demands.items():
                if count > capacity[role]:
                    problem = problem or (
                        f"phase {key} needs {count} people of role {role}, "
                        f"only {capacity[role]} qualified"
                    )
            preds = [(index[d.phase], d.lag_days) for d in phase.predecessors]
            tasks.append(_Task(key, p, duration, demands, release, preds))
    return tasks, problem


def _effort_task(phase: EffortPhase, instance: Instance) -> tuple[int, dict[str, int], str]:
    if phase.remaining_hours <= 0:
        return 0, {}, ""
    qualified = [p for p in instance.people if phase.role in p.skills]
    hours = statistics.median([_typical_hours(p, instance) for p in qualified] or [0.0])
    efficiency = statistics.median([p.skills[phase.role] for p in qualified] or [0.0])
    crew = min(phase.max_people, len(qualified))
    daily = crew * min(phase.max_hours_per_day, hours) * efficiency
    if daily <= 0:
        return 0, {}, "phase {key}: nobody can deliver role " + repr(phase.role)
    return math.ceil(phase.remaining_hours / daily - 1e-9), {phase.role: crew}, ""


def _heads(tasks: list[_Task]) -> list[int]:
    """Earliest start per task from release days, durations and lags."""
    heads = [task.release for task in tasks]
    for k in _topological(tasks):
        for p, lag in tasks[k].preds:
            heads[k] = max(heads[k], heads[p] + tasks[p].duration + lag)
    return heads


def _tails(tasks: list[_Task]) -> list[int]:
    """Length of the longest path from each task's start to the end of the schedule."""
    tails = [task.duration for task in tasks]
    for k in reversed(_topological(tasks)):
        for p, lag in tasks[k].preds:
            tails[p] = max(tails[p], tasks[p].duration + lag + tails[k])
    return tails


def _topological(tasks: list[_Task]) -> list[int]:
    return dependency_order([[p for p, _ in task.preds] for task in tasks])
