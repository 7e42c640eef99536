"""The verdict: the promise day at the organisation's confidence, what binds it, and
whether the requested day is met."""

from __future__ import annotations

import datetime
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promisekeeper.engine.confidence import ConfidenceAnswer, ConfidenceLevel, confidence
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
from promisekeeper.engine.plan import Allocations
from promisekeeper.engine.promise import AnswerStatus, PromiseAnswer
from promisekeeper.engine.schedule import default_order, schedule_in_order
from promisekeeper.engine.verdict import Binding, promise_verdict

P80 = ConfidenceLevel.P80


def work(
    deterministic: int | None, finish_days: tuple[int, ...], samples: int = 10
) -> ConfidenceAnswer:
    """A confidence run: ``finish_days`` (sorted) of ``samples`` draws finish inside the
    horizon, the rest beyond it; ``deterministic`` is the exact finish (exclusive)."""
    exact = PromiseAnswer(
        "new",
        AnswerStatus.FEASIBLE if deterministic is not None else AnswerStatus.BEYOND_HORIZON,
        deterministic,
        (),
        Allocations(),
        None,
        None,
    )
    return ConfidenceAnswer(
        project_id="new",
        samples=samples,
        seed=0,
        p50_day=None,
        p80_day=None,
        p95_day=None,
        finish_days=tuple(sorted(finish_days)),
        beyond_horizon=samples - len(finish_days),
        on_time_probability=None,
        sampler_gap_days=None,
        deterministic=exact,
    )


def test_capacity_binds_when_the_quantile_is_no_later_than_the_exact_finish() -> None:
    verdict = promise_verdict(work(6, (4,) * 10), P80, requested_day=5)
    assert (verdict.promise_day, verdict.binding) == (5, Binding.CAPACITY)
    assert verdict.requested_day_met is True


def test_confidence_binds_when_the_quantile_is_later() -> None:
    verdict = promise_verdict(work(6, (6,) * 7 + (9,) * 3), P80, requested_day=5)
    assert (verdict.promise_day, verdict.binding) == (8, Binding.CONFIDENCE)
    assert verdict.requested_day_met is False


def test_a_tie_between_quantile_and_exact_finish_is_capacity() -> None:
    verdict = promise_verdict(work(6, (6,) * 10), P80)
    assert (verdict.promise_day, verdict.binding) == (5, Binding.CAPACITY)


def test_the_level_picks_the_quantile() -> None:
    run = work(3, tuple(range(3, 13)))  # one draw finishing on each of days 3..12
    days = {level: promise_verdict(run, level).promise_day for level in ConfidenceLevel}
    assert days == {ConfidenceLevel.P50: 6, ConfidenceLevel.P80: 9, ConfidenceLevel.P95: 11}


def test_an_exact_finish_beyond_the_horizon_rules_a_promise_out() -> None:
    verdict = promise_verdict(work(None, (5,) * 10), P80, requested_day=40)
    assert (verdict.promise_day, verdict.binding) == (None, Binding.HORIZON)
    assert not verdict.can_promise and not verdict.work_fits_horizon
    assert verdict.requested_day_met is False


def test_a_quantile_beyond_the_horizon_rules_a_promise_out() -> None:
    verdict = promise_verdict(work(5, (5,) * 7), P80)  # 3 of 10 draws never finish
    assert (verdict.promise_day, verdict.binding) == (None, Binding.HORIZON)
    assert promise_verdict(work(5, (5,) * 8), P80).binding is Binding.CAPACITY


def test_the_promise_day_is_never_before_today() -> None:
    verdict = promise_verdict(work(0, (0,) * 10), P80, requested_day=0)
    assert (verdict.promise_day, verdict.capacity_day) == (0, 0)
    assert verdict.requested_day_met is True


def test_stock_later_than_the_work_binds() -> None:
    verdict = promise_verdict(work(6, (6,) * 10), P80, stock_days=(2, 9), requested_day=8)
    assert (verdict.promise_day, verdict.binding, verdict.capacity_day) == (9, Binding.STOCK, 5)
    assert verdict.requested_day_met is False


def test_stock_on_the_work_day_leaves_the_work_binding() -> None:
    verdict = promise_verdict(work(6, (6,) * 10), P80, stock_days=(5,))
    assert (verdict.promise_day, verdict.binding) == (5, Binding.CAPACITY)


def test_a_short_product_rules_a_promise_out() -> None:
    verdict = promise_verdict(work(6, (6,) * 10), P80, stock_days=(2, None, 3, None))
    assert (verdict.promise_day, verdict.binding) == (None, Binding.STOCK_SHORT)
    assert verdict.short_stock == (1, 3)
    assert verdict.work_fits_horizon and verdict.capacity_day == 5


def test_work_beyond_the_horizon_binds_before_short_stock() -> None:
    verdict = promise_verdict(work(None, ()), P80, stock_days=(None,))
    assert verdict.binding is Binding.HORIZON
    assert verdict.short_stock == (0,)


def test_products_only_wait_for_their_stock() -> None:
    verdict = promise_verdict(None, P80, stock_days=(0, 4), requested_day=4)
    assert (verdict.promise_day, verdict.binding, verdict.capacity_day) == (4, Binding.STOCK, 0)
    assert verdict.requested_day_met is True
    assert not verdict.has_work
    assert promise_verdict(None, P80, stock_days=(0,)).binding is Binding.STOCK


def test_nothing_to_wait_for_is_promised_today() -> None:
    verdict = promise_verdict(None, P80, requested_day=0)
    assert (verdict.promise_day, verdict.binding) == (0, Binding.NOTHING)
    assert verdict.requested_day_met is True


def test_without_a_requested_day_nothing_is_met_or_missed() -> None:
    assert promise_verdict(work(6, (6,) * 10), P80).requested_day_met is None


def test_a_past_requested_day_is_missed_and_one_beyond_the_horizon_is_met() -> None:
    run = work(6, (6,) * 10)
    assert promise_verdict(run, P80, requested_day=-1).requested_day_met is False
    assert promise_verdict(run, P80, requested_day=10_000).requested_day_met is True


def test_the_work_is_late_only_when_it_misses_the_requested_day_or_the_horizon() -> None:
    run = work(6, (6,) * 10)
    assert promise_verdict(run, P80, requested_day=4).work_late
    assert not promise_verdict(run, P80, requested_day=5).work_late
    assert not promise_verdict(run, P80).work_late
    assert promise_verdict(work(None, ()), P80).work_late
    assert not promise_verdict(run, P80, stock_days=(9,), requested_day=5).work_late
    assert not promise_verdict(None, P80, requested_day=-3).work_late


def test_a_negative_stock_day_is_invalid_input_naming_the_line() -> None:
    with pytest.raises(InvalidInput) as error:
        promise_verdict(None, P80, stock_days=(1, -2))
    assert error.value.field == "stock_days[1]"


def test_the_verdict_on_a_real_confidence_run() -> None:
    instance = Instance(
        Calendar(date(2027, 1, 4), 90), ("developer",), (Person("ana", {"developer": 1.0}),)
    )
    plan = schedule_in_order(instance, default_order(instance))
    new = Project("b", (EffortPhase("build", "developer", 40.0, effort_high=64.0),))
    run = confidence(plan, new, samples=200, seed=1)
    verdict = promise_verdict(run, ConfidenceLevel.P95, requested_day=30)
    quantile = run.quantile(0.95)
    assert quantile is not None and run.deterministic.finish_day == 5
    assert verdict.promise_day == quantile - 1 > 4
    assert verdict.binding is Binding.CONFIDENCE
    assert verdict.requested_day_met is True


# --- the same answer as the rule sales/selectors.py applies (_core_of, _evaluate) ----------

TODAY = date(2027, 1, 4)


def sales_rule(
    run: ConfidenceAnswer | None,
    level: str,
    stock_dates: list[date | None],
    wanted_date: date | None,
) -> tuple[date | None, bool | None, bool, list[int]]:
    """``promise_date``, ``can_promise``, the horizon note and the short lines, worked out
    in dates line by line as ``_core_of`` and ``_evaluate`` do."""
    quantile = {"P50": 0.5, "P80": 0.8, "P95": 0.95}
    horizon_note = False
    if run is None:
        capacity_date: date | None = TODAY
    else:
        quantile_day = run.quantile(quantile[level])
        finish_day = run.deterministic.finish_day
        if quantile_day is None or finish_day is None:
            capacity_date, horizon_note = None, True
        else:
            capacity_date = TODAY + datetime.timedelta(max(0, max(quantile_day, finish_day) - 1))
    promise_date = capacity_date
    short = []
    for k, earliest in enumerate(stock_dates):
        if earliest is None:
            promise_date = None
            short.append(k)
        elif promise_date is not None:
            promise_date = max(promise_date, earliest)
    can_promise = None
    if wanted_date is not None:
        can_promise = promise_date is not None and wanted_date >= promise_date
    return promise_date, can_promise, horizon_note, short


@st.composite
def runs(draw: st.DrawFn) -> ConfidenceAnswer | None:
    if draw(st.booleans()):
        return None
    samples = draw(st.integers(1, 20))
    inside = draw(st.lists(st.integers(0, 40), max_size=samples))
    return work(draw(st.one_of(st.none(), st.integers(0, 40))), tuple(inside), samples)


@given(
    run=runs(),
    level=st.sampled_from(list(ConfidenceLevel)),
    stock=st.lists(st.one_of(st.none(), st.integers(0, 45)), max_size=3),
    requested=st.one_of(st.none(), st.integers(-5, 60)),
)
def test_the_verdict_is_the_rule_sales_applies_today(
    run: ConfidenceAnswer | None,
    level: ConfidenceLevel,
    stock: list[int | None],
    requested: int | None,
) -> None:
    def as_date(day: int | None) -> date | None:
        return None if day is None else TODAY + datetime.timedelta(day)

    verdict = promise_verdict(run, level, stock_days=stock, requested_day=requested)
    promise_date, can_promise, horizon_note, short = sales_rule(
        run, level.value, [as_date(d) for d in stock], as_date(requested)
    )
    assert as_date(verdict.promise_day) == promise_date
    assert verdict.requested_day_met == can_promise
    assert (not verdict.work_fits_horizon) == horizon_note
    assert list(verdict.short_stock) == short
