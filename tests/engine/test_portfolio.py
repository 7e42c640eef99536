"""Portfolio-aware confidence: the firm work's effort uncertainty moves the new project's
quantiles, and the fluid queue stays close to re-planning the portfolio per sample."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from promisekeeper.engine import portfolio_confidence
from promisekeeper.engine.confidence import confidence
from promisekeeper.engine.effort import EffortDistribution, EffortKind
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    Calendar,
    Dependency,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Project,
    ProjectState,
)
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.schedule import default_order, schedule_in_order

MONDAY = date(2027, 1, 4)
HEAVY = EffortDistribution(EffortKind.LOGNORMAL, median=1.0, sigma=0.6)
NEW = Project("new", (EffortPhase("build", "developer", 40.0, effort_low=32.0, effort_high=60.0),))


def make_plan(
    projects: tuple[Project, ...],
    people: tuple[Person, ...] = (Person("ana", {"developer": 1.0}),),
    roles: tuple[str, ...] = ("developer",),
) -> Plan:
    instance = Instance(Calendar(MONDAY, 200), roles, people, projects)
    return schedule_in_order(instance, default_order(instance))


def queue(
    distribution: EffortDistribution | None = HEAVY,
    state: ProjectState = ProjectState.COMMITTED,
    spent_hours: float = 0.0,
) -> Plan:
    """One developer with three promised 24-hour builds ahead of any new work."""
    return make_plan(
        tuple(
            Project(
                f"firm{k}",
                (
                    EffortPhase(
                        "build",
                        "developer",
                        24.0,
                        effort_distribution=distribution,
                        spent_hours=spent_hours if k == 0 else 0.0,
                    ),
                ),
                state=state,
                promised_day=10 + k,
            )
            for k in range(3)
        )
    )


def test_heavy_tailed_committed_work_makes_the_new_promise_later() -> None:
    plan = queue()
    plain = confidence(plan, NEW, samples=400, seed=2)
    aware = portfolio_confidence(plan, NEW, samples=400, seed=2)
    assert aware.deterministic.finish_day == plain.deterministic.finish_day
    assert aware.p80_day is not None and plain.p80_day is not None
    assert aware.p80_day > plain.p80_day
    assert aware.p95_day is not None and plain.p95_day is not None
    assert aware.p95_day > plain.p95_day


def test_one_person_queue_matches_re_planning_every_sample() -> None:
    plan = queue()
    aware = portfolio_confidence(plan, NEW, samples=300, seed=5)
    exact = portfolio_confidence(plan, NEW, samples=300, seed=5, exact=True)
    assert aware == exact


EXPONENTIAL = EffortDistribution(
    EffortKind.EMPIRICAL,
    ratios=tuple(np.maximum(0.05, np.random.default_rng(3).exponential(1.0, 400)).tolist()),
)


@pytest.mark.parametrize("queued", [3, 6, 10])
def test_a_small_new_job_behind_a_long_queue_waits_for_the_whole_queue(queued: int) -> None:
    """Regression: an underrun early in the queue used to hand its hours to the new job at
    once, before the overruns later in the queue were known, so a short new job behind a
    long queue of exponential jobs often "finished" mid-queue (P50 25 days against 63 by
    re-planning, with ten jobs ahead). The hours of a saturated role are netted first."""
    jobs = tuple(
        Project(
            f"firm{k}",
            (EffortPhase("build", "developer", 40.0, effort_distribution=EXPONENTIAL),),
            promised_day=10 + k,
        )
        for k in range(queued + 1)
    )
    plan = make_plan(jobs, people=(Person("ana", {"developer": 1.0}, weekly_hours=(8.0,) * 7),))
    new = Project(
        "new", (EffortPhase("build", "developer", 40.0, effort_distribution=EXPONENTIAL),)
    )
    aware = portfolio_confidence(plan, new, samples=400, seed=1)
    exact = portfolio_confidence(plan, new, samples=400, seed=1, exact=True)
    for q in (0.5, 0.8, 0.95):
        assert aware.quantile(q) == exact.quantile(q)


def test_competing_work_under_way_draws_its_remaining_effort() -> None:
    plan = queue(spent_hours=30.0)  # beyond its 24-hour estimate: a long tail left
    aware = portfolio_confidence(plan, NEW, samples=300, seed=1)
    exact = portfolio_confidence(plan, NEW, samples=300, seed=1, exact=True)
    assert aware == exact
    assert aware.p80_day is not None
    assert aware.p80_day > (confidence(plan, NEW, samples=300, seed=1).p80_day or 0)


def test_certain_competing_work_gives_the_plain_answer() -> None:
    plan = queue(distribution=None)
    assert portfolio_confidence(plan, NEW, samples=500, seed=9) == confidence(
        plan, NEW, samples=500, seed=9
    )


def test_tentative_work_stays_as_planned() -> None:
    plan = queue(state=ProjectState.TENTATIVE)
    assert portfolio_confidence(plan, NEW, samples=200, seed=4) == confidence(
        plan, NEW, samples=200, seed=4
    )


def test_competing_work_of_other_roles_is_left_alone() -> None:
    tester = Person("bo", {"tester": 1.0})
    plan = make_plan(
        (
            Project(
                "firm",
                (EffortPhase("test", "tester", 80.0, effort_distribution=HEAVY),),
                state=ProjectState.COMMITTED,
            ),
        ),
        people=(Person("ana", {"developer": 1.0}), tester),
        roles=("developer", "tester"),
    )
    assert portfolio_confidence(plan, NEW, samples=200) == confidence(plan, NEW, samples=200)


def small_portfolio(seed: int) -> tuple[Plan, Project]:
    """Four people over two roles, eight firm projects with bounded and heavy-tailed
    efforts, and a new project of both roles with a fixed hand-over."""
    rng = np.random.default_rng(seed)
    people = (
        Person("ana", {"developer": 1.0}),
        Person("bo", {"developer": 0.8}),
        Person("cy", {"tester": 1.0}),
        Person("di", {"developer": 0.6, "tester": 1.0}),
    )
    states = (ProjectState.IN_DELIVERY, ProjectState.COMMITTED, ProjectState.HELD)
    firm = []
    for k in range(8):
        build = float(rng.integers(16, 80))
        test = float(rng.integers(8, 40))
        firm.append(
            Project(
                f"firm{k}",
                (
                    EffortPhase(
                        "build",
                        "developer",
                        build,
                        max_people=2,
                        effort_low=0.8 * build,
                        effort_high=1.8 * build,
                        spent_hours=0.5 * build if k == 0 else 0.0,
                    ),
                    EffortPhase(
                        "test",
                        "tester",
                        test,
                        effort_distribution=HEAVY if k % 2 else None,
                        predecessors=(Dependency("build"),),
                    ),
                ),
                state=states[k % 3],
                promised_day=15 + 5 * k,
            )
        )
    new = Project(
        "new",
        (
            EffortPhase("build", "developer", 60.0, max_people=2, effort_high=90.0),
            FixedPhase("handover", 1, {"tester": 1}, predecessors=(Dependency("build"),)),
            EffortPhase(
                "test", "tester", 24.0, effort_high=40.0, predecessors=(Dependency("handover"),)
            ),
        ),
    )
    return make_plan(tuple(firm), people=people, roles=("developer", "tester")), new


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fluid_queue_is_close_to_re_planning_on_a_small_portfolio(seed: int) -> None:
    plan, new = small_portfolio(seed)
    aware = portfolio_confidence(plan, new, samples=200, seed=seed)
    exact = portfolio_confidence(plan, new, samples=200, seed=seed, exact=True)
    plain = confidence(plan, new, samples=200, seed=seed)
    for q in (0.5, 0.8, 0.95):
        fluid, truth, old = aware.quantile(q), exact.quantile(q), plain.quantile(q)
        assert fluid is not None and truth is not None and old is not None
        assert abs(fluid - truth) <= 2
        assert abs(fluid - truth) <= abs(old - truth)


def test_invalid_sample_count_names_the_field() -> None:
    with pytest.raises(InvalidInput) as error:
        portfolio_confidence(queue(), NEW, samples=0)
    assert error.value.field == "samples"
