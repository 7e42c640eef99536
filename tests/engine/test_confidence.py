"""Finish-date confidence: quantiles, reproducibility, exactness without uncertainty."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promisekeeper.engine.confidence import confidence, confidence_reanchored
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
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.promise import earliest_finish
from promisekeeper.engine.schedule import default_order, schedule_in_order

MONDAY = date(2027, 1, 4)
ROLES = ("developer", "tester")


def make_plan(
    people: tuple[Person, ...] = (Person("ana", {"developer": 1.0}),),
    projects: tuple[Project, ...] = (),
    horizon_days: int = 120,
) -> Plan:
    instance = Instance(Calendar(MONDAY, horizon_days), ROLES, people, projects)
    return schedule_in_order(instance, default_order(instance))


def build(effort: float, low: float | None = None, high: float | None = None) -> Project:
    return Project(
        "new", (EffortPhase("build", "developer", effort, effort_low=low, effort_high=high),)
    )


def test_one_developer_forty_hours_finishes_after_five_working_days() -> None:
    answer = confidence(make_plan(), build(40.0), samples=200)
    assert (answer.p50_day, answer.p80_day, answer.p95_day) == (5, 5, 5)
    assert answer.deterministic.finish_day == 5
    assert answer.samples == 200 and answer.beyond_horizon == 0


def test_zero_uncertainty_equals_earliest_finish_on_a_busy_plan() -> None:
    people = (
        Person("ana", {"developer": 1.0}),
        Person("ben", {"developer": 0.6, "tester": 1.0}, weekly_hours=(6, 6, 6, 6, 6, 0, 0)),
        Person("cy", {"tester": 1.0}, time_off=(TimeOff(9, 16),)),
    )
    booked = (
        Project("a", (EffortPhase("x", "developer", 50.0, max_people=2),), promised_day=20),
        Project("b", (FixedPhase("y", 3, {"tester": 1}),), release_day=3),
    )
    new = Project(
        "new",
        (
            EffortPhase("spec", "developer", 12.0),
            EffortPhase(
                "build", "developer", 70.0, max_people=2, predecessors=(Dependency("spec"),)
            ),
            FixedPhase(
                "test", 2, {"tester": 1, "developer": 1}, predecessors=(Dependency("build", 2),)
            ),
        ),
        release_day=1,
    )
    plan = make_plan(people, booked)
    answer = confidence(plan, new, samples=50)
    expected = earliest_finish(plan, new).finish_day
    assert answer.finish_days == (expected,) * 50
    assert answer.sampler_gap_days == 0


def test_parallel_branches_do_not_compete_in_the_sampler_and_the_gap_says_so() -> None:
    new = Project(
        "new",
        (EffortPhase("left", "developer", 40.0), EffortPhase("right", "developer", 40.0)),
    )
    answer = confidence(make_plan(), new, samples=20)
    assert answer.deterministic.finish_day == 12  # one developer does both, one after the other
    assert answer.finish_days == (5,) * 20  # each branch alone fits the first week
    assert answer.sampler_gap_days == 7


def test_calibration_ratios_of_one_equal_the_deterministic_answer() -> None:
    plan = make_plan()
    answer = confidence(plan, build(40.0, 20.0, 90.0), calibration={"developer": [1.0, 1.0]})
    assert set(answer.finish_days) == {earliest_finish(plan, build(40.0)).finish_day}


def test_calibration_by_phase_id_wins_over_role() -> None:
    answer = confidence(
        make_plan(), build(40.0), calibration={"developer": [1.0], "build": [2.0]}, samples=20
    )
    assert set(answer.finish_days) == {12}  # 80 h: ten working days


def test_calibration_bootstraps_the_given_ratios() -> None:
    answer = confidence(make_plan(), build(40.0), calibration={"developer": [1.0, 1.5]})
    assert set(answer.finish_days) == {5, 10}  # 40 h or 60 h


def test_same_seed_gives_the_same_samples() -> None:
    plan = make_plan()
    first = confidence(plan, build(40.0, 16.0, 160.0), seed=7)
    again = confidence(plan, build(40.0, 16.0, 160.0), seed=7)
    assert first == again


def test_different_seeds_give_different_samples() -> None:
    plan = make_plan()
    a = confidence(plan, build(40.0, 16.0, 160.0), seed=1)
    b = confidence(plan, build(40.0, 16.0, 160.0), seed=2)
    assert a.finish_days != b.finish_days
    assert a.seed == 1 and b.seed == 2


def test_fixed_phase_days_are_drawn_and_rounded() -> None:
    people = (Person("ana", {"developer": 1.0}),)
    new = Project("new", (FixedPhase("install", 3, {"developer": 1}, days_low=1, days_high=5),))
    answer = confidence(make_plan(people), new, samples=500)
    assert set(answer.finish_days) <= {1, 2, 3, 4, 5}
    assert len(set(answer.finish_days)) > 1


def test_samples_beyond_the_horizon_are_reported_and_their_quantiles_are_none() -> None:
    answer = confidence(make_plan(horizon_days=30), build(40.0, 40.0, 400.0), samples=400)
    assert 0 < answer.beyond_horizon < 400
    assert answer.beyond_horizon_share == answer.beyond_horizon / 400
    assert answer.p95_day is None
    assert answer.p50_day is not None


def test_on_time_probability_uses_the_promised_day() -> None:
    project = Project(
        "new",
        (EffortPhase("build", "developer", 40.0, effort_low=32.0, effort_high=120.0),),
        promised_day=4,
    )
    answer = confidence(make_plan(), project)
    assert answer.on_time_probability == answer.probability_by(4)
    assert 0 < answer.on_time_probability < 1
    assert confidence(make_plan(), build(40.0)).on_time_probability is None


def test_probability_by_counts_last_work_days_on_or_before_the_day() -> None:
    answer = confidence(make_plan(), build(40.0), samples=10)
    assert answer.probability_by(3) == 0.0
    assert answer.probability_by(4) == 1.0  # finish_day 5: last work day 4


def test_pert_draws_stay_within_the_bounds() -> None:
    plan = make_plan()
    answer = confidence(plan, build(40.0, 24.0, 120.0), distribution="pert")
    low = earliest_finish(plan, build(24.0)).finish_day
    high = earliest_finish(plan, build(120.0)).finish_day
    assert low <= answer.finish_days[0] <= answer.finish_days[-1] <= high


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    low=st.floats(0.0, 200.0),
    mode_extra=st.floats(0.0, 200.0),
    high_extra=st.floats(0.0, 400.0),
    seed=st.integers(0, 2**32 - 1),
    pert=st.booleans(),
)
def test_quantiles_are_ordered_and_inside_the_low_and_high_finish(
    low: float, mode_extra: float, high_extra: float, seed: int, pert: bool
) -> None:
    plan = make_plan(horizon_days=200)
    mode = low + mode_extra
    high = mode + high_extra
    answer = confidence(
        plan,
        build(mode, low, high),
        samples=300,
        seed=seed,
        distribution="pert" if pert else "triangular",
    )
    quantiles = [answer.p50_day, answer.p80_day, answer.p95_day]
    as_numbers = [q if q is not None else 10**9 for q in quantiles]
    assert as_numbers == sorted(as_numbers)
    earliest = earliest_finish(plan, build(low)).finish_day
    latest = earliest_finish(plan, build(high)).finish_day
    assert answer.finish_days[0] >= earliest
    if latest is not None:
        assert answer.finish_days[-1] <= latest
        assert answer.beyond_horizon == 0
    for q in (0.1, 0.5, 0.9):
        day = answer.quantile(q)
        if day is not None:
            assert answer.probability_by(day - 1) >= q


@st.composite
def chain_cases(draw: st.DrawFn) -> tuple[Plan, Project]:
    people = (
        Person("ana", {"developer": 1.0}),
        Person("ben", {"developer": draw(st.sampled_from([0.5, 1.0])), "tester": 1.0}),
        Person("cy", {"tester": 1.0}, time_off=(TimeOff(draw(st.integers(0, 20)), 25),)),
    )[: draw(st.integers(2, 3))]

    def phase(k: int, role: str) -> EffortPhase | FixedPhase:
        after = (Dependency(f"p{k - 1}", draw(st.integers(0, 3))),) if k else ()
        if draw(st.booleans()):
            return EffortPhase(
                f"p{k}",
                role,
                draw(st.floats(0.0, 60.0)),
                max_people=draw(st.integers(1, 2)),
                predecessors=after,
            )
        crew = {role: 1} if draw(st.booleans()) else {"developer": 1, "tester": 1}
        return FixedPhase(f"p{k}", draw(st.integers(0, 4)), crew, predecessors=after)

    booked = tuple(
        Project(
            f"b{i}", (phase(0, draw(st.sampled_from(ROLES))),), release_day=draw(st.integers(0, 10))
        )
        for i in range(draw(st.integers(0, 3)))
    )
    roles = draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=4))
    new = Project(
        "new",
        tuple(phase(k, role) for k, role in enumerate(roles)),
        release_day=draw(st.integers(0, 10)),
    )
    return make_plan(people, booked, horizon_days=150), new


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=chain_cases())
def test_without_uncertainty_every_sample_of_a_chain_equals_earliest_finish(
    case: tuple[Plan, Project],
) -> None:
    plan, project = case
    answer = confidence(plan, project, samples=5)
    expected = earliest_finish(plan, project).finish_day
    if expected is None:
        assert answer.beyond_horizon == 5
        assert answer.sampler_gap_days is None
    else:
        assert answer.finish_days == (expected,) * 5
        assert answer.sampler_gap_days == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=chain_cases(),
    effort=st.floats(1.0, 60.0),
    ratios=st.lists(st.sampled_from([0.25, 1.0, 3.0, 8.0, 20.0]), min_size=1, max_size=4),
    release=st.integers(0, 30),
    busy_hours=st.sampled_from([0.0, 150.0, 400.0]),
)
def test_every_sampled_effort_finishes_where_the_engine_would_place_it(
    case: tuple[Plan, Project], effort: float, ratios: list[float], release: int, busy_hours: float
) -> None:
    # Large ratios, and developers busy for weeks, run past the first window of days the
    # sampler looks at.
    plan, _ = case
    if busy_hours:
        busy = Project("busy", (EffortPhase("x", "developer", busy_hours, max_people=2),))
        plan = make_plan(plan.instance.people, (*plan.instance.projects, busy), horizon_days=150)
    phase = EffortPhase("build", "developer", effort, max_people=2)
    answer = confidence(
        plan, Project("new", (phase,), release_day=release), calibration={"build": ratios}
    )
    placed = {
        earliest_finish(
            plan, Project("new", (replace(phase, effort_hours=effort * r),), release_day=release)
        ).finish_day
        for r in ratios
    }
    assert set(answer.finish_days) == {day for day in placed if day is not None}
    assert (answer.beyond_horizon > 0) == (None in placed)


@pytest.mark.parametrize("samples", [0, -3])
def test_samples_must_be_positive(samples: int) -> None:
    with pytest.raises(InvalidInput) as error:
        confidence(make_plan(), build(40.0), samples=samples)
    assert error.value.field == "samples"


@pytest.mark.parametrize(
    ("calibration", "field"),
    [
        ({"designer": [1.0]}, "calibration.designer"),
        ({"developer": []}, "calibration.developer"),
        ({"developer": [1.0, -0.5]}, "calibration.developer"),
        ({"build": [float("nan")]}, "calibration.build"),
    ],
)
def test_calibration_must_name_a_role_or_phase_and_hold_positive_ratios(
    calibration: dict[str, list[float]], field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        confidence(make_plan(), build(40.0), calibration=calibration)
    assert error.value.field == field


def test_unknown_role_in_the_project_is_invalid() -> None:
    project = Project("new", (EffortPhase("build", "designer", 40.0),))
    with pytest.raises(InvalidInput) as error:
        confidence(make_plan(), project)
    assert error.value.field == "project.phases[0].role"


def test_unknown_distribution_is_invalid() -> None:
    with pytest.raises(InvalidInput) as error:
        confidence(make_plan(), build(40.0), distribution="normal")
    assert error.value.field == "distribution"


@pytest.mark.parametrize("q", [0.0, 1.5])
def test_quantile_outside_zero_one_is_invalid(q: float) -> None:
    answer = confidence(make_plan(), build(40.0), samples=10)
    with pytest.raises(InvalidInput) as error:
        answer.quantile(q)
    assert error.value.field == "q"


def test_answer_carries_plain_python_numbers() -> None:
    answer = confidence(make_plan(), build(40.0, 30.0, 60.0), samples=50)
    assert all(type(day) is int for day in answer.finish_days)
    assert type(answer.p50_day) is int and type(answer.beyond_horizon) is int


def test_confidence_leaves_the_plan_untouched() -> None:
    plan = make_plan(projects=(Project("a", (EffortPhase("x", "developer", 30.0),)),))
    before = plan.free.copy()
    confidence(plan, build(40.0, 20.0, 80.0))
    assert (plan.free == before).all()


def test_reanchoring_on_the_same_placement_changes_nothing() -> None:
    plan = make_plan()
    answer = confidence(plan, build(40.0, 30.0, 80.0), samples=300, seed=2)
    again = confidence_reanchored(
        answer, answer.deterministic, project=build(40.0, 30.0, 80.0), horizon=120
    )
    assert again == answer


def test_reanchoring_after_other_work_took_hours_shifts_every_quantile_by_the_exact_delay() -> None:
    new = build(40.0, 30.0, 80.0)
    answer = confidence(make_plan(), new, samples=300, seed=2)
    busier = make_plan(projects=(Project("other", (EffortPhase("x", "developer", 24.0),)),))
    placed = earliest_finish(busier, new)
    moved = confidence_reanchored(answer, placed, project=new, horizon=120)
    assert moved is not None and answer.deterministic.finish_day is not None
    delay = placed.finish_day - answer.deterministic.finish_day
    assert delay > 0
    assert (moved.p50_day, moved.p80_day, moved.p95_day) == tuple(
        day + delay for day in (answer.p50_day, answer.p80_day, answer.p95_day)
    )
    assert moved.deterministic is placed
    assert moved.finish_days == tuple(day + delay for day in answer.finish_days)


def test_reanchoring_counts_samples_pushed_past_the_horizon_and_needs_a_finish() -> None:
    new = Project("new", (EffortPhase("build", "developer", 40.0, effort_high=400.0),))
    answer = confidence(make_plan(horizon_days=60), new, samples=200, seed=1)
    late = earliest_finish(
        make_plan(
            projects=(Project("other", (EffortPhase("x", "developer", 200.0),)),),
            horizon_days=60,
        ),
        new,
    )
    moved = confidence_reanchored(answer, late, project=new, horizon=60)
    assert moved is not None
    assert moved.beyond_horizon > answer.beyond_horizon
    assert len(moved.finish_days) + moved.beyond_horizon == 200
    assert all(day <= 60 for day in moved.finish_days)
    away = make_plan(
        people=(Person("ana", {"developer": 1.0}, time_off=(TimeOff(0, 60),)),), horizon_days=60
    )
    nowhere = earliest_finish(away, new)
    assert nowhere.finish_day is None
    assert confidence_reanchored(answer, nowhere, project=new, horizon=60) is None


def test_reanchoring_refuses_a_placement_of_another_project() -> None:
    plan = make_plan()
    answer = confidence(plan, build(40.0), samples=10)
    other = Project("other", (EffortPhase("x", "developer", 8.0),))
    with pytest.raises(InvalidInput, match="deterministic"):
        confidence_reanchored(answer, earliest_finish(plan, other), project=other, horizon=120)


@settings(max_examples=60, deadline=None)
@given(
    effort=st.floats(1.0, 120.0),
    spread=st.floats(0.0, 120.0),
    other_hours=st.floats(0.0, 300.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_reanchored_samples_move_by_exactly_the_exact_finish_delay(
    effort: float, spread: float, other_hours: float, seed: int
) -> None:
    new = build(effort, effort, effort + spread)
    answer = confidence(make_plan(), new, samples=200, seed=seed)
    busier = make_plan(projects=(Project("other", (EffortPhase("x", "developer", other_hours),)),))
    placed = earliest_finish(busier, new)
    moved = confidence_reanchored(answer, placed, project=new, horizon=120)
    if placed.finish_day is None or answer.deterministic.finish_day is None:
        assert moved is None
        return
    assert moved is not None
    delay = placed.finish_day - answer.deterministic.finish_day
    assert delay >= 0  # more booked work never makes the exact finish earlier
    assert len(moved.finish_days) + moved.beyond_horizon == 200
    assert moved.finish_days == tuple(d + delay for d in answer.finish_days if d + delay <= 120)
    for before, after in zip(
        (answer.p50_day, answer.p80_day, answer.p95_day),
        (moved.p50_day, moved.p80_day, moved.p95_day),
        strict=True,
    ):
        if before is not None and before + delay <= 120:
            assert after == before + delay
    if spread == 0.0:
        # No uncertainty: the moved run is what a fresh run on the busier plan gives.
        fresh = confidence(busier, new, samples=200, seed=seed)
        assert moved == fresh
