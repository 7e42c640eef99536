"""The RCPSP heuristic: feasible, bounded below by the critical path, good on PSPLIB."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    Calendar,
    Dependency,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Project,
    TimeOff,
)
from promisekeeper.research.psplib import read_reference, read_sm
from promisekeeper.research.rcpsp import (
    RcpspStatus,
    is_rcpsp_shaped,
    rcpsp_solve,
    verify_rcpsp_starts,
)

from .paths import PSPLIB

EVERY_DAY = (8.0,) * 7
HORIZON = 200


def staff(counts: Mapping[str, int]) -> tuple[Person, ...]:
    return tuple(
        Person(f"{role}{k}", {role: 1.0}, EVERY_DAY) for role, n in counts.items() for k in range(n)
    )


def rcpsp(projects: tuple[Project, ...], counts: Mapping[str, int]) -> Instance:
    calendar = Calendar(date(2024, 1, 1), HORIZON, (True,) * 7)
    return Instance(calendar, tuple(counts), staff(counts), projects)


@st.composite
def rcpsp_instances(draw: st.DrawFn) -> Instance:
    roles = ("a", "b", "c")[: draw(st.integers(1, 3))]
    counts = {role: draw(st.integers(1, 4)) for role in roles}
    projects = []
    for p in range(draw(st.integers(1, 2))):
        phases = []
        for k in range(draw(st.integers(1, 7))):
            crew = {role: draw(st.integers(0, counts[role])) for role in roles}
            earlier = draw(st.lists(st.integers(0, k - 1), unique=True, max_size=2)) if k else []
            preds = tuple(Dependency(f"x{j}", draw(st.sampled_from((0, 0, 1, 3)))) for j in earlier)
            phases.append(FixedPhase(f"x{k}", draw(st.integers(0, 5)), crew, 8.0, preds))
        promised = draw(st.none() | st.integers(0, 20))
        projects.append(Project(f"p{p}", tuple(phases), draw(st.integers(0, 4)), promised))
    return rcpsp(tuple(projects), counts)


def violations(instance: Instance, starts: Mapping[tuple[str, str], int]) -> list[str]:
    """Independent check: precedence with lags, release days, per-role head count per day."""
    heads = {role: sum(role in p.skills for p in instance.people) for role in instance.roles}
    used: dict[tuple[str, int], int] = {}
    found = []
    for project in instance.projects:
        for phase in project.phases:
            assert isinstance(phase, FixedPhase)
            start = starts[(project.id, phase.id)]
            if start < project.release_day:
                found.append(f"{phase.id} before release")
            for dep in phase.predecessors:
                pred = next(p for p in project.phases if p.id == dep.phase)
                assert isinstance(pred, FixedPhase)
                if start < starts[(project.id, pred.id)] + pred.days + dep.lag_days:
                    found.append(f"{phase.id} before {pred.id}")
            for day in range(start, start + phase.days):
                for role, count in phase.crew.items():
                    used[(role, day)] = used.get((role, day), 0) + count
    found += [f"{role} over on {day}" for (role, day), n in used.items() if n > heads[role]]
    return found


def critical_path(instance: Instance) -> int:
    longest = 0
    for project in instance.projects:
        finish: dict[str, int] = {}
        for phase in project.phases:  # the strategy only links to earlier phases
            assert isinstance(phase, FixedPhase)
            start = max(
                [project.release_day] + [finish[d.phase] + d.lag_days for d in phase.predecessors]
            )
            finish[phase.id] = start + phase.days
            longest = max(longest, finish[phase.id])
    return longest


@settings(max_examples=60, deadline=None)
@given(rcpsp_instances(), st.integers(0, 3))
def test_heuristic_respects_precedence_and_capacity(instance: Instance, seed: int) -> None:
    assert is_rcpsp_shaped(instance)
    result = rcpsp_solve(instance, time_limit=5.0, seed=seed, max_schedules=150)
    assert violations(instance, result.starts) == []
    assert verify_rcpsp_starts(instance, result.starts) == []
    assert result.makespan is not None
    assert result.makespan >= critical_path(instance)
    assert result.lower_bound >= critical_path(instance)
    if result.status is RcpspStatus.OPTIMAL:
        assert result.makespan == result.lower_bound


@settings(max_examples=15, deadline=None)
@given(rcpsp_instances(), st.integers(0, 3))
def test_heuristic_is_deterministic_for_a_seed(instance: Instance, seed: int) -> None:
    first = rcpsp_solve(instance, time_limit=5.0, seed=seed, max_schedules=100)
    again = rcpsp_solve(instance, time_limit=5.0, seed=seed, max_schedules=100)
    assert first.starts == again.starts


def test_heuristic_meets_a_promise_before_shortening_the_makespan() -> None:
    a = Project("a", (FixedPhase("x", 5, {"dev": 1}),))
    b = Project("b", (FixedPhase("x", 1, {"dev": 1}),), promised_day=0)
    result = rcpsp_solve(rcpsp((a, b), {"dev": 1}), time_limit=1.0)
    assert result.starts[("b", "x")] == 0
    assert (result.weighted_lateness, result.makespan) == (0, 6)


def test_heuristic_reports_a_crew_larger_than_the_role() -> None:
    project = Project("p", (FixedPhase("x", 2, {"dev": 3}),))
    result = rcpsp_solve(rcpsp((project,), {"dev": 2}), time_limit=1.0)
    assert result.status is RcpspStatus.INFEASIBLE
    assert "only 2 exist" in result.reason


def test_heuristic_reports_a_schedule_past_the_horizon() -> None:
    project = Project("p", tuple(FixedPhase(f"x{k}", 50, {"dev": 1}) for k in range(5)))
    result = rcpsp_solve(rcpsp((project,), {"dev": 1}), time_limit=1.0)
    assert result.status is RcpspStatus.INFEASIBLE
    assert result.makespan == 250 and "horizon" in result.reason


def test_heuristic_rejects_an_instance_that_is_not_rcpsp_shaped() -> None:
    project = Project("p", (EffortPhase("x", "dev", 16.0),))
    with pytest.raises(InvalidInput, match="RCPSP"):
        rcpsp_solve(rcpsp((project,), {"dev": 1}), time_limit=1.0)


def test_rcpsp_shape_needs_fixed_phases_single_roles_constant_hours_and_working_days() -> None:
    project = Project("p", (FixedPhase("x", 2, {"dev": 1}),))
    shaped = rcpsp((project,), {"dev": 2})
    assert is_rcpsp_shaped(shaped)
    ann, bob = shaped.people
    weekend = replace(
        shaped, calendar=replace(shaped.calendar, working_weekdays=(True,) * 5 + (False,) * 2)
    )
    two_roles = replace(
        shaped, roles=("dev", "qa"), people=(replace(ann, skills={"dev": 1.0, "qa": 1.0}), bob)
    )
    slower = replace(shaped, people=(replace(ann, skills={"dev": 0.8}), bob))
    holiday = replace(shaped, people=(replace(ann, time_off=(TimeOff(3, 5),)), bob))
    part_time = replace(shaped, people=(replace(ann, weekly_hours=(4.0,) * 7), bob))
    effort = replace(shaped, projects=(Project("p", (EffortPhase("x", "dev", 8.0),)),))
    for other in (weekend, two_roles, slower, holiday, part_time, effort):
        assert not is_rcpsp_shaped(other)


def test_verify_names_precedence_release_and_capacity_violations() -> None:
    project = Project(
        "p",
        (
            FixedPhase("a", 3, {"dev": 2}),
            FixedPhase("b", 2, {"dev": 1}, predecessors=(Dependency("a", 1),)),
        ),
        release_day=1,
    )
    instance = rcpsp((project,), {"dev": 2})
    assert verify_rcpsp_starts(instance, {("p", "a"): 1, ("p", "b"): 5}) == []
    problems = verify_rcpsp_starts(instance, {("p", "a"): 0, ("p", "b"): 3})
    assert any("before release" in p for p in problems)
    assert any("before a ends" in p for p in problems)
    assert any(
        "role dev" in p for p in verify_rcpsp_starts(instance, {("p", "a"): 1, ("p", "b"): 2})
    )
    assert any("no start day" in p for p in verify_rcpsp_starts(instance, {("p", "a"): 1}))


@pytest.mark.parametrize("name", ["j301_1", "j302_1", "j3010_1", "j3033_1"])
def test_heuristic_finds_the_optimum_of_easy_j30_instances(name: str) -> None:
    instance = read_sm(PSPLIB / "j30" / f"{name}.sm")
    optimum = read_reference(PSPLIB / "j30_reference.csv")[name].makespan
    result = rcpsp_solve(instance, time_limit=60.0, seed=0, max_schedules=3000)
    assert result.makespan == optimum
    assert verify_rcpsp_starts(instance, result.starts) == []


def test_heuristic_handles_roles_with_more_than_255_people() -> None:
    project = Project("p", tuple(FixedPhase(f"x{k}", 2, {"dev": 200}) for k in range(3)))
    small = FixedPhase("y", 2, {"dev": 100})
    instance = rcpsp((replace(project, phases=(*project.phases, small)),), {"dev": 300})
    result = rcpsp_solve(instance, time_limit=1.0)
    assert verify_rcpsp_starts(instance, result.starts) == []
    assert (result.makespan, result.lower_bound) == (6, 5)  # work content: 1,400 / 300


def test_justification_keeps_chains_of_zero_day_phases_in_order() -> None:
    chain = (
        FixedPhase("a", 0, {}),
        FixedPhase("b", 0, {}, predecessors=(Dependency("a", 1),)),
        FixedPhase("c", 0, {}, predecessors=(Dependency("b"),)),
        FixedPhase("d", 1, {}, predecessors=(Dependency("c"),)),
    )
    instance = rcpsp((Project("p", chain),), {"dev": 1})
    result = rcpsp_solve(instance, time_limit=1.0, max_schedules=30)
    assert violations(instance, result.starts) == []
    assert result.makespan == 2
