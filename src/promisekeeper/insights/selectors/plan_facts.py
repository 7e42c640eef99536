"""The plan as plain facts: weekly capacity and load per person, and every planned project.

Built once per snapshot from ``promising.cache.portfolio_snapshot`` and keyed by database
primary keys and dates, so nothing above this module sees engine indices or day numbers.
"""

from __future__ import annotations

import datetime
import threading
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from promisekeeper.insights import kpis
from promisekeeper.people.models import Person
from promisekeeper.promising.cache import portfolio_snapshot
from promisekeeper.promising.plan_types import (
    EffortPhase,
    PlannedProject,
    ProjectRef,
    ProjectResult,
)
from promisekeeper.promising.snapshot import Snapshot

HORIZON_WEEKS = 12

ProjectKey = tuple[str, int]  # ("project" or "deal", primary key)


@dataclass(frozen=True)
class PhasePlan:
    key: str
    name: str
    role: str
    start: datetime.date
    end: datetime.date  # last working day (inclusive)
    wait_days: int


@dataclass(frozen=True)
class ProjectPlan:
    ref_kind: str  # "project" or "deal"
    pk: int
    name: str
    state: str
    status: str
    finish: datetime.date | None  # last day of work (inclusive)
    promised: datetime.date | None
    lateness_days: int | None
    win_probability: float
    phases: tuple[PhasePlan, ...]
    reason: str = ""

    @property
    def slack_days(self) -> int | None:
        return None if self.lateness_days is None else -self.lateness_days

    @property
    def phases_text(self) -> str:
        return "; ".join(f"{p.name} {p.start:%d %b}–{p.end:%d %b}" for p in self.phases)

    @property
    def url(self) -> str:
        if self.ref_kind == "project":
            return f"/delivery/projects/{self.pk}/"
        return f"/sales/deals/{self.pk}/"


@dataclass
class PlanFacts:
    """Weekly capacity and load per person for the next weeks, and every planned project."""

    today: datetime.date
    ledger_version: int
    weeks: list[datetime.date]
    person_pks: list[int]
    person_names: dict[int, str]
    person_team: dict[int, int | None]
    person_role: dict[int, str]
    roles: list[str]
    capacity: np.ndarray  # people × weeks
    firm_load: np.ndarray  # people × weeks (in delivery, committed, held)
    pipeline_load: np.ndarray  # people × weeks (tentative, unweighted)
    pipeline_weighted: np.ndarray  # people × weeks (tentative × win probability)
    firm_remaining: np.ndarray  # people: firm hours planned from today to the horizon end
    cells: dict[tuple[int, int], dict[ProjectKey, float]]  # (person row, week) → hours
    projects: dict[ProjectKey, ProjectPlan]
    project_people: dict[ProjectKey, set[int]]
    pipeline_demand_weighted: float


_facts_lock = threading.Lock()
_facts_cache: list[tuple[Snapshot, PlanFacts]] = []


def plan_facts_get(*, today: datetime.date | None = None) -> PlanFacts:
    """Plan facts for the current snapshot; rebuilt only when the snapshot object changes."""
    snapshot = portfolio_snapshot(today=today)
    with _facts_lock:
        if _facts_cache and _facts_cache[0][0] is snapshot:
            return _facts_cache[0][1]
        facts = plan_facts_build(snapshot)
        _facts_cache[:] = [(snapshot, facts)]
    return facts


def _week_index(snapshot: Snapshot, days: np.ndarray) -> np.ndarray:
    return (days + snapshot.today.weekday()) // 7


def _engine_effort_hours(project: PlannedProject) -> float:
    total = 0.0
    for phase in project.phases:
        if isinstance(phase, EffortPhase):
            total += float(phase.remaining_hours)
        else:
            total += float(phase.days) * float(phase.hours_per_day) * sum(phase.crew.values())
    return total


@dataclass(frozen=True)
class _Allocated:
    """The plan's allocation rows as arrays, with each row's week (from today's week)."""

    person: np.ndarray
    project: np.ndarray
    hours: np.ndarray
    week: np.ndarray
    tentative: np.ndarray  # whether the row's project is tentative
    in_window: np.ndarray  # whether the row falls in the weeks shown


def _allocated(snapshot: Snapshot, *, n_weeks: int) -> _Allocated:
    instance = snapshot.plan.instance
    alloc = snapshot.plan.allocations
    a_project = alloc.project.astype(np.int64)
    a_week = _week_index(snapshot, alloc.day.astype(np.int64))
    tentative = np.array([p.state.label == "tentative" for p in instance.projects], dtype=bool)
    return _Allocated(
        person=alloc.person.astype(np.int64),
        project=a_project,
        hours=alloc.hours.astype(np.float64),
        week=a_week,
        tentative=tentative[a_project] if len(a_project) else np.zeros(0, dtype=bool),
        in_window=a_week < n_weeks,
    )


def _person_roles(snapshot: Snapshot, person_pks: list[int]) -> dict[int, str]:
    """Each person's strongest role (the highest efficiency, then the first name)."""
    person_role: dict[int, str] = {}
    for pk, engine_person in zip(person_pks, snapshot.plan.instance.people, strict=True):
        skills = sorted(engine_person.skills.items(), key=lambda kv: (-kv[1], kv[0]))
        person_role[pk] = skills[0][0] if skills else "(no role)"
    return person_role


def _capacity_grid(snapshot: Snapshot, *, n_people: int, n_weeks: int) -> np.ndarray:
    calendar = snapshot.plan.instance.calendar
    horizon_days = min(calendar.horizon_days, n_weeks * 7)
    day_week = _week_index(snapshot, np.arange(calendar.horizon_days))
    capacity = np.zeros((n_people, n_weeks))
    if n_people:
        for w in range(n_weeks):
            mask = day_week[:horizon_days] == w
            capacity[:, w] = snapshot.plan.capacity[:, :horizon_days][:, mask].sum(axis=1)
    return capacity


def _load_grids(
    snapshot: Snapshot, allocated: _Allocated, *, n_people: int, n_weeks: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Firm load, pipeline load and weighted pipeline (people × weeks), and firm hours left."""
    a = allocated
    probability = np.array([float(p.win_probability) for p in snapshot.plan.instance.projects])
    firm_load = np.zeros((n_people, n_weeks))
    pipeline_load = np.zeros((n_people, n_weeks))
    pipeline_weighted = np.zeros((n_people, n_weeks))
    firm_sel = ~a.tentative & a.in_window
    np.add.at(firm_load, (a.person[firm_sel], a.week[firm_sel]), a.hours[firm_sel])
    pipe_sel = a.tentative & a.in_window
    np.add.at(pipeline_load, (a.person[pipe_sel], a.week[pipe_sel]), a.hours[pipe_sel])
    np.add.at(
        pipeline_weighted,
        (a.person[pipe_sel], a.week[pipe_sel]),
        a.hours[pipe_sel] * probability[a.project[pipe_sel]],
    )
    firm_remaining = np.zeros(n_people)
    np.add.at(firm_remaining, a.person[~a.tentative], a.hours[~a.tentative])
    return firm_load, pipeline_load, pipeline_weighted, firm_remaining


def _cells_and_people(
    allocated: _Allocated, refs: list[ProjectRef], person_pks: list[int]
) -> tuple[dict[tuple[int, int], dict[ProjectKey, float]], dict[ProjectKey, set[int]]]:
    """Hours per project in each (person row, week) cell shown, and who works on each project."""
    a = allocated
    cells: dict[tuple[int, int], dict[ProjectKey, float]] = defaultdict(dict)
    project_people: dict[ProjectKey, set[int]] = defaultdict(set)
    sel = np.nonzero(a.in_window)[0]
    for i in sel.tolist():
        ref = refs[int(a.project[i])]
        key = (ref.kind, ref.pk)
        bucket = cells[(int(a.person[i]), int(a.week[i]))]
        bucket[key] = bucket.get(key, 0.0) + float(a.hours[i])
    for person_row, project_index in set(zip(a.person.tolist(), a.project.tolist(), strict=True)):
        ref = refs[project_index]
        project_people[(ref.kind, ref.pk)].add(person_pks[person_row])
    return dict(cells), dict(project_people)


def plan_facts_build(snapshot: Snapshot) -> PlanFacts:
    """Aggregate the snapshot's allocations into people × weeks grids and project rows."""
    instance = snapshot.plan.instance
    weeks = kpis.week_starts(first=snapshot.today, count=HORIZON_WEEKS)
    n_weeks = len(weeks)
    person_pks = [snapshot.people[p.id] for p in instance.people]
    n_people = len(person_pks)
    # Names and teams from the database; a person deleted since the snapshot was planned
    # (admin deletes do not bump the ledger) keeps a placeholder rather than breaking the page.
    people = dict(Person.objects.filter(pk__in=person_pks).values_list("pk", "name"))
    teams = dict(Person.objects.filter(pk__in=person_pks).values_list("pk", "team_id"))
    person_role = _person_roles(snapshot, person_pks)
    refs = [snapshot.projects[p.id] for p in instance.projects]
    allocated = _allocated(snapshot, n_weeks=n_weeks)
    firm_load, pipeline_load, pipeline_weighted, firm_remaining = _load_grids(
        snapshot, allocated, n_people=n_people, n_weeks=n_weeks
    )
    cells, project_people = _cells_and_people(allocated, refs, person_pks)
    projects: dict[ProjectKey, ProjectPlan] = {}
    for ref, engine_project in zip(refs, instance.projects, strict=True):
        result = snapshot.plan.projects.get(engine_project.id)
        if result is not None:
            projects[(ref.kind, ref.pk)] = _project_plan(snapshot, engine_project, result, ref)
    demand = sum(
        _engine_effort_hours(p) * float(p.win_probability)
        for p in instance.projects
        if p.state.label == "tentative"
    )
    return PlanFacts(
        today=snapshot.today,
        ledger_version=snapshot.ledger_version,
        weeks=weeks,
        person_pks=person_pks,
        person_names={pk: people.get(pk, f"(person {pk})") for pk in person_pks},
        person_team={pk: teams.get(pk) for pk in person_pks},
        person_role=person_role,
        roles=sorted(set(person_role.values())),
        capacity=_capacity_grid(snapshot, n_people=n_people, n_weeks=n_weeks),
        firm_load=firm_load,
        pipeline_load=pipeline_load,
        pipeline_weighted=pipeline_weighted,
        firm_remaining=firm_remaining,
        cells=cells,
        projects=projects,
        project_people=project_people,
        pipeline_demand_weighted=demand,
    )


def _phase_plans(
    snapshot: Snapshot, engine_project: PlannedProject, result: ProjectResult
) -> list[PhasePlan]:
    """The planned phases with their role (or crew) and how long each waits for capacity."""
    phases_by_id = {p.id: p for p in engine_project.phases}
    timings = {t.id: t for t in result.phases}
    release = int(engine_project.release_day)
    plans = []
    for timing in result.phases:
        phase = phases_by_id.get(timing.id)
        if phase is None:
            continue
        ready = release
        for dep in phase.predecessors:
            before = timings.get(dep.phase)
            if before is not None:
                ready = max(ready, before.end_day + dep.lag_days)
        role = (
            phase.role
            if isinstance(phase, EffortPhase)
            else " + ".join(f"{count} {role}" for role, count in sorted(phase.crew.items()))
        )
        plans.append(
            PhasePlan(
                key=timing.id,
                name=phase.name or timing.id,
                role=role,
                start=snapshot.date_of(timing.start_day),
                end=snapshot.date_of(max(timing.start_day, timing.end_day - 1)),
                wait_days=max(0, timing.start_day - ready),
            )
        )
    return plans


def _project_plan(
    snapshot: Snapshot, engine_project: PlannedProject, result: ProjectResult, ref: ProjectRef
) -> ProjectPlan:
    plans = _phase_plans(snapshot, engine_project, result)
    finish_day = result.finish_day
    promised_day = result.promised_day
    return ProjectPlan(
        ref_kind=ref.kind,
        pk=ref.pk,
        name=engine_project.name or engine_project.id,
        state=engine_project.state.label,
        status=str(result.status.value),
        finish=None if finish_day is None else snapshot.date_of(max(0, finish_day - 1)),
        promised=None if promised_day is None else snapshot.date_of(promised_day),
        lateness_days=result.lateness_days,
        win_probability=float(engine_project.win_probability),
        phases=tuple(sorted(plans, key=lambda p: (p.start, p.end))),
        reason=str(result.reason or ""),
    )
