"""Alternatives for a date the plan cannot meet: each one re-checked by placing the project."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promisekeeper.engine.edits import schedule_pinned
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
from promisekeeper.engine.options import (
    DEFAULT_HIRE_NOTICE_DAYS,
    Option,
    OptionKind,
    OptionOutcome,
    hire_option,
    largest_scope,
    options,
    overtime_option,
    overtime_room,
    reshuffle_option,
    with_quantity,
)
from promisekeeper.engine.plan import Allocations, Plan
from promisekeeper.engine.promise import earliest_finish
from promisekeeper.engine.schedule import default_order, schedule_in_order

from .strategies import instance_and_new_project

MONDAY = date(2027, 1, 4)
ROLES = ("developer", "tester")
ANA = Person("ana", {"developer": 1.0})


def make_plan(
    people: tuple[Person, ...] = (ANA,),
    projects: tuple[Project, ...] = (),
    horizon_days: int = 120,
) -> Plan:
    instance = Instance(Calendar(MONDAY, horizon_days), ROLES, people, projects)
    return schedule_in_order(instance, default_order(instance))


def build(
    effort: float, *, per_unit: float = 0.0, quantity: float = 1.0, max_people: int = 1
) -> Project:
    phase = EffortPhase(
        "build", "developer", effort, max_people=max_people, per_unit_hours=per_unit
    )
    return Project("new", (phase,), quantity=quantity)


def test_a_date_already_met_needs_no_options() -> None:
    answer = options(make_plan(), build(40.0), by_day=4)
    assert answer.meets_by_day
    assert answer.baseline.finish_day == 5
    assert answer.options == ()


def test_a_missed_date_lists_one_option_of_each_kind_in_order() -> None:
    answer = options(make_plan(), build(48.0), by_day=4)
    assert not answer.meets_by_day
    assert [o.kind for o in answer.options] == list(OptionKind)
    assert answer.feasible_options == (answer.options[1],)  # only overtime helps


def test_reshuffle_can_be_left_out() -> None:
    answer = options(make_plan(), build(48.0), by_day=4, include_reshuffle=False)
    assert OptionKind.RESHUFFLE not in [o.kind for o in answer.options]


def test_a_baseline_the_caller_has_gives_the_same_options() -> None:
    plan = make_plan(
        people=(ANA, Person("bo", {"developer": 1.0}, weekly_hours=(4, 4, 4, 4, 4, 0, 0)))
    )
    project = build(96.0, per_unit=24.0, quantity=4.0, max_people=2)
    given = options(plan, project, by_day=3, baseline=earliest_finish(plan, project))
    assert given.options == options(plan, project, by_day=3).options
    assert [o.kind for o in given.options] == list(OptionKind)
    assert given.options[0].feasible and given.options[0].quantity == 2.0  # 48 h at 12 h a day


def test_twenty_percent_overtime_saves_a_day() -> None:
    option = overtime_option(make_plan(), build(48.0), by_day=4)
    assert earliest_finish(make_plan(), build(48.0)).finish_day == 8  # six working days
    assert option.feasible
    assert option.finish_day == 5  # five days of 9.6 hours
    assert option.overtime_hours == (("developer", 8.0),)


def test_overtime_that_is_not_enough_is_reported_as_infeasible() -> None:
    option = overtime_option(make_plan(), build(48.0), by_day=3)
    assert not option.feasible
    assert option.finish_day == 5


def test_overtime_counts_only_hours_beyond_the_regular_free_hours() -> None:
    option = overtime_option(make_plan(), build(40.0), by_day=4, share=0.25)
    assert option.finish_day == 4  # four days of 10 hours
    assert option.overtime_hours == (("developer", 8.0),)


def _week_booked_with_overtime(share: float) -> Plan:
    """Ana's first week booked at 8 h plus ``share`` of overtime each day (pinned hours)."""
    booked = Project("booked", (EffortPhase("build", "developer", 40.0 * (1 + share)),))
    instance = Instance(Calendar(MONDAY, 120), ROLES, (ANA,), (booked,))
    hours = 8.0 * (1 + share)
    return schedule_pinned(
        instance, {0: Allocations.from_rows([(0, d, 0, hours) for d in range(5)])}
    )


def test_overtime_already_booked_is_not_offered_again() -> None:
    plan = _week_booked_with_overtime(0.3)
    assert overtime_room(plan, 0.3)[0, :5].max() == pytest.approx(0.0)
    assert overtime_room(plan, 0.5)[0, :5].tolist() == pytest.approx([1.6] * 5)
    assert overtime_room(plan, 0.3)[0, 7] == pytest.approx(2.4)  # next Monday: all of it
    # A second 30 % approval finds no room that week: its 8 hours start the week after.
    option = overtime_option(plan, build(8.0), by_day=4, share=0.3)
    assert not option.feasible
    assert option.finish_day == 8


def test_a_larger_share_adds_only_the_difference_to_overtime_already_booked() -> None:
    option = overtime_option(_week_booked_with_overtime(0.3), build(8.0), by_day=4, share=0.5)
    assert option.feasible  # 1.6 h more on each of five days
    assert option.overtime_hours == (("developer", 8.0),)


def test_overtime_is_reported_for_the_role_of_each_phase() -> None:
    people = (ANA, Person("tom", {"tester": 1.0}))
    project = Project(
        "new",
        (
            EffortPhase("build", "developer", 48.0),
            EffortPhase("test", "tester", 48.0, predecessors=(Dependency("build"),)),
        ),
    )
    option = overtime_option(make_plan(people), project, by_day=20)
    assert option.overtime_hours == (("developer", 8.0), ("tester", 8.0))


def test_hiring_a_second_developer_halves_the_work() -> None:
    project = build(80.0, max_people=2)
    option = hire_option(make_plan(), project, by_day=6, hire_day=0)
    assert option.feasible
    assert option.finish_day == 5
    assert (option.hire_role, option.hire_day, option.hire_hours) == ("developer", 0, 40.0)


def test_a_hire_joining_later_helps_only_from_that_day() -> None:
    project = build(80.0, max_people=2)
    option = hire_option(make_plan(), project, by_day=6, hire_day=7)  # second Monday
    assert not option.feasible
    assert option.finish_day == 10  # 40 h alone, then 16 h a day: Wed of week two


def test_the_hire_gets_the_median_hours_of_the_role() -> None:
    part_time = (4.0, 4.0, 4.0, 4.0, 4.0, 0.0, 0.0)
    people = (
        Person("ana", {"developer": 1.0}, weekly_hours=part_time),
        Person("bo", {"developer": 1.0}, weekly_hours=part_time),
        Person("cy", {"developer": 1.0}),
    )
    option = hire_option(make_plan(people), build(200.0, max_people=4), by_day=4, hire_day=0)
    assert "20 h/week" in option.detail


def test_the_default_hire_day_is_after_the_notice_period() -> None:
    option = hire_option(make_plan(), build(80.0, max_people=2), by_day=6)
    assert option.hire_day == DEFAULT_HIRE_NOTICE_DAYS
    assert option.finish_day == 12  # the hire arrives after the work is done
    assert option.hire_hours == 0.0


def test_a_project_beyond_the_horizon_hires_for_its_busiest_role() -> None:
    people = (ANA, Person("tom", {"tester": 1.0}))
    project = Project(
        "new",
        (
            EffortPhase("build", "developer", 20.0),
            EffortPhase("test", "tester", 400.0, max_people=2),
        ),
    )
    plan = make_plan(people, horizon_days=40)
    assert earliest_finish(plan, project).finish_day is None
    option = hire_option(plan, project, by_day=39, hire_day=0)
    assert option.hire_role == "tester"
    assert option.feasible


def test_smaller_scope_finds_the_largest_quantity_that_fits() -> None:
    project = build(80.0, per_unit=8.0, quantity=10)
    option = largest_scope(make_plan(), project, by_day=9)  # eight working days
    assert option.feasible
    assert option.quantity == 8.0
    assert option.finish_day == 10


def test_smaller_scope_keeps_the_full_quantity_when_it_fits() -> None:
    option = largest_scope(make_plan(), build(80.0, per_unit=8.0, quantity=10), by_day=11)
    assert option.feasible and option.quantity == 10.0


def test_smaller_scope_reports_when_even_one_unit_does_not_fit() -> None:
    project = build(80.0, per_unit=4.0, quantity=10)  # 44 hours of fixed work
    option = largest_scope(make_plan(), project, by_day=2)
    assert not option.feasible
    assert option.quantity == 1.0
    assert option.finish_day == 8


def test_smaller_scope_needs_effort_that_scales_with_quantity() -> None:
    option = largest_scope(make_plan(), build(80.0, quantity=10), by_day=2)
    assert not option.feasible
    assert option.outcome is OptionOutcome.NOT_SCALABLE
    assert "per_unit_hours" not in option.detail  # a field name is no sentence for people


def test_smaller_scope_of_a_single_unit_cannot_shrink() -> None:
    option = largest_scope(make_plan(), build(80.0, per_unit=8.0, quantity=1), by_day=2)
    assert not option.feasible
    assert option.quantity is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    quantity=st.integers(1, 40),
    per_unit=st.floats(0.5, 12.0),
    fixed=st.floats(0.0, 30.0),
    by_day=st.integers(0, 60),
)
def test_smaller_scope_is_the_largest_whole_quantity_that_fits(
    quantity: int, per_unit: float, fixed: float, by_day: int
) -> None:
    plan = make_plan()
    project = build(fixed + per_unit * quantity, per_unit=per_unit, quantity=quantity)
    option = largest_scope(plan, project, by_day)

    def fits(q: float) -> bool:
        finish = earliest_finish(plan, with_quantity(project, q)).finish_day
        return finish is not None and finish - 1 <= by_day

    if option.feasible:
        assert option.quantity is not None and fits(option.quantity)
        assert option.quantity == quantity or not fits(option.quantity + 1)
    else:
        assert quantity == 1 or not fits(1)


def test_with_quantity_shifts_effort_and_its_bounds() -> None:
    phase = EffortPhase(
        "build", "developer", 100.0, effort_low=90.0, effort_high=130.0, per_unit_hours=10.0
    )
    smaller = with_quantity(Project("p", (phase,), quantity=5), 2)
    shrunk = smaller.phases[0]
    assert isinstance(shrunk, EffortPhase)
    assert (shrunk.effort_low, shrunk.effort_hours, shrunk.effort_high) == (60.0, 70.0, 100.0)
    assert smaller.quantity == 2.0


def test_with_quantity_never_goes_below_zero_and_leaves_fixed_phases() -> None:
    fixed = FixedPhase("install", 2, {"developer": 1})
    project = Project(
        "p", (EffortPhase("build", "developer", 10.0, per_unit_hours=10.0), fixed), quantity=5
    )
    smaller = with_quantity(project, 0)
    assert smaller.phases[0].effort_hours == 0.0  # type: ignore[union-attr]
    assert smaller.phases[1] == fixed


def test_reshuffle_moves_a_project_with_slack() -> None:
    booked = (Project("a", (EffortPhase("x", "developer", 40.0),), promised_day=30),)
    option = reshuffle_option(make_plan(projects=booked), build(40.0), by_day=4)
    assert option.feasible
    assert option.finish_day == 5
    assert [(m.project_id, m.shift_days) for m in option.moves] == [("a", 7)]


def test_reshuffle_never_breaks_a_kept_promise() -> None:
    booked = (Project("a", (EffortPhase("x", "developer", 40.0),), promised_day=4),)
    option = reshuffle_option(make_plan(projects=booked), build(40.0), by_day=4)
    assert not option.feasible
    assert option.moves == ()


def test_options_leave_the_plan_untouched() -> None:
    booked = (Project("a", (EffortPhase("x", "developer", 40.0),), promised_day=30),)
    plan = make_plan(projects=booked)
    free, capacity = plan.free.copy(), plan.capacity.copy()
    options(plan, build(80.0, per_unit=8.0, quantity=10, max_people=2), by_day=4, hire_day=0)
    assert (plan.free == free).all() and (plan.capacity == capacity).all()
    assert len(plan.instance.people) == 1


def test_options_carry_plain_python_numbers() -> None:
    answer = options(make_plan(), build(80.0, per_unit=8.0, quantity=10), by_day=4, hire_day=0)
    for option in answer.options:
        assert option.finish_day is None or type(option.finish_day) is int
        assert option.quantity is None or type(option.quantity) is float
        assert all(type(hours) is float for _, hours in option.overtime_hours)
        assert option.hire_hours is None or type(option.hire_hours) is float


@pytest.mark.parametrize("by_day", [-1, 120])
def test_by_day_must_be_inside_the_horizon(by_day: int) -> None:
    with pytest.raises(InvalidInput) as error:
        options(make_plan(), build(40.0), by_day=by_day)
    assert error.value.field == "by_day"


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_overtime_share_must_be_a_share(share: float) -> None:
    with pytest.raises(InvalidInput) as error:
        options(make_plan(), build(40.0), by_day=2, overtime_share=share)
    assert error.value.field == "overtime_share"


@pytest.mark.parametrize("hire_day", [-1, 120])
def test_hire_day_must_be_inside_the_horizon(hire_day: int) -> None:
    with pytest.raises(InvalidInput) as error:
        options(make_plan(), build(40.0), by_day=2, hire_day=hire_day)
    assert error.value.field == "hire_day"


def test_unknown_role_is_invalid() -> None:
    project = Project("new", (EffortPhase("build", "designer", 40.0),))
    with pytest.raises(InvalidInput) as error:
        options(make_plan(), project, by_day=2)
    assert error.value.field == "project.phases[0].role"


def test_negative_quantity_is_invalid() -> None:
    with pytest.raises(InvalidInput) as error:
        with_quantity(build(40.0), -1)
    assert error.value.field == "quantity"


def test_a_context_grown_by_one_person_matches_one_built_from_scratch() -> None:
    from dataclasses import replace as dc_replace

    import numpy as np

    from promisekeeper.engine.capacity import person_capacity
    from promisekeeper.engine.placement import Context

    plan = make_plan(people=(ANA, Person("cy", {"developer": 0.5, "tester": 1.0})))
    ctx = Context(plan.instance, plan.capacity)
    hire = Person("hire", {"tester": 0.8}, start_day=10)
    row = person_capacity(hire, plan.instance.calendar, ctx.working)
    grown = ctx.with_person(hire, row)
    fresh = Context(
        dc_replace(plan.instance, people=(*plan.instance.people, hire)),
        np.vstack([plan.capacity, row]),
    )
    assert grown.instance == fresh.instance
    assert np.array_equal(grown.capacity, fresh.capacity)
    assert np.array_equal(grown.efficiency, fresh.efficiency)
    assert np.array_equal(grown.role_count, fresh.role_count)
    for mine, theirs in zip(grown.pools, fresh.pools, strict=True):
        assert np.array_equal(mine.people, theirs.people)
        assert np.array_equal(mine.efficiency, theirs.efficiency)
        assert np.array_equal(mine.primary, theirs.primary)
    assert len(ctx.instance.people) == 2 and ctx.capacity.shape[0] == 2  # unchanged


# --- options as data: each outcome, its fields, and the sentence made from them --------------


def _slack_plan() -> Plan:
    return make_plan(
        projects=(Project("a", (EffortPhase("x", "developer", 40.0),), promised_day=30),)
    )


def _tight_plan() -> Plan:
    return make_plan(
        projects=(Project("a", (EffortPhase("x", "developer", 40.0),), promised_day=4),)
    )


SENTENCES: list[tuple[Callable[[], Option], OptionOutcome, str]] = [
    (
        lambda: largest_scope(make_plan(), build(80.0, per_unit=8.0, quantity=10), 11),
        OptionOutcome.FULL_SCOPE_FITS,
        "the full quantity (10) finishes by day 11",
    ),
    (
        lambda: largest_scope(make_plan(), build(80.0, quantity=10), 2),
        OptionOutcome.NOT_SCALABLE,
        "no phase's effort grows with the quantity, so a smaller one takes as long",
    ),
    (
        lambda: largest_scope(make_plan(), build(80.0, per_unit=8.0, quantity=1), 2),
        OptionOutcome.CANNOT_SHRINK,
        "the quantity (1) cannot shrink to a smaller whole number",
    ),
    (
        lambda: largest_scope(make_plan(), build(80.0, per_unit=4.0, quantity=10), 2),
        OptionOutcome.ONE_UNIT_LATE,
        "even 1 unit has its last work day on day 7, after day 2",
    ),
    (
        lambda: largest_scope(make_plan(), build(80.0, per_unit=8.0, quantity=10), 9),
        OptionOutcome.SCOPE_REDUCED,
        "8 of 10 units has its last work day on day 9",
    ),
    (
        lambda: overtime_option(make_plan(), build(48.0), 4),
        OptionOutcome.OVERTIME,
        "with 20% overtime for developer the project has its last work day on day 4, "
        "using 8 overtime hours",
    ),
    (
        lambda: hire_option(make_plan(), Project("new", ()), 4),
        OptionOutcome.NO_ROLE,
        "the project needs no role, so a hire cannot help",
    ),
    (
        lambda: hire_option(make_plan(), build(80.0, max_people=2), 6, hire_day=0),
        OptionOutcome.HIRE,
        "with one more developer (40 h/week) from day 0 the project has its last work day "
        "on day 4; the hire works 40 hours on it",
    ),
    (
        lambda: hire_option(make_plan(), build(80.0, max_people=2), 6),
        OptionOutcome.NO_GAIN,
        "one more developer (40 h/week) from day 30 would not bring the finish forward: "
        "the project still has its last work day on day 11",
    ),
    (
        lambda: reshuffle_option(_slack_plan(), build(40.0), 4),
        OptionOutcome.MOVES,
        "re-planning unstarted work moves a +7 days; every kept promise stays kept",
    ),
    (
        lambda: reshuffle_option(make_plan(), build(40.0), 4),
        OptionOutcome.NOTHING_MOVES,
        "the project has its last work day on day 4 without moving any other project",
    ),
    (
        lambda: reshuffle_option(_tight_plan(), build(40.0), 4),
        OptionOutcome.BREAKS_PROMISES,
        "no re-ordering of unstarted work keeps every existing promise",
    ),
]


@pytest.mark.parametrize(("make", "outcome", "sentence"), SENTENCES)
def test_each_outcome_has_its_sentence(
    make: Callable[[], Option], outcome: OptionOutcome, sentence: str
) -> None:
    option = make()
    assert option.outcome is outcome
    assert option.detail == option.describe() == sentence


def test_every_outcome_has_a_sentence_the_engine_reaches() -> None:
    assert {outcome for _, outcome, _ in SENTENCES} == set(OptionOutcome)


def test_a_sentence_writes_its_days_the_caller_s_way() -> None:
    hire = hire_option(make_plan(), build(80.0, max_people=2), 6, hire_day=7)
    dated = hire.describe(lambda day: (MONDAY + timedelta(days=day)).isoformat())
    assert dated == (
        "with one more developer (40 h/week) from 2027-01-11 the project has its last work day "
        "on 2027-01-13; the hire works 16 hours on it"
    )
    scope = largest_scope(make_plan(), build(80.0, per_unit=4.0, quantity=10), 2)
    assert scope.describe(lambda day: f"<{day}>") == (
        "even 1 unit has its last work day on <7>, after <2>"
    )


def test_a_sentence_names_moved_projects_the_caller_s_way() -> None:
    moved = reshuffle_option(_slack_plan(), build(40.0), 4)
    assert moved.describe(project=lambda project_id: f"the {project_id.upper()} shop") == (
        "re-planning unstarted work moves the A shop +7 days; every kept promise stays kept"
    )


def test_an_option_carries_the_day_it_was_checked_against_and_its_last_work_day() -> None:
    option = largest_scope(make_plan(), build(80.0, per_unit=8.0, quantity=10), 9)
    assert (option.by_day, option.finish_day, option.last_work_day) == (9, 10, 9)
    assert (option.quantity, option.full_quantity) == (8.0, 10.0)
    assert overtime_option(make_plan(horizon_days=5), build(400.0), 4).last_work_day is None


def test_overtime_names_its_share_roles_and_people() -> None:
    people = (ANA, Person("tom", {"tester": 1.0}), Person("bo", {"developer": 1.0}))
    project = Project(
        "new",
        (
            EffortPhase("build", "developer", 96.0, max_people=2),
            EffortPhase("test", "tester", 48.0, predecessors=(Dependency("build"),)),
        ),
    )
    option = overtime_option(make_plan(people), project, by_day=20, share=0.25)
    assert option.overtime_share == 0.25
    assert option.overtime_roles == ("developer", "tester")
    # 96 h at 10 h a day each: ana 2 h beyond her 8 on five days, bo on four
    assert option.overtime_hours == (("developer", 18.0), ("tester", 8.0))
    assert option.overtime_people == (("ana", 10.0), ("tom", 8.0), ("bo", 8.0))
    assert option.overtime_total_hours == 26.0


def test_a_hire_names_its_weekly_hours() -> None:
    part_time = (4.0, 4.0, 4.0, 4.0, 4.0, 0.0, 0.0)
    people = (Person("ana", {"developer": 1.0}, weekly_hours=part_time),)
    option = hire_option(make_plan(people), build(80.0, max_people=2), by_day=4, hire_day=0)
    assert option.hire_weekly_hours == 20.0


def test_an_option_built_without_a_field_its_outcome_needs_names_it() -> None:
    option = Option(OptionKind.HIRE, True, 5, OptionOutcome.HIRE, 6, hire_role="developer")
    with pytest.raises(InvalidInput) as error:
        option.describe()
    assert error.value.field == "hire_weekly_hours"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance_and_new_project(), st.integers(0, 149), st.sampled_from([0.1, 0.5]))
def test_overtime_by_person_and_by_role_add_up_to_the_same_hours(
    pair: tuple[Instance, Project], by_day: int, share: float
) -> None:
    instance, new = pair
    plan = schedule_in_order(instance, default_order(instance))
    option = overtime_option(plan, new, by_day, share=share)
    by_person = sum(hours for _, hours in option.overtime_people)
    assert by_person == pytest.approx(option.overtime_total_hours, abs=1e-5)
    assert {person for person, _ in option.overtime_people} <= {p.id for p in instance.people}
    assert re.search(r"\bday -?\d", option.describe(lambda day: "<day>")) is None
