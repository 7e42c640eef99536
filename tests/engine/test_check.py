"""The independent plan checker: every rule has a plan that breaks it and one that keeps it.

One shared setup — a small studio and a hand-written valid plan — varied one
condition at a time, either in the instance or in the plan.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from promisekeeper.engine.capacity import capacity_matrix
from promisekeeper.engine.check import Violation, available_hours, check_plan
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.io import load_instance, plan_from_dict, plan_to_dict
from promisekeeper.engine.model import (
    Calendar,
    Dependency,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Project,
    ProjectState,
    TimeOff,
)
from promisekeeper.engine.plan import Allocations, Plan, project_result

from .strategies import instance_and_new_project, instances

FIXTURES = Path(__file__).parent / "fixtures"
START = date(2026, 1, 5)  # a Monday
WEEKDAYS_8H = (8.0, 8.0, 8.0, 8.0, 8.0, 0.0, 0.0)


def studio(
    *,
    people: dict[str, dict] | None = None,
    build: dict | None = None,
    fit: dict | None = None,
    project: dict | None = None,
    calendar: dict | None = None,
) -> Instance:
    """Ana and Ben build for 20 effective hours, then Ben and Cy install over two days."""
    staff = {
        "ana": Person("ana", {"dev": 1.0}, WEEKDAYS_8H),
        "ben": Person("ben", {"dev": 0.5, "install": 1.0}, WEEKDAYS_8H),
        "cy": Person("cy", {"install": 1.0}, WEEKDAYS_8H),
    }
    for person_id, changes in (people or {}).items():
        staff[person_id] = replace(staff[person_id], **changes)
    phases = (
        replace(
            EffortPhase("build", "dev", 20.0, max_people=2, max_hours_per_day=8.0), **(build or {})
        ),
        replace(
            FixedPhase("fit", 2, {"install": 2}, 6.0, (Dependency("build", 1),)),
            **(fit or {}),
        ),
    )
    main = replace(Project("p", phases, release_day=0, promised_day=11), **(project or {}))
    later = Project("q", (EffortPhase("x", "dev", 5.0),), state=ProjectState.TENTATIVE)
    return Instance(
        replace(Calendar(START, horizon_days=21), **(calendar or {})),
        ("dev", "install", "design"),
        tuple(staff.values()),
        (main, later),
    )


def iso(day: int) -> str:
    return (START + timedelta(days=day)).isoformat()


def row(person: str, day: int, phase: str, hours: float, project: str = "p") -> dict:
    return {
        "person": person,
        "day": day,
        "date": iso(day),
        "project": project,
        "phase": phase,
        "hours": hours,
    }


def timing(phase: str, start: int, end: int) -> dict:
    return {
        "id": phase,
        "start_day": start,
        "end_day": end,
        "start_date": iso(start),
        "end_date": iso(end - 1),
    }


def valid_plan() -> dict:
    """Build runs days 0-2 (Mon-Wed); after a 1-day lag the fit runs Fri 4 and Mon 7."""
    return {
        "horizon_start": START.isoformat(),
        "makespan_days": 8,
        "projects": [
            {
                "id": "p",
                "status": "on_time",
                "finish_day": 8,
                "finish_date": iso(7),
                "promised_day": 11,
                "promised_date": iso(11),
                "lateness_days": -4,
                "reason": "",
                "phases": [timing("build", 0, 3), timing("fit", 4, 8)],
            },
            {
                "id": "q",
                "status": "unscheduled",
                "finish_day": None,
                "finish_date": None,
                "promised_day": None,
                "promised_date": None,
                "lateness_days": None,
                "reason": "does not fit",
                "phases": [],
            },
        ],
        "allocations": [
            row("ana", 0, "build", 8.0),
            row("ben", 0, "build", 4.0),  # 4 h at efficiency 0.5 deliver 2
            row("ana", 1, "build", 8.0),
            row("ana", 2, "build", 2.0),
            row("ben", 4, "fit", 6.0),
            row("cy", 4, "fit", 6.0),
            row("ben", 7, "fit", 6.0),
            row("cy", 7, "fit", 6.0),
        ],
    }


def codes(instance: Instance, plan: dict) -> list[str]:
    return [v.code for v in check_plan(instance, plan)]


def phase_timing(plan: dict, phase: str) -> dict:
    return next(t for t in plan["projects"][0]["phases"] if t["id"] == phase)


def set_timing(plan: dict, phase: str, start: int, end: int) -> dict:
    phase_timing(plan, phase).update(timing(phase, start, end))
    return plan


# --------------------------------------------------------------------------- the valid plan


def test_hand_written_plan_is_valid() -> None:
    assert check_plan(studio(), valid_plan()) == []


def test_plan_object_is_checked_like_its_json() -> None:
    instance = studio()
    plan = plan_from_dict(valid_plan(), instance)
    assert check_plan(instance, plan) == []


def test_violation_names_the_place() -> None:
    plan = valid_plan()
    plan["allocations"][0]["hours"] = 9.0
    plan["allocations"][1]["hours"] = 2.0
    violation = check_plan(studio(), plan)[0]
    assert violation == Violation(
        "max_hours_per_day",
        "ana works 9 h on p/build on day 0 (2026-01-05) (max_hours_per_day 8)",
        project="p",
        phase="build",
        person="ana",
        day=0,
    )
    assert str(violation).startswith("max_hours_per_day: ana works 9 h")


# --------------------------------------------------------------------------- capacity


@pytest.mark.parametrize(
    ("instance", "expected"),
    [
        (studio(people={"ana": {"weekly_hours": (6.0, *WEEKDAYS_8H[1:])}}), ["over_capacity"]),
        (studio(people={"ana": {"time_off": (TimeOff(1, 2),)}}), ["over_capacity"]),
        (studio(people={"ana": {"time_off": (TimeOff(2, 3, 7.0),)}}), ["over_capacity"]),
        (studio(people={"ana": {"delivery_share": 0.5}}), ["over_capacity", "over_capacity"]),
        (studio(people={"ana": {"start_day": 1}}), ["over_capacity"]),
        (studio(people={"ana": {"end_day": 2}}), ["over_capacity"]),
        (studio(calendar={"closed_days": frozenset({1})}), ["over_capacity"]),
    ],
    ids=["weekly-hours", "day-off", "partial-day-off", "delivery-share", "start", "end", "closed"],
)
def test_booking_more_than_available_hours_is_a_violation(
    instance: Instance, expected: list[str]
) -> None:
    assert codes(instance, valid_plan()) == expected


def test_booking_exactly_the_available_hours_is_not() -> None:
    instance = studio(people={"ana": {"time_off": (TimeOff(2, 3, 6.0),)}})  # 2 h left on day 2
    assert codes(instance, valid_plan()) == []


def test_rounding_noise_within_tolerance_is_not_a_violation() -> None:
    plan = valid_plan()
    plan["allocations"][0]["hours"] = 8.0 + 1e-9
    assert codes(studio(), plan) == []


def test_over_capacity_names_person_and_day() -> None:
    instance = studio(people={"ana": {"time_off": (TimeOff(1, 2),)}})
    (violation,) = check_plan(instance, valid_plan())
    assert (violation.person, violation.day) == ("ana", 1)
    assert "ana is booked 8 h on day 1 (2026-01-06) but has 0 h available" in violation.message


def test_checker_capacity_agrees_with_the_capacity_grid_on_the_fixture() -> None:
    instance = load_instance(FIXTURES / "studio.json")
    grid = capacity_matrix(instance)
    ours = [
        [available_hours(person, instance.calendar, day) for day in range(grid.shape[1])]
        for person in instance.people
    ]
    np.testing.assert_allclose(np.array(ours), grid)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_checker_capacity_agrees_with_the_capacity_grid(instance: Instance) -> None:
    grid = capacity_matrix(instance)
    for row_index, person in enumerate(instance.people):
        ours = [available_hours(person, instance.calendar, d) for d in range(grid.shape[1])]
        np.testing.assert_allclose(ours, grid[row_index])


# --------------------------------------------------------------------------- qualification


def test_effort_by_someone_without_the_role_is_a_violation() -> None:
    instance = studio(people={"ben": {"skills": {"install": 1.0}}})
    assert codes(instance, valid_plan()) == ["unqualified", "effort_total"]


def test_effort_by_a_slower_but_qualified_person_is_not() -> None:
    assert (
        codes(studio(people={"ben": {"skills": {"dev": 0.5, "install": 1.0}}}), valid_plan()) == []
    )


def test_crew_member_without_any_crew_role_is_a_violation() -> None:
    plan = valid_plan()
    plan["allocations"][5]["person"] = "ana"  # ana replaces cy on day 4
    assert codes(studio(), plan) == ["unqualified"]


def test_crew_that_cannot_fill_every_role_is_a_violation() -> None:
    instance = studio(fit={"crew": {"install": 1, "design": 1}})
    assert codes(instance, valid_plan()) == ["crew_roles", "crew_roles"]


def test_crew_that_fills_each_role_with_a_different_person_is_not() -> None:
    # Ben must take dev so that Cy can take install: a matching, not a greedy pick.
    instance = studio(fit={"crew": {"install": 1, "dev": 1}})
    assert codes(instance, valid_plan()) == []


def test_one_person_cannot_fill_two_crew_roles() -> None:
    instance = studio(fit={"crew": {"install": 1, "dev": 1}})
    plan = valid_plan()
    plan["allocations"] = [
        r for r in plan["allocations"] if not (r["person"] == "cy" and r["day"] == 4)
    ]
    plan["allocations"][4]["hours"] = 12.0  # ben 'doing both roles' for 6 h each
    assert "crew_size" in codes(instance, plan)


# --------------------------------------------------------------------------- precedence and release


def test_successor_starting_inside_the_lag_is_a_violation() -> None:
    assert codes(studio(fit={"predecessors": (Dependency("build", 2),)}), valid_plan()) == [
        "precedence"
    ]


def test_successor_starting_exactly_after_the_lag_is_not() -> None:
    assert codes(studio(fit={"predecessors": (Dependency("build", 1),)}), valid_plan()) == []


def test_work_before_the_release_day_is_a_violation() -> None:
    assert codes(studio(project={"release_day": 1}), valid_plan()) == ["release"]


def test_work_from_the_release_day_is_not() -> None:
    assert codes(studio(project={"release_day": 0}), valid_plan()) == []


# --------------------------------------------------------------------------- effort phases


def test_more_people_than_max_people_is_a_violation() -> None:
    assert codes(studio(build={"max_people": 1}), valid_plan()) == ["max_people"]


def test_more_hours_than_max_hours_per_day_is_a_violation() -> None:
    assert codes(studio(build={"max_hours_per_day": 7.0}), valid_plan()) == [
        "max_hours_per_day",
        "max_hours_per_day",
    ]


def test_work_outside_the_phase_days_is_a_violation() -> None:
    plan = set_timing(valid_plan(), "build", 1, 3)
    assert codes(studio(), plan) == ["outside_phase", "phase_bounds"]


def test_delivered_effort_short_of_the_estimate_is_a_violation() -> None:
    assert codes(studio(build={"effort_hours": 21.0}), valid_plan()) == ["effort_total"]


def test_delivered_effort_is_counted_at_each_persons_efficiency() -> None:
    # Ben's 4 hours deliver 2 at efficiency 0.5; at 1.0 they would deliver 4.
    instance = studio(people={"ben": {"skills": {"dev": 1.0, "install": 1.0}}})
    assert codes(instance, valid_plan()) == ["effort_total"]


def test_phase_bounds_that_do_not_match_the_work_are_a_violation() -> None:
    instance = studio(fit={"predecessors": (Dependency("build", 0),)})
    plan = set_timing(valid_plan(), "build", 0, 4)
    assert codes(instance, plan) == ["phase_bounds"]


def test_zero_effort_phase_without_work_must_have_no_length() -> None:
    instance = studio(build={"effort_hours": 0.0})
    plan = valid_plan()
    plan["allocations"] = [r for r in plan["allocations"] if r["phase"] != "build"]
    assert codes(instance, set_timing(copy.deepcopy(plan), "build", 0, 0)) == []
    assert codes(instance, plan) == ["phase_bounds"]


# --------------------------------------------------------------------------- fixed phases


def test_fixed_phase_running_over_a_weekend_is_valid() -> None:
    assert phase_timing(valid_plan(), "fit") == timing("fit", 4, 8)
    assert codes(studio(), valid_plan()) == []


def test_fixed_phase_with_the_wrong_end_is_a_violation() -> None:
    plan = set_timing(valid_plan(), "fit", 4, 9)
    assert codes(studio(), plan)[0] == "fixed_span"


def test_fixed_phase_starting_on_a_non_working_day_is_a_violation() -> None:
    instance = studio(calendar={"closed_days": frozenset({4})})
    plan = valid_plan()
    plan["allocations"] = [r for r in plan["allocations"] if r["day"] != 4]
    assert codes(instance, plan)[0] == "fixed_span"


def test_fixed_phase_interrupted_by_a_closed_day_is_a_violation() -> None:
    # With Monday 7 closed the two working days from Friday 4 are 4 and 8.
    instance = studio(calendar={"closed_days": frozenset({7})})
    assert codes(instance, valid_plan()) == [
        "fixed_span",
        "outside_phase",
        "crew_size",
        "over_capacity",
        "over_capacity",
    ]


def test_missing_crew_member_is_a_violation() -> None:
    plan = valid_plan()
    del plan["allocations"][7]
    assert codes(studio(), plan) == ["crew_size"]


def test_crew_member_working_other_hours_is_a_violation() -> None:
    plan = valid_plan()
    plan["allocations"][4]["hours"] = 5.0
    assert codes(studio(), plan) == ["crew_hours"]


def test_crew_work_outside_the_run_is_a_violation() -> None:
    plan = valid_plan()
    plan["allocations"].append(row("cy", 8, "fit", 6.0))
    assert codes(studio(), plan) == ["outside_phase"]


def test_zero_day_fixed_phase_has_no_length_and_no_crew() -> None:
    instance = studio(fit={"days": 0})
    plan = valid_plan()
    plan["allocations"] = [r for r in plan["allocations"] if r["phase"] != "fit"]
    set_timing(plan, "fit", 4, 4)
    plan["projects"][0].update(finish_day=4, finish_date=iso(3), lateness_days=-8)
    plan["makespan_days"] = 4
    assert codes(instance, plan) == []
    set_timing(plan, "fit", 4, 5)
    assert "fixed_span" in codes(instance, plan)


# --------------------------------------------------------------------------- completeness


def test_missing_project_is_a_violation() -> None:
    plan = valid_plan()
    del plan["projects"][1]
    assert codes(studio(), plan) == ["missing_project"]


def test_project_not_in_the_instance_is_a_violation() -> None:
    plan = valid_plan()
    plan["projects"].append({**plan["projects"][1], "id": "zzz"})
    assert codes(studio(), plan) == ["unknown_project"]


def test_project_listed_twice_is_a_violation() -> None:
    plan = valid_plan()
    plan["projects"].append(copy.deepcopy(plan["projects"][1]))
    assert codes(studio(), plan) == ["duplicate_project"]


def test_scheduled_project_missing_a_phase_is_a_violation() -> None:
    plan = valid_plan()
    plan["projects"][0]["phases"].pop()
    plan["allocations"] = [r for r in plan["allocations"] if r["phase"] != "fit"]
    assert codes(studio(), plan) == ["missing_phase", "makespan"]  # build now ends last


def test_unknown_or_repeated_phase_timing_is_a_violation() -> None:
    plan = valid_plan()
    plan["projects"][0]["phases"].append(timing("paint", 9, 10))
    plan["projects"][0]["phases"].append(timing("fit", 4, 8))
    assert codes(studio(), plan) == ["unknown_phase", "duplicate_phase"]


def test_unscheduled_project_with_work_is_a_violation() -> None:
    plan = valid_plan()
    plan["allocations"].append(row("ana", 3, "x", 5.0, project="q"))
    assert codes(studio(), plan) == ["unscheduled_with_allocations"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("person", "zed", "unknown_person"),
        ("project", "zed", "unknown_project"),
        ("phase", "paint", "unknown_phase"),
        ("day", 40, "day_outside_horizon"),
        ("hours", -1.0, "negative_hours"),
        ("date", "2026-02-01", "date_mismatch"),
    ],
)
def test_allocation_naming_something_that_does_not_exist_is_a_violation(
    field: str, value: object, code: str
) -> None:
    plan = valid_plan()
    plan["allocations"].append({**row("cy", 9, "fit", 0.0), field: value})
    assert codes(studio(), plan) == [code]


# --------------------------------------------------------------------------- outcome fields


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda p: p["projects"][0].update(finish_day=9), "finish_day"),
        (lambda p: p["projects"][0].update(finish_date=iso(8)), "date_mismatch"),
        (lambda p: p["projects"][0].update(status="late"), "status"),
        (lambda p: p["projects"][0].update(lateness_days=0), "lateness"),
        (lambda p: p["projects"][0].update(promised_day=12), "promise"),
        (lambda p: p["projects"][0].update(promised_date=iso(12)), "promise"),
        (lambda p: phase_timing(p, "build").update(end_date=iso(3)), "date_mismatch"),
        (lambda p: p.update(makespan_days=7), "makespan"),
        (lambda p: p.update(horizon_start="2026-01-06"), "horizon_start"),
    ],
)
def test_inconsistent_outcome_field_is_a_violation(change, code: str) -> None:
    plan = valid_plan()
    change(plan)
    assert codes(studio(), plan) == [code]


def test_late_project_must_be_listed_as_late() -> None:
    instance = studio(project={"promised_day": 5})
    plan = valid_plan()
    plan["projects"][0].update(promised_day=5, promised_date=iso(5), lateness_days=2)
    assert codes(instance, plan) == ["status"]
    plan["projects"][0]["status"] = "late"
    assert codes(instance, plan) == []


def test_project_without_promise_must_be_listed_as_no_promise() -> None:
    instance = studio(project={"promised_day": None})
    plan = valid_plan()
    plan["projects"][0].update(promised_day=None, promised_date=None, lateness_days=None)
    assert codes(instance, plan) == ["status"]
    plan["projects"][0]["status"] = "no_promise"
    assert codes(instance, plan) == []


# --------------------------------------------------------------------------- malformed plans


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p.pop("allocations"), "allocations"),
        (lambda p: p.pop("horizon_start"), "horizon_start"),
        (lambda p: p["allocations"][0].pop("person"), "allocations[0].person"),
        (lambda p: p["allocations"][0].update(day="0"), "allocations[0].day"),
        (lambda p: p["allocations"][0].update(hours=None), "allocations[0].hours"),
        (lambda p: p["projects"][0].update(status="done"), "projects[0].status"),
        (
            lambda p: p["projects"][0]["phases"][0].pop("start_day"),
            "projects[0].phases[0].start_day",
        ),
    ],
)
def test_malformed_plan_raises_invalid_input_naming_the_field(change, field: str) -> None:
    plan = valid_plan()
    change(plan)
    with pytest.raises(InvalidInput) as error:
        check_plan(studio(), plan)
    assert error.value.field == field


# --------------------------------------------------------------------------- the scheduler's plans


def test_scheduled_fixture_passes_the_checker() -> None:
    from promisekeeper.engine import schedule

    instance = load_instance(FIXTURES / "studio.json")
    plan = schedule.schedule(instance, time_limit=0.5)
    assert check_plan(instance, plan) == []
    assert check_plan(instance, plan_to_dict(plan)) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_scheduled_plans_pass_the_checker(instance: Instance) -> None:
    from promisekeeper.engine import schedule

    plan = schedule.schedule(instance, time_limit=0.05)
    assert check_plan(instance, plan) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance_and_new_project())
def test_promise_placements_pass_the_checker(pair: tuple[Instance, Project]) -> None:
    from promisekeeper.engine import promise, schedule

    instance, new = pair
    plan = schedule.schedule(instance, time_limit=0.05)
    answer = promise.earliest_finish(plan, new)
    if answer.finish_day is not None:
        combined = Plan(
            instance,
            plan.capacity,
            plan.free,
            Allocations.concat([plan.allocations, answer.allocations]),
            {**plan.projects, new.id: project_result(new.id, new.promised_day, answer.phases)},
        )
        assert check_plan(instance, combined, extra_projects=[new]) == []
    if answer.finish_day is not None and new.promised_day is not None:
        by_day = max(new.release_day, min(new.promised_day, answer.finish_day - 2))
        delivery = promise.can_deliver_by(plan, new, by_day, allow_reshuffle=True)
        if delivery.plan is not None:
            assert check_plan(delivery.plan.instance, delivery.plan) == []
