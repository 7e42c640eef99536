"""One policy replayed on a scenario's stream, day by day.

Each day of the replay:

1. The orders arriving that day are quoted, one after the other, by the policy
   (:func:`promisekeeper.simulation.policies.quote`) on the current plan; each quote is
   promised at once (the customer accepts) and the plan is rebuilt with it.
2. The firm works the day by following the plan: every allocation of the plan's day 0
   is worked, and each hour delivers the person's efficiency in effort towards the
   phase's *true* effort. A phase whose true effort is reached is done; the hours the
   plan gave it beyond that are not lost: the plan is rebuilt with what is left of the
   day, and the rest of the day is worked on it (up to :data:`ROUNDS_PER_DAY` times).
3. Phases done that day become calibration history (estimate, true effort, date).

The plan is the engine's: :func:`promisekeeper.engine.schedule.schedule` (no repair) of
every unfinished promise, done phases left out, a phase under way carrying its
``spent_hours`` and every phase the distribution the calibration fits from the history
so far (:func:`promisekeeper.engine.calibration.effort_distribution`, empirical once a
group has enough finished phases). Promises keep the priority they were made with: the
plan places them in the order they were made (as the app's reservations keep earlier
promises' hours), and a quote places the new order after all of them, so the quote is
computed under the same rules as the plan that then runs.

Simplifications: orders arrive at the start of a working day and are quoted before
work starts; the firm has no time off, holidays or fixed-crew phases; dependencies have
no lag; true effort does not depend on who does the work beyond their efficiency.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np

from promisekeeper.engine.calibration import HistoryRow, effort_distribution
from promisekeeper.engine.effort import EffortDistribution, EffortKind
from promisekeeper.engine.model import (
    Calendar,
    EffortPhase,
    Instance,
    Person,
    Project,
    ProjectState,
    TimeOff,
    validate_instance,
)
from promisekeeper.engine.placement import Context
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.promise import earliest_finish
from promisekeeper.engine.schedule import schedule, schedule_in_order
from promisekeeper.simulation.policies import Policy, QuoteInputs, quote
from promisekeeper.simulation.scenarios import Arrival, Offering, Scenario, arrivals

ROUNDS_PER_DAY = 6
"""How often a day is re-planned when phases finish early and hours are left."""

DEFAULT_SAMPLES = 500
_EPS = 1e-9

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class PromiseRecord:
    """One promise of a replay and how it ended. Days are replay days; ``promised_day``
    and ``finish_day`` are inclusive (the last day of work)."""

    number: int
    offering: str
    arrival_day: int
    promised_day: int
    finish_day: int | None
    stated: float | None

    @property
    def kept(self) -> bool:
        return self.finish_day is not None and self.finish_day <= self.promised_day

    @property
    def quoted_days(self) -> int:
        """Days from the order to the promised day, counting both."""
        return self.promised_day - self.arrival_day + 1


@dataclass(frozen=True, slots=True)
class RunResult:
    """A replay's promises, the hours worked and available (on scored days), and cost."""

    scenario: str
    policy: Policy
    seed: int
    days: int
    warmup_days: int
    promises: tuple[PromiseRecord, ...]
    worked_hours: float
    available_hours: float
    total_worked_hours: float
    """Every hour worked, warm-up and drain included (the true hours of the delivered
    work, divided by the efficiency of who did it)."""
    plans_built: int
    seconds: float

    @property
    def utilisation(self) -> float:
        return self.worked_hours / self.available_hours if self.available_hours else 0.0


@dataclass(slots=True)
class _PhaseState:
    sop: EffortPhase
    group: str
    true_hours: float
    spent: float = 0.0
    done_day: int | None = None


@dataclass(slots=True)
class _Job:
    arrival: Arrival
    offering: Offering
    promised_day: int
    phases: list[_PhaseState]

    @property
    def done(self) -> bool:
        return all(p.done_day is not None for p in self.phases)


@dataclass(slots=True)
class _Calibration:
    """The history of finished phases and the distribution each group draws from."""

    scenario: Scenario
    rows: list[HistoryRow] = field(default_factory=list)
    _fitted: dict[str, EffortDistribution] = field(default_factory=dict)

    def add(self, phase: _PhaseState, day: int) -> None:
        finished_on = self.scenario.start + timedelta(days=day)
        self.rows.append(
            HistoryRow(
                str(len(self.rows)),
                phase.group,
                phase.sop.effort_hours,
                phase.true_hours,
                finished_on,
            )
        )
        self._fitted.clear()

    def distribution(self, group: str, day: int) -> EffortDistribution:
        found = self._fitted.get(group)
        if found is None:
            on = self.scenario.start + timedelta(days=day + 1)
            found = effort_distribution(self.rows, group, on, kind=EffortKind.EMPIRICAL)
            self._fitted[group] = found
        return found


class _Replay:
    def __init__(self, scenario: Scenario, policy: Policy, days: int, seed: int, samples: int):
        self.scenario, self.policy, self.days = scenario, policy, days
        self.seed, self.samples = seed, samples
        self.by_day: dict[int, list[Arrival]] = defaultdict(list)
        for arrival in arrivals(scenario, days, seed):
            self.by_day[arrival.day].append(arrival)
        self.open: list[_Job] = []
        self.records: list[PromiseRecord] = []
        self.promised: dict[int, _Job] = {}
        self.calibration = _Calibration(scenario)
        self.worked = self.available = self.total_worked = 0.0
        self.plans_built = 0
        self.planned: list[list[_PhaseState]] = []
        self.daily_hours = float(sum(p.weekly_hours[0] for p in scenario.people))
        self.typical = {k: self._typical_days(o) for k, o in enumerate(scenario.offerings)}

    # ------------------------------------------------------------------ the day loop

    def run(self, progress: Progress | None) -> list[PromiseRecord]:
        last = self.days + 2 * self.scenario.horizon_days
        day = 0
        while day < self.days or (self.open and day < last):
            if self.scenario.is_working_day(day):
                for arrival in self.by_day.get(day, ()):
                    self._promise(arrival, day)
                self._work(day)
            if progress is not None:
                progress(min(day + 1, self.days), self.days)
            day += 1
        return sorted(self.records, key=lambda r: r.number)

    def _promise(self, arrival: Arrival, day: int) -> None:
        offering = self.scenario.offerings[arrival.offering]
        plan = self._plan(day, None)
        new = Project(
            "new",
            tuple(self._engine_phase(offering, p, 0.0, day) for p in offering.phases),
            state=ProjectState.COMMITTED,
        )
        inputs = QuoteInputs(
            today=day,
            plan=plan,
            project=new,
            open_hours=_open_hours(plan),
            daily_hours=self.daily_hours,
            typical_days=self.typical[arrival.offering],
            buffer_days=self.scenario.standard_buffer_days,
            samples=self.samples,
            seed=self.seed * 1_000_003 + arrival.number,
        )
        promised = quote(self.policy, inputs)
        phases = [
            _PhaseState(p, offering.group(p), true)
            for p, true in zip(offering.phases, arrival.true_hours, strict=True)
        ]
        self.open.append(_Job(arrival, offering, promised, phases))

    def _work(self, day: int) -> None:
        used = np.zeros(len(self.scenario.people))
        if self.warmup_done(day):
            self.available += self.daily_hours
        for _ in range(ROUNDS_PER_DAY):
            if not self.open:
                break
            plan = self._plan(day, used)
            if not self._work_plan_day(plan, used, day):
                break
        self.total_worked += float(used.sum())
        if self.warmup_done(day):
            self.worked += float(used.sum())
        self._close(day)

    def warmup_done(self, day: int) -> bool:
        return self.scenario.warmup_days <= day < self.days

    def _work_plan_day(self, plan: Plan, used: np.ndarray, day: int) -> bool:
        """Work the plan's day 0; True when a phase finished with hours of the day left."""
        rows = plan.allocations
        today = np.flatnonzero(rows.day == 0)
        left_over = False
        for r in today:
            person = int(rows.person[r])
            phase = self.planned[int(rows.project[r])][int(rows.phase[r])]
            hours = float(rows.hours[r])
            if phase.done_day is not None:
                left_over = True
                continue
            efficiency = self.scenario.people[person].skills[phase.sop.role]
            need = phase.true_hours - phase.spent
            if hours * efficiency >= need - _EPS:
                spent = need / efficiency
                phase.spent, phase.done_day = phase.true_hours, day
                left_over = left_over or hours - spent > 1e-6
                hours = spent
            else:
                phase.spent += hours * efficiency
            used[person] += hours
        return left_over

    def _close(self, day: int) -> None:
        still_open: list[_Job] = []
        for job in self.open:
            for phase in job.phases:
                if phase.done_day == day:
                    self.calibration.add(phase, day)
            if job.done:
                self.records.append(self._record(job, day))
            else:
                still_open.append(job)
        self.open = still_open

    def _record(self, job: _Job, finish_day: int | None) -> PromiseRecord:
        return PromiseRecord(
            job.arrival.number,
            job.offering.name,
            job.arrival.day,
            job.promised_day,
            finish_day,
            self.policy.stated,
        )

    def unfinished(self) -> list[PromiseRecord]:
        return [self._record(job, None) for job in self.open]

    # ------------------------------------------------------------------ the engine's view

    def _plan(self, day: int, used: np.ndarray | None) -> Plan:
        """The engine's plan from ``day`` of every open promise; ``used`` hours of today are
        gone."""
        people = self.scenario.people
        if used is not None and used.any():
            people = tuple(_with_hours_used(p, float(h)) for p, h in zip(people, used, strict=True))
        horizon = self.scenario.horizon_days
        self.planned = [[p for p in job.phases if p.done_day is None] for job in self.open]
        instance = Instance(
            calendar=Calendar(
                start=self.scenario.start + timedelta(days=day),
                horizon_days=horizon,
                working_weekdays=self.scenario.working_weekdays,
            ),
            roles=self.scenario.roles,
            people=people,
            projects=tuple(
                self._engine_project(job, phases, day)
                for job, phases in zip(self.open, self.planned, strict=True)
            ),
        )
        self.plans_built += 1
        orders = validate_instance(instance)
        context = Context(instance, orders=orders)
        return schedule_in_order(instance, range(len(instance.projects)), ctx=context)

    def _engine_project(self, job: _Job, remaining: list[_PhaseState], day: int) -> Project:
        ids = {p.sop.id for p in remaining}
        phases = tuple(
            replace(
                self._engine_phase(job.offering, p.sop, p.spent, day),
                predecessors=tuple(d for d in p.sop.predecessors if d.phase in ids),
            )
            for p in remaining
        )
        started = any(p.spent > 0 for p in job.phases)
        promised = min(max(0, job.promised_day - day), self.scenario.horizon_days - 1)
        return Project(
            f"order-{job.arrival.number}",
            phases,
            promised_day=promised,
            state=ProjectState.IN_DELIVERY if started else ProjectState.COMMITTED,
        )

    def _engine_phase(
        self, offering: Offering, sop: EffortPhase, spent: float, day: int
    ) -> EffortPhase:
        distribution = self.calibration.distribution(offering.group(sop), day)
        return replace(sop, effort_distribution=distribution, spent_hours=spent)

    def _typical_days(self, offering: Offering) -> int:
        """Calendar days the offering takes on the idle firm at its estimates, from day 0."""
        instance = Instance(
            calendar=Calendar(
                start=self.scenario.start,
                horizon_days=self.scenario.horizon_days,
                working_weekdays=self.scenario.working_weekdays,
            ),
            roles=self.scenario.roles,
            people=self.scenario.people,
        )
        finish = earliest_finish(schedule(instance), Project("typical", offering.phases))
        return finish.finish_day or self.scenario.horizon_days


def _with_hours_used(person: Person, hours: float) -> Person:
    if hours <= _EPS:
        return person
    return replace(person, time_off=(*person.time_off, TimeOff(0, 1, hours_per_day=hours)))


def _open_hours(plan: Plan) -> float:
    return sum(
        p.remaining_hours
        for project in plan.instance.projects
        for p in project.phases
        if isinstance(p, EffortPhase)
    )


def replay(
    scenario: Scenario,
    policy: Policy,
    *,
    days: int = 365,
    seed: int = 1,
    samples: int = DEFAULT_SAMPLES,
    progress: Progress | None = None,
) -> RunResult:
    """Replay ``scenario`` for ``days`` days of arrivals under ``policy``, then until every
    promise is delivered (or a horizon beyond).

    The stream depends on ``scenario``, ``days`` and ``seed`` only, so runs of different
    policies with the same arguments meet the same orders with the same true efforts.
    ``progress(day, days)`` is called after each day.
    """
    started = time.perf_counter()
    run = _Replay(scenario, policy, days, seed, samples)
    records = run.run(progress) + run.unfinished()
    return RunResult(
        scenario=scenario.name,
        policy=policy,
        seed=seed,
        days=days,
        warmup_days=scenario.warmup_days,
        promises=tuple(records),
        worked_hours=run.worked,
        available_hours=run.available,
        total_worked_hours=run.total_worked,
        plans_built=run.plans_built,
        seconds=time.perf_counter() - started,
    )


def replay_all(
    scenario: Scenario,
    policies: Sequence[Policy],
    *,
    days: int = 365,
    seed: int = 1,
    samples: int = DEFAULT_SAMPLES,
    progress: Callable[[Policy, int, int], None] | None = None,
) -> list[RunResult]:
    """:func:`replay` of each policy on the same stream."""
    results = []
    for policy in policies:
        step = None if progress is None else _bound_progress(progress, policy)
        results.append(
            replay(scenario, policy, days=days, seed=seed, samples=samples, progress=step)
        )
    return results


def _bound_progress(progress: Callable[[Policy, int, int], None], policy: Policy) -> Progress:
    def step(day: int, days: int) -> None:
        progress(policy, day, days)

    return step
