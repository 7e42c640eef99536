"""CP-SAT: proves PSPLIB optima, honours calendars and promises, rejects bad input."""

from __future__ import annotations

from datetime import date

import pytest

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    Calendar,
    Dependency,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Project,
)
from promisekeeper.research.exact import ExactStatus, improve_rcpsp, solve_exact
from promisekeeper.research.psplib import read_reference, read_sm
from promisekeeper.research.rcpsp import RcpspStatus, rcpsp_solve, verify_rcpsp_starts

from .paths import PSPLIB

EVERY_DAY = (8.0,) * 7
MONDAY = date(2024, 1, 1)


def team(*roles: str, hours: tuple[float, ...] = EVERY_DAY) -> tuple[Person, ...]:
    return tuple(Person(f"p{k}", {role: 1.0}, hours) for k, role in enumerate(roles))


def instance_of(*projects: Project, people: tuple[Person, ...], week: int = 7) -> Instance:
    working = (True,) * week + (False,) * (7 - week)
    roles = tuple(sorted({r for p in people for r in p.skills}))
    return Instance(Calendar(MONDAY, 60, working), roles, people, projects)


@pytest.mark.parametrize("name", ["j301_1", "j3011_1", "j3018_1", "j3046_1"])
def test_exact_proves_the_j30_optimum(name: str) -> None:
    instance = read_sm(PSPLIB / "j30" / f"{name}.sm")
    optimum = read_reference(PSPLIB / "j30_reference.csv")[name].makespan
    hint = rcpsp_solve(instance, time_limit=0.1, max_schedules=300).starts
    result = solve_exact(instance, time_limit=10.0, hint=hint)
    assert result.status is ExactStatus.OPTIMAL
    assert result.makespan == result.lower_bound == optimum
    assert verify_rcpsp_starts(instance, result.starts) == []


def test_improve_rcpsp_closes_the_gap_the_heuristic_leaves() -> None:
    instance = read_sm(PSPLIB / "j30" / "j3017_1.sm")
    optimum = read_reference(PSPLIB / "j30_reference.csv")["j3017_1"].makespan
    result = improve_rcpsp(instance, time_limit=10.0, seed=0)
    assert result.status is RcpspStatus.OPTIMAL
    assert result.makespan == result.lower_bound == optimum
    assert verify_rcpsp_starts(instance, result.starts) == []


def test_exact_runs_phases_on_working_days_only() -> None:
    project = Project(
        "p",
        (
            FixedPhase("a", 5, {"dev": 1}),
            FixedPhase("b", 1, {"dev": 1}, predecessors=(Dependency("a"),)),
        ),
    )
    result = solve_exact(instance_of(project, people=team("dev"), week=5), time_limit=5.0)
    assert result.status is ExactStatus.OPTIMAL
    assert result.starts == {("p", "a"): 0, ("p", "b"): 7}  # Monday to Friday, then Monday
    assert result.makespan == 8


def test_exact_approximates_an_effort_phase_by_full_days_of_its_crew() -> None:
    project = Project("p", (EffortPhase("x", "dev", 40.0, max_people=2, max_hours_per_day=6.0),))
    result = solve_exact(instance_of(project, people=team("dev", "dev", "dev")), time_limit=5.0)
    assert result.makespan == 4  # ceil(40 / (2 people * 6 h))


def test_exact_keeps_the_promise_before_shortening_the_makespan() -> None:
    long = Project("long", (FixedPhase("x", 5, {"dev": 1}),))
    urgent = Project("urgent", (FixedPhase("x", 1, {"dev": 1}),), promised_day=0)
    result = solve_exact(instance_of(long, urgent, people=team("dev")), time_limit=5.0)
    assert result.status is ExactStatus.OPTIMAL
    assert result.starts[("urgent", "x")] == 0
    assert (result.weighted_lateness, result.makespan) == (0, 6)


def test_exact_reports_a_crew_larger_than_the_role() -> None:
    project = Project("p", (FixedPhase("x", 2, {"dev": 2}),))
    result = solve_exact(instance_of(project, people=team("dev")), time_limit=5.0)
    assert result.status is ExactStatus.INFEASIBLE
    assert "only 1 qualified" in result.reason


def test_exact_reports_work_that_cannot_fit_the_horizon() -> None:
    project = Project("p", (FixedPhase("x", 70, {"dev": 1}),))
    result = solve_exact(instance_of(project, people=team("dev")), time_limit=5.0)
    assert result.status is ExactStatus.INFEASIBLE


@pytest.mark.parametrize(
    ("instance", "kwargs", "field"),
    [
        (
            instance_of(Project("p", (FixedPhase("x", -1, {"dev": 1}),)), people=team("dev")),
            {},
            "projects[0].phases[0].days",
        ),
        (
            instance_of(Project("p", (FixedPhase("x", 1, {"qa": 1}),)), people=team("dev")),
            {},
            "projects[0].phases[0].crew.qa",
        ),
        (
            instance_of(Project("p", (FixedPhase("x", 1, {"dev": 1}),)), people=team("dev")),
            {"hint": {("p", "nope"): 0}},
            "hint",
        ),
        (
            instance_of(Project("p", (FixedPhase("x", 1, {"dev": 1}),)), people=team("dev")),
            {"time_limit": 0.0},
            "time_limit",
        ),
    ],
)
def test_exact_rejects_bad_input_naming_the_field(
    instance: Instance, kwargs: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {"time_limit": 5.0, **kwargs}
    with pytest.raises(InvalidInput) as error:
        solve_exact(instance, **arguments)  # type: ignore[arg-type]
    assert error.value.field == field


def test_improve_rcpsp_keeps_promises_in_a_portfolio() -> None:
    long = Project("long", (FixedPhase("x", 4, {"dev": 2}), FixedPhase("y", 2, {"dev": 1})))
    urgent = Project("urgent", (FixedPhase("x", 2, {"dev": 1}),), promised_day=1)
    instance = instance_of(long, urgent, people=team("dev", "dev"))
    result = improve_rcpsp(instance, time_limit=5.0, seed=0)
    assert verify_rcpsp_starts(instance, result.starts) == []
    assert result.starts[("urgent", "x")] == 0
    assert (result.weighted_lateness, result.makespan) == (0, 6)
    assert result.status is RcpspStatus.OPTIMAL
