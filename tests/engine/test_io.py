"""JSON in and out of the engine: dates at the edges, named errors, lossless round trips."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promisekeeper.engine.capacity import capacity_matrix
from promisekeeper.engine.effort import EffortDistribution, EffortKind
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.io import (
    dump_json,
    instance_from_dict,
    instance_to_dict,
    load_instance,
    plan_from_dict,
    plan_to_dict,
    project_from_dict,
    project_to_dict,
    read_json,
)
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
    validate_instance,
)
from promisekeeper.engine.plan import Allocations, PhaseTiming, Plan, project_result

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def raises_on(field: str):
    return pytest.raises(InvalidInput, match=rf"^{re.escape(field)}: ")


# --------------------------------------------------------------------------- instances


def test_tiny_fixture_converts_dates_to_day_indices() -> None:
    instance = load_instance(FIXTURES / "tiny.json")
    assert instance.calendar.start == date(2026, 1, 5)
    assert instance.calendar.working_weekdays == (True, True, True, True, True, False, False)
    assert instance.projects[0].promised_day == 11
    assert instance.projects[0].release_day == 0


def test_studio_fixture_reads_every_field() -> None:
    instance = load_instance(FIXTURES / "studio.json")
    assert instance.calendar.closed_days == frozenset({14})
    ana, ben, cy, dee = instance.people
    assert ben.time_off == (TimeOff(7, 9, None),)
    assert cy.start_day == 2 and cy.delivery_share == 0.75
    assert cy.time_off == (TimeOff(16, 17, 4.0),)
    assert dee.end_day == 40  # end_date 2026-02-13 is the last day employed
    shopfit, kiosk = instance.projects
    assert shopfit.state is ProjectState.IN_DELIVERY
    assert (shopfit.release_day, shopfit.promised_day, shopfit.priority) == (1, 32, 2)
    design, build, install = shopfit.phases
    assert isinstance(design, EffortPhase) and design.effort_low == 16.0
    assert build.predecessors == (Dependency("design", 0),)
    assert isinstance(install, FixedPhase)
    assert install.crew == {"install": 2} and install.hours_per_day == 6.0
    assert install.predecessors == (Dependency("build", 2),)
    assert kiosk.state is ProjectState.TENTATIVE and kiosk.quantity == 3.0
    assert kiosk.phases[0].name == "Software"
    assert instance.meta == {"source": "hand-written fixture"}


def test_working_days_names_match_weekday_flags() -> None:
    data = fixture("tiny.json")
    data["calendar"]["working_days"] = ["Mon", "wed", "sat"]
    calendar = instance_from_dict(data).calendar
    assert calendar.working_weekdays == (True, False, True, False, False, True, False)


def test_working_days_and_working_weekdays_together_are_rejected() -> None:
    data = fixture("tiny.json")
    data["calendar"]["working_weekdays"] = [True] * 7
    with raises_on("calendar.working_days"):
        instance_from_dict(data)


def test_unknown_weekday_name_is_rejected() -> None:
    data = fixture("tiny.json")
    data["calendar"]["working_days"] = ["mon", "funday"]
    with raises_on("calendar.working_days[1]"):
        instance_from_dict(data)


def test_missing_optional_fields_take_model_defaults() -> None:
    data = {
        "calendar": {"start": "2026-01-05"},
        "roles": ["dev"],
        "people": [{"id": "a", "skills": {"dev": 1}, "weekly_hours": [8] * 7}],
    }
    instance = instance_from_dict(data)
    assert instance.calendar == Calendar(date(2026, 1, 5))
    assert instance.projects == ()
    person = instance.people[0]
    assert (person.start_day, person.end_day, person.delivery_share) == (0, None, 1.0)


def test_project_defaults_to_committed_without_promise() -> None:
    data = fixture("tiny.json")
    data["projects"][0] = {
        "id": "p",
        "phases": [{"id": "x", "kind": "effort", "role": "dev", "effort_hours": 1}],
    }
    project = instance_from_dict(data).projects[0]
    assert project.state is ProjectState.COMMITTED
    assert project.promised_day is None
    phase = project.phases[0]
    assert (phase.max_people, phase.max_hours_per_day, phase.predecessors) == (1, 8.0, ())


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("calendar",), "calendar"),
        (("calendar", "start"), "calendar.start"),
        (("roles",), "roles"),
        (("people",), "people"),
        (("people", 0, "id"), "people[0].id"),
        (("people", 0, "skills"), "people[0].skills"),
        (("people", 0, "weekly_hours"), "people[0].weekly_hours"),
        (("people", 1, "time_off", 0, "start"), "people[1].time_off[0].start"),
        (("people", 1, "time_off", 0, "end"), "people[1].time_off[0].end"),
        (("projects", 0, "id"), "projects[0].id"),
        (("projects", 0, "phases"), "projects[0].phases"),
        (("projects", 0, "phases", 0, "id"), "projects[0].phases[0].id"),
        (("projects", 0, "phases", 0, "kind"), "projects[0].phases[0].kind"),
        (("projects", 0, "phases", 0, "role"), "projects[0].phases[0].role"),
        (("projects", 0, "phases", 0, "effort_hours"), "projects[0].phases[0].effort_hours"),
        (("projects", 0, "phases", 2, "days"), "projects[0].phases[2].days"),
        (("projects", 0, "phases", 2, "crew"), "projects[0].phases[2].crew"),
        (
            ("projects", 0, "phases", 2, "predecessors", 0, "phase"),
            "projects[0].phases[2].predecessors[0].phase",
        ),
    ],
)
def test_missing_required_field_is_named(path: tuple, field: str) -> None:
    data = fixture("studio.json")
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    with raises_on(field):
        instance_from_dict(data)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("calendar", "start"), "05/01/2026", "calendar.start"),
        (("calendar", "start"), 20260105, "calendar.start"),
        (("calendar", "horizon_days"), "56", "calendar.horizon_days"),
        (("calendar", "horizon_days"), 5000, "calendar.horizon_days"),
        (("calendar", "working_weekdays"), [True] * 6, "calendar.working_weekdays"),
        (("calendar", "working_weekdays", 2), 1, "calendar.working_weekdays[2]"),
        (("calendar", "closed_dates"), "2026-01-19", "calendar.closed_dates"),
        (("roles",), {"dev": 1}, "roles"),
        (("roles", 0), 7, "roles[0]"),
        (("people",), {}, "people"),
        (("people", 0), "ana", "people[0]"),
        (("people", 0, "id"), 3, "people[0].id"),
        (("people", 0, "skills"), ["design"], "people[0].skills"),
        (("people", 0, "skills", "design"), "high", "people[0].skills.design"),
        (("people", 0, "skills", "design"), True, "people[0].skills.design"),
        (("people", 2, "weekly_hours"), [8, 8, 8], "people[2].weekly_hours"),
        (("people", 2, "weekly_hours", 3), None, "people[2].weekly_hours[3]"),
        (("people", 2, "weekly_hours", 3), float("nan"), "people[2].weekly_hours[3]"),
        (("people", 2, "delivery_share"), "75%", "people[2].delivery_share"),
        (("people", 2, "time_off"), {}, "people[2].time_off"),
        (("people", 2, "time_off", 0, "hours_per_day"), "4", "people[2].time_off[0].hours_per_day"),
        (("projects",), {}, "projects"),
        (("projects", 0, "state"), "signed", "projects[0].state"),
        (("projects", 0, "priority"), 1.5, "projects[0].priority"),
        (("projects", 0, "phases", 0, "kind"), "manual", "projects[0].phases[0].kind"),
        (("projects", 0, "phases", 0, "effort_hours"), "24h", "projects[0].phases[0].effort_hours"),
        (("projects", 0, "phases", 0, "max_people"), 1.5, "projects[0].phases[0].max_people"),
        (
            ("projects", 0, "phases", 1, "predecessors"),
            "design",
            "projects[0].phases[1].predecessors",
        ),
        (
            ("projects", 0, "phases", 1, "predecessors", 0),
            3,
            "projects[0].phases[1].predecessors[0]",
        ),
        (("projects", 0, "phases", 2, "days"), 3.5, "projects[0].phases[2].days"),
        (("projects", 0, "phases", 2, "crew"), [2], "projects[0].phases[2].crew"),
        (
            ("projects", 0, "phases", 2, "crew", "install"),
            "two",
            "projects[0].phases[2].crew.install",
        ),
        (
            ("projects", 0, "phases", 2, "predecessors", 0, "lag_days"),
            "2",
            "projects[0].phases[2].predecessors[0].lag_days",
        ),
        (("meta",), [], "meta"),
    ],
)
def test_wrong_typed_field_is_named(path: tuple, value: object, field: str) -> None:
    data = fixture("studio.json")
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    with raises_on(field):
        instance_from_dict(data)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ((), "colour"),
        (("calendar",), "calendar.colour"),
        (("people", 0), "people[0].colour"),
        (("people", 1, "time_off", 0), "people[1].time_off[0].colour"),
        (("projects", 0), "projects[0].colour"),
        (("projects", 0, "phases", 0), "projects[0].phases[0].colour"),
        (
            ("projects", 0, "phases", 2, "predecessors", 0),
            "projects[0].phases[2].predecessors[0].colour",
        ),
    ],
)
def test_unknown_field_is_rejected(path: tuple, field: str) -> None:
    data = fixture("studio.json")
    parent = data
    for key in path:
        parent = parent[key]
    parent["colour"] = "blue"
    with raises_on(field):
        instance_from_dict(data)


def test_field_of_the_other_phase_kind_is_rejected() -> None:
    data = fixture("studio.json")
    data["projects"][0]["phases"][0]["days"] = 3
    with raises_on("projects[0].phases[0].days"):
        instance_from_dict(data)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("projects", 0, "promised_date"), "2026-03-02", "projects[0].promised_date"),
        (("projects", 0, "release_date"), "2026-01-04", "projects[0].release_date"),
        (("calendar", "closed_dates", 0), "2025-12-25", "calendar.closed_dates[0]"),
        (("people", 2, "start_date"), "2027-01-01", "people[2].start_date"),
        (("people", 3, "end_date"), "2026-03-02", "people[3].end_date"),
        (("people", 1, "time_off", 0, "end"), "2026-03-02", "people[1].time_off[0].end"),
    ],
)
def test_date_outside_the_horizon_is_named(path: tuple, value: str, field: str) -> None:
    data = fixture("studio.json")
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    with raises_on(field) as error:
        instance_from_dict(data)
    assert "outside the planning horizon 2026-01-05..2026-03-01" in str(error.value)


def test_last_and_first_day_of_the_horizon_are_inside() -> None:
    data = fixture("studio.json")
    data["projects"][0]["promised_date"] = "2026-03-01"
    data["projects"][0]["release_date"] = "2026-01-05"
    project = instance_from_dict(data).projects[0]
    assert (project.release_day, project.promised_day) == (0, 55)


def test_time_off_ending_before_it_starts_is_rejected() -> None:
    data = fixture("studio.json")
    data["people"][1]["time_off"][0] = {"start": "2026-01-13", "end": "2026-01-12"}
    with raises_on("people[1].time_off[0].end"):
        instance_from_dict(data)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda d: d["projects"][0]["phases"][0].update(role="plumbing"),
            "projects[0].phases[0].role",
        ),
        (lambda d: d["people"][0]["skills"].update(plumbing=1.0), "people[0].skills.plumbing"),
        (lambda d: d["people"][0]["weekly_hours"].__setitem__(0, -1), "people[0].weekly_hours[0]"),
        (
            lambda d: d["projects"][0]["phases"][0].update(effort_hours=-5),
            "projects[0].phases[0].effort_hours",
        ),
        (
            lambda d: d["projects"][0]["phases"][0].update(predecessors=["install"]),
            "projects[0].phases",
        ),
        (lambda d: d["projects"][1].update(id="shopfit"), "projects[1].id"),
        (lambda d: d["people"][1].update(id="ana"), "people[1].id"),
    ],
)
def test_model_rules_are_enforced_on_read(change, field: str) -> None:
    data = fixture("studio.json")
    change(data)
    with raises_on(field):
        instance_from_dict(data)


def test_predecessor_shorthand_equals_the_object_form() -> None:
    short = fixture("studio.json")
    long = copy.deepcopy(short)
    long["projects"][0]["phases"][1]["predecessors"] = [{"phase": "design", "lag_days": 0}]
    assert instance_from_dict(short) == instance_from_dict(long)


def test_instance_round_trips_through_json() -> None:
    instance = load_instance(FIXTURES / "studio.json")
    data = json.loads(dump_json(instance_to_dict(instance)))
    assert instance_from_dict(data) == instance


def test_instance_to_dict_clips_days_outside_the_horizon_without_changing_capacity() -> None:
    calendar = Calendar(date(2026, 1, 5), horizon_days=14)
    people = (
        Person("early", {"dev": 1.0}, start_day=-30, time_off=(TimeOff(-5, 2),)),
        Person("late_leaver", {"dev": 1.0}, end_day=40, time_off=(TimeOff(10, 30, 2.0),)),
        Person("never", {"dev": 1.0}, start_day=20),
        Person("gone", {"dev": 1.0}, end_day=0),
    )
    instance = Instance(calendar, ("dev",), people)
    again = instance_from_dict(instance_to_dict(instance))
    np.testing.assert_array_equal(capacity_matrix(again), capacity_matrix(instance))


@st.composite
def instances(draw) -> Instance:
    horizon = draw(st.integers(1, 120))
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
    days = st.integers(0, horizon - 1)
    calendar = Calendar(
        start,
        horizon_days=horizon,
        working_weekdays=tuple(draw(st.lists(st.booleans(), min_size=7, max_size=7))),
        closed_days=frozenset(draw(st.lists(days, max_size=5))),
    )
    roles = ("a", "b")
    hours = st.floats(0, 24, allow_nan=False)
    people = []
    for k in range(draw(st.integers(0, 3))):
        first = draw(days)
        offs = []
        for _ in range(draw(st.integers(0, 2))):
            lo = draw(days)
            hi = draw(st.integers(lo, horizon - 1))
            share = draw(st.none() | st.floats(0, 8, allow_nan=False))
            offs.append(TimeOff(lo, hi + 1, share))
        people.append(
            Person(
                f"p{k}",
                {"a": draw(st.floats(0.1, 2))},
                weekly_hours=tuple(draw(st.lists(hours, min_size=7, max_size=7))),
                start_day=first,
                end_day=draw(st.none() | st.integers(first + 1, horizon)),
                delivery_share=draw(st.floats(0, 1)),
                time_off=tuple(offs),
            )
        )
    projects = []
    for k in range(draw(st.integers(0, 2))):
        effort = draw(st.floats(0, 100))
        phases = (
            EffortPhase("e", "a", effort, max_people=draw(st.integers(1, 3))),
            FixedPhase(
                "f",
                draw(st.integers(0, 5)),
                {"b": draw(st.integers(0, 2))},
                predecessors=(Dependency("e", draw(st.integers(0, 3))),),
            ),
        )
        projects.append(
            Project(
                f"j{k}",
                phases,
                release_day=draw(days),
                promised_day=draw(st.none() | days),
                state=draw(st.sampled_from(list(ProjectState))),
                priority=draw(st.integers(-5, 5)),
                win_probability=draw(st.floats(0, 1)),
            )
        )
    return Instance(calendar, roles, tuple(people), tuple(projects))


@settings(max_examples=60, deadline=None)
@given(instances())
def test_any_valid_instance_survives_a_json_round_trip(instance: Instance) -> None:
    data = json.loads(dump_json(instance_to_dict(instance)))
    again = instance_from_dict(data)
    assert instance_to_dict(again) == data
    assert again.projects == instance.projects
    assert again.calendar == instance.calendar
    np.testing.assert_array_equal(capacity_matrix(again), capacity_matrix(instance))


# --------------------------------------------------------------------------- projects


def test_project_from_dict_uses_the_instance_calendar() -> None:
    instance = load_instance(FIXTURES / "studio.json")
    project = project_from_dict(
        read_json(FIXTURES / "new_project.json"), instance.calendar, instance.roles
    )
    assert project.id == "popup"
    assert project.promised_day == 46
    assert project.state is ProjectState.TENTATIVE
    assert (
        project_from_dict(
            project_to_dict(project, instance.calendar), instance.calendar, instance.roles
        )
        == project
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("phases"), "project.phases"),
        (lambda d: d.update(promised_date="2026-06-01"), "project.promised_date"),
        (lambda d: d["phases"][0].update(role="plumbing"), "project.phases[0].role"),
        (lambda d: d.update(budget=100), "project.budget"),
    ],
)
def test_project_from_dict_names_bad_fields(change, field: str) -> None:
    instance = load_instance(FIXTURES / "studio.json")
    data = fixture("new_project.json")
    change(data)
    with raises_on(field):
        project_from_dict(data, instance.calendar, instance.roles)


# --------------------------------------------------------------------------- files


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"calendar": ')
    with pytest.raises(InvalidInput, match="broken.json: not valid JSON"):
        load_instance(path)


def test_binary_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "image.json"
    path.write_bytes(b"\x89PNG\xff\xfe")
    with pytest.raises(InvalidInput, match="image.json: not a UTF-8 text file"):
        load_instance(path)


@pytest.mark.parametrize("data", [[], "x", None])
def test_instance_that_is_not_an_object_is_named(data: object) -> None:
    with raises_on("instance"):
        instance_from_dict(data)


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_instance(tmp_path / "nope.json")


def test_dump_json_writes_numpy_scalars_as_plain_numbers(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    text = dump_json({"a": np.int32(3), "b": np.float64(1.5), "c": np.arange(2)}, path)
    assert json.loads(path.read_text()) == {"a": 3, "b": 1.5, "c": [0, 1]}
    assert text == path.read_text()


# --------------------------------------------------------------------------- plans


def tiny_plan() -> Plan:
    """Ana builds the website in five 8-hour days, Monday to Friday of week one."""
    instance = load_instance(FIXTURES / "tiny.json")
    capacity = capacity_matrix(instance)
    days = np.arange(5, dtype=np.int32)
    allocations = Allocations(
        person=np.zeros(5, dtype=np.int32),
        day=days,
        project=np.zeros(5, dtype=np.int32),
        phase=np.zeros(5, dtype=np.int32),
        hours=np.full(5, 8.0),
    )
    free = capacity.copy()
    free[0, :5] -= 8.0
    result = project_result("website", 11, (PhaseTiming("build", 0, 5),))
    return Plan(instance, capacity, free, allocations, {"website": result})


def _python_types_only(value: object) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _python_types_only(item)
    elif isinstance(value, list):
        for item in value:
            _python_types_only(item)
    else:
        assert value is None or type(value) in (str, int, float, bool), type(value)


def test_plan_to_dict_names_ids_and_dates() -> None:
    data = plan_to_dict(tiny_plan())
    assert data["horizon_start"] == "2026-01-05"
    assert data["makespan_days"] == 5
    (project,) = data["projects"]
    assert project == {
        "id": "website",
        "status": "on_time",
        "finish_day": 5,
        "finish_date": "2026-01-09",
        "promised_day": 11,
        "promised_date": "2026-01-16",
        "lateness_days": -7,
        "reason": "",
        "phases": [
            {
                "id": "build",
                "start_day": 0,
                "end_day": 5,
                "start_date": "2026-01-05",
                "end_date": "2026-01-09",
            }
        ],
    }
    assert data["allocations"][1] == {
        "person": "ana",
        "day": 1,
        "date": "2026-01-06",
        "project": "website",
        "phase": "build",
        "hours": 8.0,
    }
    _python_types_only(data)


def test_plan_round_trips_and_rebuilds_free_capacity() -> None:
    plan = tiny_plan()
    again = plan_from_dict(json.loads(dump_json(plan_to_dict(plan))), plan.instance)
    assert again.projects == plan.projects
    np.testing.assert_array_equal(again.allocations.hours, plan.allocations.hours)
    np.testing.assert_array_equal(again.allocations.day, plan.allocations.day)
    np.testing.assert_array_equal(again.capacity, plan.capacity)
    np.testing.assert_array_equal(again.free, plan.free)


def test_plan_to_dict_resolves_a_project_evaluated_on_top_of_the_plan() -> None:
    plan = tiny_plan()
    extra = Project("extra", (EffortPhase("x", "dev", 4.0),))
    plan.allocations = Allocations.concat(
        [
            plan.allocations,
            Allocations(
                person=np.array([0], dtype=np.int32),
                day=np.array([7], dtype=np.int32),
                project=np.array([-1], dtype=np.int32),
                phase=np.array([0], dtype=np.int32),
                hours=np.array([4.0]),
            ),
        ]
    )
    with raises_on("plan.allocations.project"):
        plan_to_dict(plan)
    row = plan_to_dict(plan, extra_projects=[extra])["allocations"][-1]
    assert (row["project"], row["phase"], row["day"]) == ("extra", "x", 7)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("allocations"), "allocations"),
        (lambda d: d["allocations"][0].update(person="zed"), "allocations[0].person"),
        (lambda d: d["allocations"][0].update(project="zed"), "allocations[0].project"),
        (lambda d: d["allocations"][0].update(phase="zed"), "allocations[0].phase"),
        (lambda d: d["allocations"][0].update(day=28), "allocations[0].day"),
        (lambda d: d["allocations"][0].update(hours="8"), "allocations[0].hours"),
        (lambda d: d["allocations"][0].pop("hours"), "allocations[0].hours"),
        (lambda d: d["projects"][0].update(status="done"), "projects[0].status"),
        (lambda d: d["projects"][0]["phases"][0].pop("end_day"), "projects[0].phases[0].end_day"),
        (lambda d: d.update(horizon_start="2026-01-06"), "horizon_start"),
    ],
)
def test_plan_from_dict_names_bad_fields(change, field: str) -> None:
    plan = tiny_plan()
    data = plan_to_dict(plan)
    change(data)
    with raises_on(field):
        plan_from_dict(data, plan.instance)


def test_plan_from_dict_ignores_keys_it_does_not_use() -> None:
    plan = tiny_plan()
    data = plan_to_dict(plan)
    data["role_weeks"] = [{"role": "dev", "week": "2026-01-05", "hours": 40}]
    assert plan_from_dict(data, plan.instance).projects == plan.projects


# --------------------------------------------------------------------------- JSON Schemas

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# Where each object definition of instance.schema.json occurs in the studio fixture.
INSTANCE_LOCATIONS = {
    "": (),
    "calendar": ("calendar",),
    "person": ("people", 1),
    "timeOff": ("people", 1, "time_off", 0),
    "project": ("projects", 0),
    "effortPhase": ("projects", 0, "phases", 0),
    "fixedPhase": ("projects", 0, "phases", 2),
    "predecessor": ("projects", 0, "phases", 2, "predecessors", 0),
}


def schema(name: str) -> dict:
    resource = files("promisekeeper.engine") / "schemas" / f"{name}.schema.json"
    return json.loads(resource.read_text(encoding="utf-8"))


def object_schema(root: dict, definition: str) -> dict:
    """The object-shaped schema of a definition ('' is the root)."""
    node = root if not definition else root["$defs"][definition]
    if "oneOf" in node:
        node = next(option for option in node["oneOf"] if option.get("type") == "object")
    return node


def at(data: object, path: tuple) -> object:
    for key in path:
        data = data[key]  # type: ignore[index]
    return data


@pytest.mark.parametrize("name", ["instance", "project", "plan"])
def test_schema_files_are_draft_2020_12_json(name: str) -> None:
    document = schema(name)
    assert document["$schema"] == DRAFT_2020_12
    assert document["title"]


def test_project_schema_shares_the_instance_schema_definitions() -> None:
    instance, project = schema("instance"), schema("project")
    assert project["$ref"] == "#/$defs/project"
    for name, definition in project["$defs"].items():
        assert instance["$defs"][name] == definition, name


@pytest.mark.parametrize("definition", sorted(INSTANCE_LOCATIONS))
def test_every_key_the_instance_schema_requires_is_required_on_read(definition: str) -> None:
    required = object_schema(schema("instance"), definition)["required"]
    assert required
    for key in required:
        data = fixture("studio.json")
        del at(data, INSTANCE_LOCATIONS[definition])[key]
        with pytest.raises(InvalidInput) as error:
            instance_from_dict(data)
        assert error.value.field.endswith(key), (definition, key, error.value.field)


@pytest.mark.parametrize("definition", sorted(INSTANCE_LOCATIONS))
def test_every_key_written_or_used_in_fixtures_is_in_the_instance_schema(definition: str) -> None:
    properties = set(object_schema(schema("instance"), definition)["properties"])
    path = INSTANCE_LOCATIONS[definition]
    written = instance_to_dict(load_instance(FIXTURES / "studio.json"))
    written["projects"][0]["phases"][2]["predecessors"][0] = {"phase": "build", "lag_days": 2}
    for data in (fixture("studio.json"), written):
        assert set(at(data, path)) <= properties, definition


def test_every_key_the_plan_schema_requires_is_produced() -> None:
    plan_schema = schema("plan")
    data = plan_to_dict(tiny_plan())
    produced = {
        "": data,
        "projectResult": data["projects"][0],
        "phaseTiming": data["projects"][0]["phases"][0],
        "allocation": data["allocations"][0],
    }
    for definition, obj in produced.items():
        node = object_schema(plan_schema, definition)
        assert set(node["required"]) <= set(obj), definition
        assert set(obj) <= set(node["properties"]), definition


def test_fixtures_and_plans_validate_against_the_schemas() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator
    validator(schema("instance")).validate(fixture("studio.json"))
    validator(schema("instance")).validate(fixture("tiny.json"))
    validator(schema("project")).validate(fixture("new_project.json"))
    validator(schema("plan")).validate(plan_to_dict(tiny_plan()))


# --------------------------------------------------------------------------- effort fields


def in_progress_instance() -> dict:
    return {
        "calendar": {"start": "2027-01-04", "horizon_days": 60},
        "roles": ["dev"],
        "people": [{"id": "ana", "skills": {"dev": 1.0}, "weekly_hours": [8, 8, 8, 8, 8, 0, 0]}],
        "projects": [
            {
                "id": "late",
                "state": "in_delivery",
                "phases": [
                    {
                        "id": "build",
                        "kind": "effort",
                        "role": "dev",
                        "effort_hours": 40,
                        "spent_hours": 48,
                        "effort_distribution": {"kind": "lognormal", "median": 1.0, "sigma": 0.5},
                    },
                    {
                        "id": "test",
                        "kind": "effort",
                        "role": "dev",
                        "effort_hours": 10,
                        "effort_distribution": {"kind": "empirical", "ratios": [0.9, 1.4]},
                        "predecessors": ["build"],
                    },
                    {
                        "id": "ship",
                        "kind": "effort",
                        "role": "dev",
                        "effort_hours": 4,
                        "effort_low": 3,
                        "effort_high": 8,
                        "effort_distribution": {"kind": "pert"},
                        "predecessors": ["test"],
                    },
                ],
            }
        ],
    }


def test_the_new_fields_are_read_written_and_valid_against_the_schemas() -> None:
    import jsonschema

    data = in_progress_instance()
    instance = instance_from_dict(data)
    build, test, ship = instance.projects[0].phases
    assert isinstance(build, EffortPhase) and build.spent_hours == 48.0
    assert build.effort_distribution == EffortDistribution(
        EffortKind.LOGNORMAL, median=1.0, sigma=0.5
    )
    assert isinstance(test, EffortPhase) and test.effort_distribution == EffortDistribution(
        EffortKind.EMPIRICAL, ratios=(0.9, 1.4)
    )
    assert isinstance(ship, EffortPhase)
    assert ship.effort_distribution == EffortDistribution(EffortKind.PERT)
    written = instance_to_dict(instance)
    assert instance_from_dict(written).projects == instance.projects
    for document in (data, written):
        jsonschema.Draft202012Validator(schema("instance")).validate(document)
    jsonschema.Draft202012Validator(schema("project")).validate(
        project_to_dict(instance.projects[0], instance.calendar)
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"spent_hours": -1}, "spent_hours"),
        ({"spent_hours": "lots"}, "spent_hours"),
        ({"effort_distribution": {"kind": "weibull"}}, "effort_distribution.kind"),
        ({"effort_distribution": {"kind": "lognormal"}}, "effort_distribution.sigma"),
        ({"effort_distribution": {"kind": "lognormal", "sigma": 9}}, "effort_distribution.sigma"),
        (
            {"effort_distribution": {"kind": "lognormal", "sigma": 1, "median": 0}},
            "effort_distribution.median",
        ),
        ({"effort_distribution": {"kind": "pert", "sigma": 1}}, "effort_distribution.sigma"),
        ({"effort_distribution": {"kind": "empirical"}}, "effort_distribution.ratios"),
        (
            {"effort_distribution": {"kind": "empirical", "ratios": [1, -2]}},
            "effort_distribution.ratios[1]",
        ),
        (
            {"effort_distribution": {"kind": "triangular", "ratios": [1]}},
            "effort_distribution.ratios",
        ),
        (
            {"effort_distribution": {"kind": "lognormal", "sigma": 1, "mu": 0}},
            "effort_distribution.mu",
        ),
    ],
)
def test_bad_effort_fields_are_named(change: dict, field: str) -> None:
    import jsonschema

    data = in_progress_instance()
    data["projects"][0]["phases"][0].update(change)
    with pytest.raises(InvalidInput) as error:
        instance_from_dict(data)
    assert error.value.field == f"projects[0].phases[0].{field}"
    assert not jsonschema.Draft202012Validator(schema("instance")).is_valid(data)


def test_a_bad_distribution_built_in_python_is_named_by_validation() -> None:
    phase = EffortPhase(
        "build", "developer", 40.0,
        effort_distribution=EffortDistribution(EffortKind.LOGNORMAL, sigma=-1.0),
    )  # fmt: skip
    instance = Instance(
        Calendar(date(2027, 1, 4), 30), ("developer",), (), (Project("p", (phase,)),)
    )
    with pytest.raises(InvalidInput) as error:
        validate_instance(instance)
    assert error.value.field == "projects[0].phases[0].effort_distribution.sigma"
