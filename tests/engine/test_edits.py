"""Plan edits: take a project out, pin projects to booked hours, plan more work after a plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promisekeeper.engine.check import check_plan
from promisekeeper.engine.edits import (
    Booked,
    pin_projects,
    pinned_result,
    plan_without,
    schedule_after,
    schedule_pinned,
)
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    Calendar,
    Dependency,
    EffortPhase,
    Instance,
    Person,
    Project,
)
from promisekeeper.engine.plan import Allocations, Plan, ProjectStatus
from promisekeeper.engine.schedule import schedule

from .strategies import instances, projects

MONDAY = date(2027, 1, 4)
ANA = Person("ana", {"developer": 1.0})


def job(project_id: str, hours: float, promised_day: int | None = None) -> Project:
    return Project(
        project_id, (EffortPhase("build", "developer", hours),), promised_day=promised_day
    )


def portfolio(*projects: Project, people: tuple[Person, ...] = (ANA,)) -> Instance:
    return Instance(Calendar(MONDAY, 40), ("developer",), people, projects)


def days_of(plan: Plan, project_id: str) -> list[int]:
    k = [p.id for p in plan.instance.projects].index(project_id)
    return plan.allocations.day[plan.allocations.project == k].tolist()


def hours_of(plan: Plan, k: int) -> Allocations:
    return plan.allocations.where(plan.allocations.project == k)


def week(*days: int, hours: float = 8.0) -> Allocations:
    return Allocations.from_rows([(0, day, 0, hours) for day in days])


# --- Allocations.from_rows ---------------------------------------------------------------


def test_rows_become_allocations_of_one_project() -> None:
    alloc = Allocations.from_rows([(1, 4, 2, Decimal("1.25")), (0, 5, 0, 3)], project=7)
    assert alloc.person.tolist() == [1, 0]
    assert alloc.day.tolist() == [4, 5]
    assert alloc.phase.tolist() == [2, 0]
    assert alloc.hours.tolist() == [1.25, 3.0]
    assert alloc.project.tolist() == [7, 7]
    assert alloc.person.dtype == np.int32 and alloc.hours.dtype == np.float64


def test_no_rows_are_empty_allocations() -> None:
    assert len(Allocations.from_rows([])) == 0


# --- plan_without ------------------------------------------------------------------------


def test_taking_a_project_out_frees_its_hours_and_moves_nothing_else() -> None:
    plan = schedule(portfolio(job("a", 16.0, 3), job("b", 16.0, 9), job("c", 8.0, 9)))
    rest = plan_without(plan, "b")
    assert [p.id for p in rest.instance.projects] == ["a", "c"]
    assert list(rest.projects) == ["a", "c"]
    assert rest.projects["c"] == plan.projects["c"]
    assert days_of(rest, "c") == days_of(plan, "c")  # renumbered from index 2 to 1
    freed = days_of(plan, "b")
    assert np.all(rest.free[0, freed] == 8.0)
    assert check_plan(rest.instance, rest) == []


def test_taking_out_an_unknown_project_copies_the_plan_with_its_own_free_grid() -> None:
    plan = schedule(portfolio(job("a", 16.0)))
    copy = plan_without(plan, "")
    assert copy.projects == plan.projects and copy.instance is plan.instance
    copy.free[0, 0] = 99.0
    assert plan.free[0, 0] == 0.0


def test_freed_hours_never_exceed_the_capacity() -> None:
    plan = schedule(portfolio(job("a", 8.0)))
    overbooked = Plan(
        plan.instance, plan.capacity, plan.capacity.copy(), plan.allocations, plan.projects
    )
    assert np.array_equal(plan_without(overbooked, "a").free, plan.capacity)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_the_rest_of_a_plan_without_a_project_is_still_a_valid_plan(
    instance: Instance, data: st.DataObject
) -> None:
    plan = schedule(instance, time_limit=0.05)
    k = data.draw(st.integers(0, len(instance.projects) - 1))
    removed = instance.projects[k].id
    rest = plan_without(plan, removed)
    assert check_plan(rest.instance, rest) == []
    own = hours_of(plan, k)
    given_back = plan.free.copy()
    np.add.at(given_back, (own.person, own.day), own.hours)
    assert np.allclose(rest.free, np.minimum(given_back, plan.capacity))
    assert {pid: r for pid, r in plan.projects.items() if pid != removed} == rest.projects


# --- pinned_result -----------------------------------------------------------------------


def test_a_pinned_phase_spans_its_first_to_last_allocated_day() -> None:
    project = Project(
        "p",
        (
            EffortPhase("design", "developer", 8.0),
            EffortPhase("skipped", "developer", 0.0),
            EffortPhase("build", "developer", 16.0, predecessors=(Dependency("design"),)),
        ),
        promised_day=9,
    )
    hours = Allocations.from_rows([(0, 1, 0, 8.0), (0, 3, 2, 8.0), (0, 7, 2, 8.0)])
    result = pinned_result(project, hours)
    assert [(t.id, t.start_day, t.end_day) for t in result.phases] == [
        ("design", 1, 2),
        ("build", 3, 8),
    ]
    assert (result.finish_day, result.status, result.lateness_days) == (
        8,
        ProjectStatus.ON_TIME,
        -2,
    )


def test_a_pinned_project_past_its_promise_is_late() -> None:
    result = pinned_result(job("p", 8.0, promised_day=2), week(4))
    assert result.status is ProjectStatus.LATE and result.lateness_days == 2


# --- schedule_pinned ---------------------------------------------------------------------


def test_without_pins_the_portfolio_is_scheduled() -> None:
    instance = portfolio(job("a", 16.0, 5), job("b", 8.0, 2))
    pinned = schedule_pinned(instance, {}, time_limit=0.1)
    assert pinned.projects == schedule(instance, time_limit=0.1).projects


def test_unpinned_work_is_planned_around_the_pinned_hours() -> None:
    instance = portfolio(job("early", 8.0, promised_day=0), job("promised", 40.0))
    plan = schedule_pinned(instance, {1: week(0, 1, 2, 3, 4)}, time_limit=0.1)
    assert days_of(plan, "promised") == [0, 1, 2, 3, 4]
    assert days_of(plan, "early") == [7]  # the next free day, though it breaks its promise
    assert plan.projects["early"].status is ProjectStatus.LATE
    assert list(plan.projects) == ["early", "promised"]
    assert plan.allocations.project.tolist() == [1, 1, 1, 1, 1, 0]


def test_pinned_hours_beyond_the_capacity_leave_no_free_hours_there() -> None:
    instance = portfolio(job("a", 16.0))
    plan = schedule_pinned(instance, {0: week(0, 1, hours=12.0)}, time_limit=0.1)
    assert plan.free[0, 0] == 0.0 and plan.free[0, 2] == 8.0


@pytest.mark.parametrize(
    ("pinned", "field"),
    [
        ({2: week(0)}, "pinned[2]"),
        ({0: week(40)}, "pinned[0].day"),
        ({0: Allocations.from_rows([(1, 0, 0, 8.0)])}, "pinned[0].person"),
        ({0: Allocations.from_rows([(0, 0, 1, 8.0)])}, "pinned[0].phase"),
        ({0: week(-1)}, "pinned[0].day"),
    ],
)
def test_a_pin_out_of_range_is_invalid_input_naming_it(
    pinned: dict[int, Allocations], field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        schedule_pinned(portfolio(job("a", 8.0), job("b", 8.0)), pinned, time_limit=0.1)
    assert error.value.field == field


def test_a_pin_in_range_is_accepted() -> None:
    plan = schedule_pinned(portfolio(job("a", 8.0)), {0: week(39)}, time_limit=0.1)
    assert plan.projects["a"].finish_day == 40


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_pinning_a_plan_s_own_hours_keeps_them_and_overbooks_nobody(
    instance: Instance, data: st.DataObject
) -> None:
    plan = schedule(instance, time_limit=0.05)
    count = len(instance.projects)
    chosen = data.draw(st.lists(st.integers(0, count - 1), unique=True, min_size=1))
    pins = {k: hours_of(plan, k) for k in chosen}
    pinned = schedule_pinned(instance, pins, time_limit=0.05)
    for k, own in pins.items():
        kept = hours_of(pinned, k)
        assert np.array_equal(kept.day, own.day) and np.array_equal(kept.hours, own.hours)
        project = instance.projects[k]
        assert pinned.projects[project.id] == pinned_result(project, own)
    booked = pinned.capacity.copy()
    alloc = pinned.allocations
    np.subtract.at(booked, (alloc.person, alloc.day), alloc.hours)
    assert np.allclose(pinned.free, booked)
    assert pinned.free.min() >= -1e-9


# --- schedule_after ----------------------------------------------------------------------


def test_work_after_a_plan_takes_what_it_leaves_and_moves_none_of_it() -> None:
    firm = portfolio(job("firm", 16.0, 9))
    plan = schedule(firm)
    both = schedule_after(plan, replace(firm, projects=(*firm.projects, job("maybe", 16.0, 0))))
    assert days_of(both, "firm") == days_of(plan, "firm") == [0, 1]
    assert days_of(both, "maybe") == [2, 3]  # its earlier promise does not let it go first
    assert list(both.projects) == ["firm", "maybe"]
    assert np.array_equal(plan.free, schedule(firm).free)  # the plan itself is unchanged


def test_work_after_a_plan_needs_the_plan_s_projects_first() -> None:
    firm = portfolio(job("firm", 16.0))
    with pytest.raises(InvalidInput) as error:
        schedule_after(schedule(firm), replace(firm, projects=(job("other", 8.0),)))
    assert error.value.field == "instance.projects"


def test_work_after_a_plan_needs_the_plan_s_people() -> None:
    firm = portfolio(job("firm", 16.0))
    other = portfolio(job("firm", 16.0), people=(ANA, Person("bo", {"developer": 1.0})))
    with pytest.raises(InvalidInput) as error:
        schedule_after(schedule(firm), other)
    assert error.value.field == "instance.people"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_a_plan_with_work_after_it_is_valid_and_keeps_the_plan(
    instance: Instance, data: st.DataObject
) -> None:
    plan = schedule(instance, time_limit=0.05)
    extra = data.draw(projects(instance.roles, prefix="t", max_count=3))
    full = replace(instance, projects=(*instance.projects, *extra))
    both = schedule_after(plan, full)
    assert check_plan(full, both) == []
    count = len(plan.allocations)
    assert np.array_equal(both.allocations.hours[:count], plan.allocations.hours)
    assert all(both.projects[pid] == r for pid, r in plan.projects.items())


# --- pin_projects ------------------------------------------------------------------------


def test_booking_replaces_the_hold_and_appends_the_promise() -> None:
    plan = schedule(portfolio(job("hold", 16.0), job("other", 8.0, 9)))
    promise = job("promise", 16.0, promised_day=9)
    after = pin_projects(plan, [Booked(promise, week(7, 8))], removing=("hold", "gone-already"))
    assert [p.id for p in after.instance.projects] == ["other", "promise"]
    assert days_of(after, "promise") == [7, 8]
    assert after.projects["promise"] == pinned_result(promise, week(7, 8))
    assert days_of(after, "other") == days_of(plan, "other")
    assert np.all(after.free[0, days_of(plan, "hold")] == 8.0)
    assert after.free[0, 7] == after.free[0, 8] == 0.0


def test_a_later_booking_of_the_same_project_supersedes_the_earlier() -> None:
    plan = schedule(portfolio(job("other", 8.0)))
    first, second = Booked(job("p", 8.0), week(3)), Booked(job("q", 8.0), week(4))
    again = Booked(job("p", 8.0), week(9))
    after = pin_projects(plan, [first, second, again])
    assert [p.id for p in after.instance.projects] == ["other", "p", "q"]
    assert days_of(after, "p") == [9] and days_of(after, "q") == [4]
    assert after.free[0, 3] == 8.0


def test_re_booking_a_project_of_the_plan_replaces_its_planned_hours() -> None:
    plan = schedule(portfolio(job("p", 16.0)))
    after = pin_projects(plan, [Booked(job("p", 16.0), week(10, 11))])
    assert days_of(after, "p") == [10, 11]
    assert after.free[0, 0] == 8.0


def test_a_booking_out_of_range_is_invalid_input_naming_it() -> None:
    plan = schedule(portfolio(job("other", 8.0)))
    with pytest.raises(InvalidInput) as error:
        pin_projects(plan, [Booked(job("p", 8.0), week(3)), Booked(job("q", 8.0), week(40))])
    assert error.value.field == "booked[1].allocations.day"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_taking_a_project_out_and_pinning_its_hours_again_gives_the_same_free_hours(
    instance: Instance, data: st.DataObject
) -> None:
    plan = schedule(instance, time_limit=0.05)
    k = data.draw(st.integers(0, len(instance.projects) - 1))
    project = instance.projects[k]
    again = pin_projects(plan_without(plan, project.id), [Booked(project, hours_of(plan, k))])
    assert np.allclose(again.free, plan.free)
    assert again.projects[project.id] == pinned_result(project, hours_of(plan, k))
    assert {pid: r for pid, r in again.projects.items() if pid != project.id} == {
        pid: r for pid, r in plan.projects.items() if pid != project.id
    }
    assert np.isclose(again.allocations.hours.sum(), plan.allocations.hours.sum())
