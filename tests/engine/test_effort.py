"""Effort with tails and phases under way: distributions, what is left after spent hours,
and that instances without the new fields plan and sample exactly as before."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from datetime import date
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promisekeeper.engine.calibration import effort_distribution
from promisekeeper.engine.check import check_plan
from promisekeeper.engine.confidence import confidence
from promisekeeper.engine.effort import (
    EffortDistribution,
    EffortKind,
    minimum_remaining,
    normal_quantile,
    remaining_effort,
    sample_remaining,
)
from promisekeeper.engine.io import instance_from_dict, instance_to_dict
from promisekeeper.engine.model import (
    Calendar,
    EffortPhase,
    Instance,
    Person,
    Project,
    ProjectState,
)
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.schedule import default_order, schedule, schedule_in_order

from .strategies import instance_and_new_project, instances

MONDAY = date(2027, 1, 4)
LOGNORMAL = EffortDistribution(EffortKind.LOGNORMAL, median=1.0, sigma=0.5)
EMPIRICAL = EffortDistribution(EffortKind.EMPIRICAL, ratios=(0.9, 1.0, 1.1, 1.3, 1.6, 2.4))

distributions = st.one_of(
    st.none(),
    st.sampled_from([EffortKind.TRIANGULAR, EffortKind.PERT]).map(EffortDistribution),
    st.builds(
        lambda median, sigma: EffortDistribution(EffortKind.LOGNORMAL, median=median, sigma=sigma),
        st.floats(0.5, 2.0),
        st.floats(0.0, 1.5),
    ),
    st.lists(st.floats(0.2, 5.0), min_size=1, max_size=12).map(
        lambda ratios: EffortDistribution(EffortKind.EMPIRICAL, ratios=tuple(ratios))
    ),
)


@st.composite
def phases_under_way(draw: st.DrawFn) -> EffortPhase:
    """A phase of 1 to 200 estimated hours with bounds and a shape, nothing spent yet."""
    estimate = draw(st.floats(1.0, 200.0))
    low = estimate * draw(st.floats(0.5, 1.0))
    high = estimate * draw(st.floats(1.0, 3.0))
    return EffortPhase(
        "build",
        "developer",
        estimate,
        effort_low=low,
        effort_high=high,
        effort_distribution=draw(distributions),
    )


def plan_for(people: int = 1, horizon_days: int = 365) -> Plan:
    staff = tuple(Person(f"p{k}", {"developer": 1.0}) for k in range(people))
    instance = Instance(Calendar(MONDAY, horizon_days), ("developer",), staff)
    return schedule_in_order(instance, default_order(instance))


def spent(phase: EffortPhase, hours: float) -> EffortPhase:
    return replace(phase, spent_hours=hours)


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    "distribution", [None, LOGNORMAL, EMPIRICAL, EffortDistribution(EffortKind.PERT)]
)
def test_a_phase_with_nothing_spent_places_its_estimate(distribution) -> None:
    phase = EffortPhase(
        "build", "developer", 40.0, effort_low=30.0, effort_high=90.0,
        effort_distribution=distribution,
    )  # fmt: skip
    assert phase.remaining_hours == 40.0


def test_spent_hours_below_the_low_bound_leave_the_estimate_less_what_is_spent() -> None:
    phase = EffortPhase("build", "developer", 40.0, effort_low=30.0, effort_high=90.0)
    assert spent(phase, 10.0).remaining_hours == pytest.approx(30.0)


@pytest.mark.parametrize(
    ("distribution", "low", "high"),
    [
        (LOGNORMAL, None, None),
        (effort_distribution([], "any", MONDAY), None, None),  # the published prior
        (EMPIRICAL, None, None),
        (None, 32.0, 80.0),  # a wide SOP triangular: it has room above 48
    ],
)
def test_a_phase_at_120_percent_of_its_estimate_is_not_almost_done(distribution, low, high):
    phase = EffortPhase(
        "build", "developer", 40.0, effort_low=low, effort_high=high,
        effort_distribution=distribution, spent_hours=48.0,
    )  # fmt: skip
    draws = sample_remaining(
        40.0, 48.0, 20_000, np.random.default_rng(1), low=low, high=high,
        distribution=distribution,
    )  # fmt: skip
    assert draws.mean() > 0.2 * 40.0  # expected remaining: well above zero
    assert phase.remaining_hours > minimum_remaining(40.0)  # the plan keeps more than the least


def test_a_lognormal_phase_at_its_median_plans_the_conditional_median() -> None:
    phase = EffortPhase("build", "developer", 40.0, effort_distribution=LOGNORMAL)
    # P(T >= 40) = 1/2, so the conditional median is the unconditional P75
    p75 = 40.0 * math.exp(0.5 * NormalDist().inv_cdf(0.75))
    assert spent(phase, 40.0).remaining_hours == pytest.approx(p75 - 40.0, rel=1e-6)


def test_spent_hours_past_what_the_distribution_allows_leave_the_minimum() -> None:
    exact = EffortPhase("build", "developer", 40.0, spent_hours=41.0)
    bounded = EffortPhase("build", "developer", 40.0, effort_high=50.0, spent_hours=55.0)
    assert exact.remaining_hours == minimum_remaining(40.0) == 2.0
    assert bounded.remaining_hours == 2.0
    assert EffortPhase("tiny", "developer", 4.0, spent_hours=3.9).remaining_hours == 1.0


def test_a_phase_past_its_whole_history_still_has_the_tail_mean_left() -> None:
    """Regression: with empirical ratios, spent hours beyond the largest past ratio left
    only the minimum (2 h of a 40 h phase), so the plan took a phase that had overrun
    further than ever before as all but done. Past the largest 5 % of ratios the tail is
    exponential with their mean excess: memoryless for exponential history."""
    ratios = tuple(np.random.default_rng(4).exponential(1.0, 2000).tolist())
    history = EffortDistribution(EffortKind.EMPIRICAL, ratios=ratios)
    beyond = 40.0 * (max(ratios) + 1.0)
    left = remaining_effort(40.0, beyond, distribution=history)
    assert 25.0 < left < 60.0  # about the mean of 40 h, as far as history says
    draws = sample_remaining(40.0, beyond, 4000, np.random.default_rng(1), distribution=history)
    assert abs(float(draws.mean()) - 40.0) < 6.0
    assert float(np.quantile(draws, 0.95)) > 90.0  # 120 h for a fresh exponential
    few = EffortDistribution(EffortKind.EMPIRICAL, ratios=(0.8, 1.0, 1.2, 1.5))
    assert remaining_effort(40.0, 70.0, distribution=few) == minimum_remaining(40.0)


@settings(max_examples=150, deadline=None)
@given(phases_under_way(), st.floats(0.0, 6.0), st.integers(0, 2**32 - 1))
def test_what_is_left_is_never_negative_nor_below_the_minimum(phase, share, seed) -> None:
    hours = share * phase.effort_hours
    under_way = spent(phase, hours)
    floor = minimum_remaining(phase.effort_hours) if hours > 0 else 0.0
    assert under_way.remaining_hours >= floor - 1e-9
    draws = sample_remaining(
        phase.effort_hours, hours, 200, np.random.default_rng(seed),
        low=phase.effort_low, high=phase.effort_high,
        distribution=phase.effort_distribution,
    )  # fmt: skip
    assert np.all(np.isfinite(draws))
    assert draws.min() >= floor - 1e-9


@settings(max_examples=150, deadline=None)
@given(phases_under_way(), st.floats(0.01, 5.0), st.floats(0.0, 3.0))
def test_more_spent_never_brings_the_planned_total_forward(phase, first, more) -> None:
    earlier = spent(phase, first * phase.effort_hours)
    later = spent(phase, (first + more) * phase.effort_hours)
    assert (
        earlier.spent_hours + earlier.remaining_hours
        <= later.spent_hours + later.remaining_hours + 1e-6 * phase.effort_hours
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(1.0, 2.0), st.floats(1.0, 4.0), st.floats(0.0, 2.0))
def test_more_spent_never_moves_the_median_finish_earlier_beyond_the_estimate(
    sigma, first, more
) -> None:
    plan = plan_for()
    shape = EffortDistribution(EffortKind.LOGNORMAL, sigma=sigma)
    finishes = []
    for share in (first, first + more):
        phase = EffortPhase(
            "build", "developer", 40.0, effort_distribution=shape, spent_hours=40.0 * share
        )
        run = confidence(plan, Project("late", (phase,)), samples=201, seed=3)
        finishes.append((run.deterministic.finish_day, run.p50_day))
    (plan_before, median_before), (plan_after, median_after) = finishes
    assert plan_before <= plan_after
    assert median_before is None or median_after is None or median_before <= median_after


# --------------------------------------------------------------------------- sampling


@settings(max_examples=30, deadline=None)
@given(st.floats(0.5, 2.0), st.floats(0.1, 1.5), st.integers(0, 2**32 - 1))
def test_lognormal_sample_quantiles_match_the_parameters(median, sigma, seed) -> None:
    shape = EffortDistribution(EffortKind.LOGNORMAL, median=median, sigma=sigma)
    draws = sample_remaining(10.0, 0.0, 40_000, np.random.default_rng(seed), distribution=shape)
    for q in (0.1, 0.5, 0.8, 0.95):
        expected = 10.0 * median * math.exp(sigma * NormalDist().inv_cdf(q))
        assert float(np.quantile(draws, q)) == pytest.approx(expected, rel=0.06 * sigma + 0.01)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.2, 1.5), st.floats(0.2, 3.0), st.integers(0, 2**32 - 1))
def test_lognormal_draws_of_a_phase_under_way_follow_the_truncated_law(sigma, share, seed):
    shape = EffortDistribution(EffortKind.LOGNORMAL, sigma=sigma)
    remaining = sample_remaining(
        10.0, 10.0 * share, 40_000, np.random.default_rng(seed), distribution=shape
    )
    law = NormalDist(0.0, sigma)
    survival = 1.0 - law.cdf(math.log(share))
    for q in (0.25, 0.5, 0.9):
        total = math.exp(law.inv_cdf(1.0 - survival * (1.0 - q)))
        expected = max(minimum_remaining(10.0), 10.0 * (total - share))
        assert float(np.quantile(remaining, q)) == pytest.approx(expected, rel=0.08, abs=0.05)


@given(st.floats(1e-12, 1.0 - 1e-12))
def test_the_normal_quantile_matches_the_standard_library(p: float) -> None:
    assert float(normal_quantile(np.array([p]))[0]) == pytest.approx(
        NormalDist().inv_cdf(p), rel=1e-8, abs=1e-8
    )


def test_empirical_draws_of_a_phase_under_way_come_from_the_ratios_that_reach_the_spent_hours():
    draws = sample_remaining(10.0, 12.0, 500, np.random.default_rng(0), distribution=EMPIRICAL)
    assert set(np.round(draws, 6)) == {1.0, 4.0, 12.0}  # ratios 1.3, 1.6, 2.4 less 12 h
    assert remaining_effort(10.0, 12.0, distribution=EMPIRICAL) == pytest.approx(1.0)


def test_calibration_ratios_for_a_phase_under_way_draw_only_those_that_reach_it() -> None:
    phase = EffortPhase("build", "developer", 40.0, spent_hours=44.0)
    answer = confidence(plan_for(), Project("late", (phase,)), calibration={"build": [1.0, 1.5]})
    assert set(answer.finish_days) == {2}  # 60 h in all: 16 left, two days


def test_a_phase_under_way_finishes_where_its_remaining_hours_are_placed() -> None:
    plan = plan_for()
    phase = EffortPhase("build", "developer", 40.0, effort_distribution=LOGNORMAL, spent_hours=48)
    run = confidence(plan, Project("late", (phase,)), samples=300, seed=2)
    assert run.sampler_gap_days == 0
    assert run.deterministic.finish_day == math.ceil(phase.remaining_hours / 8.0)
    assert run.p95_day > run.p50_day


# --------------------------------------------------------------------------- old instances


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_an_instance_without_the_new_fields_writes_none_and_plans_as_before(instance) -> None:
    data = instance_to_dict(instance)
    phases = [ph for project in data["projects"] for ph in project["phases"]]
    assert not any({"spent_hours", "effort_distribution"} & set(ph) for ph in phases)
    spelled_out = copy.deepcopy(data)
    for ph in (ph for project in spelled_out["projects"] for ph in project["phases"]):
        if ph["kind"] == "effort":
            ph["spent_hours"] = 0
    again = instance_from_dict(spelled_out)
    assert again.projects == instance.projects
    for project in instance.projects:
        for phase in project.phases:
            if isinstance(phase, EffortPhase):
                assert phase.remaining_hours == phase.effort_hours


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance_and_new_project(), st.sampled_from(["triangular", "pert"]))
def test_naming_the_default_shape_samples_exactly_as_before(case, shape) -> None:
    instance, new = case
    plan = schedule_in_order(instance, default_order(instance))
    named = replace(
        new,
        phases=tuple(
            replace(phase, effort_distribution=EffortDistribution(EffortKind(shape)))
            if isinstance(phase, EffortPhase)
            else phase
            for phase in new.phases
        ),
    )
    before = confidence(plan, new, samples=60, seed=5, distribution=shape)
    after = confidence(plan, named, samples=60, seed=5, distribution="triangular")
    assert after == before


def test_a_phase_under_way_is_planned_and_checked_on_its_remaining_hours() -> None:
    phase = EffortPhase("build", "developer", 40.0, effort_distribution=LOGNORMAL, spent_hours=48)
    instance = Instance(
        Calendar(MONDAY, 60),
        ("developer",),
        (Person("ana", {"developer": 1.0}),),
        (Project("late", (phase,), state=ProjectState.IN_DELIVERY),),
    )
    plan = schedule(instance, time_limit=0.2)
    assert check_plan(instance, plan) == []
    assert float(plan.allocations.hours.sum()) == pytest.approx(phase.remaining_hours)
