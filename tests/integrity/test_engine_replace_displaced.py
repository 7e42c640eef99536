"""The engine's re-placement of booked hours a capacity cut took away (no Django)."""

from __future__ import annotations

from datetime import date

import numpy as np

from promisekeeper.engine.check import check_plan
from promisekeeper.engine.edits import replace_displaced, schedule_pinned
from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project, TimeOff
from promisekeeper.engine.plan import Allocations

MONDAY = date(2027, 1, 4)


def _instance(*projects: Project, off: tuple[TimeOff, ...] = ()) -> Instance:
    return Instance(
        calendar=Calendar(start=MONDAY, horizon_days=30),
        roles=("developer",),
        people=(Person("ana", {"developer": 1.0}, time_off=off),),
        projects=projects,
    )


def _build(hours: float, promised: int, pid: str = "p") -> Project:
    return Project(pid, (EffortPhase("build", "developer", hours),), promised_day=promised)


def _week(days: range, project: int = 0) -> Allocations:
    return Allocations.from_rows([(0, d, 0, 8.0) for d in days], project=project)


def test_hours_on_a_day_off_move_before_the_promised_day_when_they_fit():
    instance = _instance(_build(16.0, 4), off=(TimeOff(0, 1),))
    plan, moved = replace_displaced(schedule_pinned(instance, {0: _week(range(2))}), {"p"})
    assert [(d.project.id, d.hours, d.kept) for d in moved] == [("p", 8.0, True)]
    assert sorted(plan.allocations.day.tolist()) == [1, 2]
    assert (plan.free >= 0).all() and check_plan(instance, plan) == []


def test_a_promise_with_no_room_left_is_placed_late_and_not_kept():
    instance = _instance(_build(40.0, 4), off=(TimeOff(1, 2),))
    plan, (moved,) = replace_displaced(schedule_pinned(instance, {0: _week(range(5))}), {"p"})
    assert not moved.kept and moved.answer.finish_day == 8  # next Monday, inclusive of day 7
    assert float(plan.allocations.hours.sum()) == 40.0
    assert 1 not in plan.allocations.day.tolist()


def test_the_first_promised_project_is_placed_first():
    late, soon = _build(8.0, 20, "late"), _build(8.0, 1, "soon")
    instance = _instance(late, soon, off=(TimeOff(0, 1),))
    pins = {0: _week(range(1), 0), 1: _week(range(1, 2), 1)}
    # Day 0 is off: "late" loses its hours; "soon" keeps day 1, and "late" goes after it.
    plan, moved = replace_displaced(schedule_pinned(instance, pins), {"late", "soon"})
    assert [d.project.id for d in moved] == ["late"]
    assert plan.projects["soon"].finish_day == 2 and plan.projects["late"].finish_day == 3


def test_approved_overtime_is_not_a_cut_and_nothing_else_moves():
    instance = _instance(_build(10.0, 4))
    booked = Allocations.from_rows([(0, 0, 0, 10.0)])  # 2 h over, approved
    plan = schedule_pinned(instance, {0: booked})
    allowance = np.zeros_like(plan.capacity)
    allowance[0, 0] = 2.0
    same, moved = replace_displaced(plan, {"p"}, allowance=allowance)
    assert moved == () and same is plan
    _, moved = replace_displaced(plan, {"p"})
    assert [d.hours for d in moved] == [10.0]
