"""Promise queries answer on top of a plan without moving anything in it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from promisekeeper.engine.check import check_plan
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    Calendar,
    EffortPhase,
    Instance,
    Person,
    Project,
    ProjectState,
)
from promisekeeper.engine.plan import Allocations, Plan, ProjectStatus
from promisekeeper.engine.promise import (
    AnswerStatus,
    can_deliver_by,
    earliest_finish,
    placement_fits,
)
from promisekeeper.engine.schedule import schedule

from .strategies import instance_and_new_project

MONDAY = date(2027, 1, 4)


def _plan(*projects: Project, developers: int = 1) -> Plan:
    instance = Instance(
        calendar=Calendar(start=MONDAY, horizon_days=120),
        roles=("dev",),
        people=tuple(Person(f"d{k}", {"dev": 1.0}) for k in range(developers)),
        projects=projects,
    )
    return schedule(instance)


def _with_new_project(
    plan: Plan, project: Project, allocations: Allocations
) -> tuple[Instance, Plan]:
    """The plan extended by the answer's allocations, for the independent checker."""
    instance = replace(plan.instance, projects=(*plan.instance.projects, project))
    shifted = replace(
        allocations, project=np.full(len(allocations), len(plan.instance.projects), dtype=np.int32)
    )
    combined = Allocations.concat([plan.allocations, shifted])
    return instance, Plan(instance, plan.capacity, plan.free, combined, plan.projects)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance_and_new_project())
def test_earliest_finish_fits_into_free_capacity_and_moves_nothing(
    case: tuple[Instance, Project],
) -> None:
    instance, new = case
    plan = schedule(instance, time_limit=0.1)
    free_before = plan.free.copy()
    answer = earliest_finish(plan, new)
    assert np.array_equal(plan.free, free_before)
    # The placement is bookable as it is on its own plan, and not with more hours than are free.
    assert placement_fits(plan, answer.allocations)
    if len(answer.allocations):
        more = replace(answer.allocations, hours=answer.allocations.hours + 1e-3 + plan.free.max())
        assert not placement_fits(plan, more)
    if answer.status is AnswerStatus.BEYOND_HORIZON:
        assert len(answer.allocations) == 0
        return
    assert answer.finish_day is not None and answer.unconstrained_finish_day is not None
    assert answer.finish_day >= answer.unconstrained_finish_day
    extended_instance, extended = _with_new_project(plan, new, answer.allocations)
    from promisekeeper.engine.plan import project_result

    extended.projects = {
        **plan.projects,
        new.id: project_result(new.id, new.promised_day, answer.phases),
    }
    assert check_plan(extended_instance, extended) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance_and_new_project())
def test_can_deliver_by_agrees_with_earliest_finish(case: tuple[Instance, Project]) -> None:
    instance, new = case
    plan = schedule(instance, time_limit=0.1)
    answer = earliest_finish(plan, new)
    if answer.finish_day is None or answer.finish_day < 1:
        return
    assert can_deliver_by(plan, new, answer.finish_day - 1).feasible
    if answer.finish_day - 2 >= 0:
        assert not can_deliver_by(plan, new, answer.finish_day - 2).feasible


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance_and_new_project())
def test_a_reshuffle_keeps_every_promise_that_was_kept(case: tuple[Instance, Project]) -> None:
    instance, new = case
    plan = schedule(instance, time_limit=0.1)
    by_day = min(instance.calendar.horizon_days - 1, new.release_day + 10)
    answer = can_deliver_by(plan, new, by_day, allow_reshuffle=True)
    if not answer.reshuffled or not answer.feasible:
        return
    assert answer.plan is not None
    assert check_plan(answer.plan.instance, answer.plan) == []
    for project_id, before in plan.projects.items():
        if before.status is ProjectStatus.ON_TIME:
            assert answer.plan.projects[project_id].status is ProjectStatus.ON_TIME
    assert answer.plan.projects[new.id].status is ProjectStatus.ON_TIME


def test_new_work_queues_behind_booked_work() -> None:
    plan = _plan(Project("booked", (EffortPhase("b", "dev", 40.0),), promised_day=10))
    answer = earliest_finish(plan, Project("new", (EffortPhase("b", "dev", 16.0),)))
    # Week 1 is booked; the new work takes Monday and Tuesday of week 2.
    assert answer.finish_day == 9
    assert answer.unconstrained_finish_day == 2
    assert answer.bottleneck is not None
    assert answer.bottleneck.role == "dev"
    assert answer.bottleneck.delay_days == 7
    assert answer.bottleneck.weeks[0] == (0, 1.0)


def test_a_second_person_removes_the_bottleneck() -> None:
    plan = _plan(Project("booked", (EffortPhase("b", "dev", 40.0),), promised_day=10), developers=2)
    answer = earliest_finish(plan, Project("new", (EffortPhase("b", "dev", 16.0),)))
    assert answer.finish_day == 2
    assert answer.bottleneck is not None and answer.bottleneck.delay_days == 0


def test_reshuffle_moves_unstarted_work_that_has_slack() -> None:
    relaxed = Project("relaxed", (EffortPhase("b", "dev", 40.0),), promised_day=30)
    plan = _plan(relaxed)
    new = Project("urgent", (EffortPhase("b", "dev", 16.0),))
    assert not can_deliver_by(plan, new, 3).feasible
    answer = can_deliver_by(plan, new, 3, allow_reshuffle=True)
    assert answer.feasible and answer.reshuffled
    # "relaxed" now starts on Wednesday and ends on the next Tuesday instead of Friday.
    assert [(m.project_id, m.shift_days) for m in answer.moves] == [("relaxed", 4)]


def test_reshuffle_leaves_work_out_of_the_new_projects_way_where_it_is() -> None:
    relaxed = Project("relaxed", (EffortPhase("b", "dev", 40.0),), promised_day=30)
    # Booked after "relaxed", so after the wanted day: moving it cannot make room.
    tail = Project("tail", (EffortPhase("b", "dev", 40.0),), promised_day=50)
    design = Project("design", (EffortPhase("d", "designer", 40.0),), promised_day=30)
    instance = Instance(
        calendar=Calendar(start=MONDAY, horizon_days=120),
        roles=("dev", "designer"),
        people=(Person("d0", {"dev": 1.0}), Person("g0", {"designer": 1.0})),
        projects=(relaxed, tail, design),
    )
    plan = schedule(instance)
    answer = can_deliver_by(
        plan, Project("urgent", (EffortPhase("b", "dev", 16.0),)), 3, allow_reshuffle=True
    )
    assert answer.feasible and answer.plan is not None
    assert [m.project_id for m in answer.moves] == ["relaxed"]
    for kept in ("tail", "design"):
        assert answer.plan.projects[kept].finish_day == plan.projects[kept].finish_day


def test_reshuffle_moves_as_few_projects_as_make_room() -> None:
    first = Project("first", (EffortPhase("b", "dev", 16.0),), promised_day=30)
    second = Project("second", (EffortPhase("b", "dev", 16.0),), promised_day=30)
    plan = _plan(first, second)  # first on Monday-Tuesday, second on Wednesday-Thursday
    urgent = Project("urgent", (EffortPhase("b", "dev", 16.0),))
    answer = can_deliver_by(plan, urgent, 3, allow_reshuffle=True)
    assert answer.feasible and answer.finish_day == 2
    # Both are in the way; moving "first" (the most slack) past "second" is enough, so
    # "second" keeps its days.
    assert [(m.project_id, m.new_finish_day) for m in answer.moves] == [("first", 8)]
    assert answer.plan is not None
    assert answer.plan.projects["second"].finish_day == plan.projects["second"].finish_day


def test_reshuffle_never_moves_work_in_delivery() -> None:
    started = Project(
        "started", (EffortPhase("b", "dev", 40.0),), promised_day=30, state=ProjectState.IN_DELIVERY
    )
    plan = _plan(started)
    answer = can_deliver_by(
        plan, Project("urgent", (EffortPhase("b", "dev", 16.0),)), 3, allow_reshuffle=True
    )
    assert not answer.feasible
    assert answer.reason


def test_reshuffle_refuses_to_break_another_promise() -> None:
    tight = Project("tight", (EffortPhase("b", "dev", 40.0),), promised_day=4)
    plan = _plan(tight)
    answer = can_deliver_by(
        plan, Project("urgent", (EffortPhase("b", "dev", 16.0),)), 3, allow_reshuffle=True
    )
    assert not answer.feasible


def test_a_query_for_a_project_already_in_the_plan_is_refused() -> None:
    plan = _plan(Project("booked", (EffortPhase("b", "dev", 8.0),)))
    with pytest.raises(InvalidInput, match="already in the plan"):
        earliest_finish(plan, Project("booked", (EffortPhase("b", "dev", 8.0),)))


def test_a_date_outside_the_horizon_is_refused() -> None:
    plan = _plan(Project("booked", (EffortPhase("b", "dev", 8.0),)))
    with pytest.raises(InvalidInput) as caught:
        can_deliver_by(plan, Project("n", (EffortPhase("b", "dev", 8.0),)), 500)
    assert caught.value.field == "by_day"


def test_a_placement_fits_the_plan_it_was_made_on_and_not_once_its_hours_are_taken() -> None:
    plan = _plan(Project("booked", (EffortPhase("b", "dev", 40.0),), promised_day=10))
    answer = earliest_finish(plan, Project("new", (EffortPhase("b", "dev", 16.0),)))
    assert placement_fits(plan, answer.allocations)
    rival = earliest_finish(plan, Project("rival", (EffortPhase("b", "dev", 4.0),)))
    taken = plan.free.copy()
    np.subtract.at(
        taken, (rival.allocations.person, rival.allocations.day), rival.allocations.hours
    )
    busier = Plan(plan.instance, plan.capacity, taken, plan.allocations, plan.projects)
    assert not placement_fits(busier, answer.allocations)  # the rival took Monday morning
    assert placement_fits(busier, Allocations())


def test_a_placement_fit_counts_two_phases_on_one_day_together() -> None:
    plan = _plan()  # one developer, 8 h a day
    two_halves = Allocations(
        person=np.array([0, 0, 0], dtype=np.int32),
        day=np.array([0, 0, 1], dtype=np.int32),
        project=np.full(3, -1, dtype=np.int32),
        phase=np.array([0, 1, 1], dtype=np.int32),
        hours=np.array([5.0, 4.0, 1.0]),
    )
    assert not placement_fits(plan, two_halves)  # 9 h on day 0
    two_halves.hours[1] = 3.0
    assert placement_fits(plan, two_halves)
    outside = replace(two_halves, day=np.array([0, 0, 500], dtype=np.int32))
    assert not placement_fits(plan, outside)
