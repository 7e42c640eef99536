"""The scheduler: every plan it returns satisfies every engine invariant."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from promisekeeper.engine.check import check_plan
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
from promisekeeper.engine.plan import ProjectStatus
from promisekeeper.engine.schedule import default_order, schedule

from .strategies import instances

MONDAY = date(2027, 1, 4)


def _instance(*projects: Project, people: tuple[Person, ...] | None = None) -> Instance:
    return Instance(
        calendar=Calendar(start=MONDAY, horizon_days=90),
        roles=("dev", "install", "elec"),
        people=people
        or (
            Person("ana", {"dev": 1.0}),
            Person("bo", {"install": 1.0, "dev": 0.5}),
            Person("cy", {"install": 1.0}),
            Person("di", {"elec": 1.0}),
        ),
        projects=projects,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_plan_satisfies_every_invariant(instance: Instance) -> None:
    plan = schedule(instance, time_limit=0.2)
    assert check_plan(instance, plan) == []
    assert set(plan.projects) == {p.id for p in instance.projects}
    assert np.all(plan.free >= -1e-9)
    assert np.allclose(plan.capacity - plan.free >= -1e-9, True)


def test_effort_is_spread_over_working_days_only() -> None:
    plan = schedule(_instance(Project("web", (EffortPhase("build", "dev", 56.0),))))
    result = plan.projects["web"]
    # 56 h at 8 h/day = 7 working days: Mon-Fri, then Mon-Tue of the next week.
    assert (result.phases[0].start_day, result.phases[0].end_day) == (0, 9)
    assert sorted(set(plan.allocations.day.tolist())) == [0, 1, 2, 3, 4, 7, 8]


def test_fixed_phase_runs_on_consecutive_working_days_with_exact_crew() -> None:
    install = FixedPhase("install", 3, {"install": 2, "elec": 1}, hours_per_day=8.0)
    plan = schedule(_instance(Project("site", (install,), release_day=3)))
    timing = plan.projects["site"].phases[0]
    # Released on Thursday: Thu, Fri, (weekend), Mon.
    assert (timing.start_day, timing.end_day) == (3, 8)
    assert len(plan.allocations) == 9


def test_lag_after_a_phase_is_respected() -> None:
    phases = (
        EffortPhase("design", "dev", 8.0),
        EffortPhase("build", "dev", 8.0, predecessors=(Dependency("design", 5),)),
    )
    plan = schedule(_instance(Project("p", phases)))
    design, build = plan.projects["p"].phases
    assert build.start_day >= design.end_day + 5


def test_promised_work_is_scheduled_before_tentative_work() -> None:
    tentative = Project("maybe", (EffortPhase("b", "dev", 40.0),), state=ProjectState.TENTATIVE)
    committed = Project("sold", (EffortPhase("b", "dev", 40.0),), promised_day=20)
    instance = _instance(tentative, committed, people=(Person("ana", {"dev": 1.0}),))
    plan = schedule(instance)
    assert plan.projects["sold"].finish_day == 5
    assert plan.projects["maybe"].finish_day == 12
    assert [instance.projects[i].id for i in default_order(instance)] == ["sold", "maybe"]


def test_earliest_promise_goes_first_so_both_promises_hold() -> None:
    late_due = Project("later", (EffortPhase("b", "dev", 40.0),), promised_day=11)
    early_due = Project("sooner", (EffortPhase("b", "dev", 40.0),), promised_day=4)
    plan = schedule(_instance(late_due, early_due, people=(Person("ana", {"dev": 1.0}),)))
    assert plan.projects["sooner"].status is ProjectStatus.ON_TIME
    assert plan.projects["later"].status is ProjectStatus.ON_TIME


def test_repair_rescues_a_late_project_by_using_anothers_slack() -> None:
    # By earliest promise "short" goes first and takes both developers on day 0,
    # which makes "long" (one person at a time) one day late. Going second costs
    # "short" nothing it cannot afford, so the repair pass swaps them.
    short = Project("short", (EffortPhase("b", "dev", 16.0, max_people=2),), promised_day=12)
    long = Project("long", (EffortPhase("b", "dev", 80.0, max_people=1),), promised_day=13)
    developers = (Person("ana", {"dev": 1.0}), Person("bo", {"dev": 1.0}))
    instance = _instance(short, long, people=developers)
    without_repair = schedule(instance, time_limit=0.0)
    assert without_repair.projects["long"].status is ProjectStatus.LATE
    plan = schedule(instance, time_limit=1.0)
    assert plan.projects["long"].status is ProjectStatus.ON_TIME
    assert plan.projects["short"].status is ProjectStatus.ON_TIME
    assert list(plan.projects) == ["long", "short"]


def test_work_beyond_the_horizon_is_reported_not_half_planned() -> None:
    plan = schedule(_instance(Project("huge", (EffortPhase("b", "dev", 5000.0),))))
    result = plan.projects["huge"]
    assert result.status is ProjectStatus.UNSCHEDULED
    assert "build" not in result.reason and "'b'" in result.reason
    assert len(plan.allocations) == 0


def test_an_unscheduled_phase_is_named_as_people_know_it() -> None:
    phase = EffortPhase("l0-build", "dev", 5000.0, name="Build")
    plan = schedule(_instance(Project("huge", (phase,))))
    assert plan.projects["huge"].reason == "phase 'Build' does not fit before the horizon ends"


def test_a_crew_nobody_can_staff_is_unscheduled() -> None:
    plan = schedule(_instance(Project("x", (FixedPhase("i", 1, {"elec": 2}),))))
    assert plan.projects["x"].status is ProjectStatus.UNSCHEDULED


def test_cross_trained_people_help_when_it_finishes_sooner() -> None:
    build = EffortPhase("b", "dev", 60.0, max_people=2)
    plan = schedule(_instance(Project("p", (build,))))
    people_used = {plan.instance.people[i].id for i in plan.allocations.person.tolist()}
    assert people_used == {"ana", "bo"}
    delivered = sum(
        h * plan.instance.people[p].skills["dev"]
        for p, h in zip(
            plan.allocations.person.tolist(), plan.allocations.hours.tolist(), strict=True
        )
    )
    assert delivered == pytest.approx(60.0)


def test_invalid_input_names_the_field() -> None:
    bad = Project("p", (EffortPhase("b", "painter", 8.0),))
    with pytest.raises(InvalidInput) as caught:
        schedule(_instance(bad))
    assert caught.value.field == "projects[0].phases[0].role"


def test_a_precedence_cycle_is_rejected() -> None:
    cyclic = (
        EffortPhase("a", "dev", 8.0, predecessors=(Dependency("b"),)),
        EffortPhase("b", "dev", 8.0, predecessors=(Dependency("a"),)),
    )
    with pytest.raises(InvalidInput, match="cycle"):
        schedule(_instance(Project("p", cyclic)))
