"""Every KPI formula on hand-made rows whose answer is known."""

from __future__ import annotations

import datetime

import pytest

from promisekeeper.insights import kpis
from promisekeeper.insights.kpis import Delivery, PhaseEffort

D = datetime.date


def test_on_time_rate_counts_deliveries_on_or_before_the_promise():
    rows = [
        Delivery(promised=D(2026, 3, 10), delivered=D(2026, 3, 10)),  # on the day: kept
        Delivery(promised=D(2026, 3, 10), delivered=D(2026, 3, 9)),  # early: kept
        Delivery(promised=D(2026, 3, 10), delivered=D(2026, 3, 11)),  # one day late
        Delivery(promised=D(2026, 3, 10), delivered=D(2026, 3, 20)),  # late
    ]
    assert kpis.on_time_rate(rows) == 0.5


def test_on_time_rate_ignores_deliveries_without_a_promise_and_is_none_without_any():
    assert kpis.on_time_rate([Delivery(promised=None, delivered=D(2026, 1, 1))]) is None
    rows = [
        Delivery(promised=None, delivered=D(2026, 1, 1)),
        Delivery(promised=D(2026, 1, 5), delivered=D(2026, 1, 1)),
    ]
    assert kpis.on_time_rate(rows) == 1.0


def test_mean_slip_averages_only_late_deliveries():
    rows = [
        Delivery(promised=D(2026, 3, 10), delivered=D(2026, 3, 12)),  # 2 days
        Delivery(promised=D(2026, 3, 10), delivered=D(2026, 3, 16)),  # 6 days
        Delivery(promised=D(2026, 3, 10), delivered=D(2026, 3, 1)),  # early: ignored
    ]
    assert kpis.mean_slip_days(rows) == 4.0


def test_mean_slip_is_none_when_nothing_was_late():
    assert (
        kpis.mean_slip_days([Delivery(promised=D(2026, 3, 10), delivered=D(2026, 3, 10))]) is None
    )


def test_forecast_accuracy_weights_errors_by_actual_hours():
    # |110 − 100| + |30 − 40| = 20 over 140 actual hours → 1 − 20/140
    rows = [PhaseEffort(estimated_hours=100, actual_hours=110), PhaseEffort(40, 30)]
    assert kpis.forecast_accuracy(rows) == pytest.approx(1 - 20 / 140)


def test_forecast_accuracy_is_one_for_exact_estimates_and_floored_at_zero():
    assert kpis.forecast_accuracy([PhaseEffort(8, 8), PhaseEffort(16, 16)]) == 1.0
    assert kpis.forecast_accuracy([PhaseEffort(100, 10)]) == 0.0


def test_forecast_accuracy_skips_phases_without_actuals():
    assert kpis.forecast_accuracy([PhaseEffort(40, 0)]) is None
    assert kpis.forecast_accuracy([PhaseEffort(40, 0), PhaseEffort(10, 10)]) == 1.0


def test_utilisation_is_load_over_capacity_and_may_exceed_one():
    assert kpis.utilisation(load_hours=30, capacity_hours=40) == 0.75
    assert kpis.utilisation(load_hours=50, capacity_hours=40) == 1.25
    assert kpis.utilisation(load_hours=5, capacity_hours=0) is None


def test_backlog_weeks_divides_remaining_hours_by_weekly_capacity():
    assert kpis.backlog_weeks(remaining_hours=320, weekly_capacity_hours=80) == 4.0
    assert kpis.backlog_weeks(remaining_hours=320, weekly_capacity_hours=0) is None


def test_pipeline_cover_compares_weighted_demand_with_free_hours():
    assert kpis.pipeline_cover(weighted_demand_hours=150, free_hours=100) == 1.5
    assert kpis.pipeline_cover(weighted_demand_hours=150, free_hours=0) is None


def test_week_starts_are_consecutive_mondays():
    weeks = kpis.week_starts(first=D(2026, 3, 4), count=3)  # a Wednesday
    assert weeks == [D(2026, 3, 2), D(2026, 3, 9), D(2026, 3, 16)]


def test_rolling_series_measures_a_trailing_window_per_week():
    rows = [D(2026, 3, 2), D(2026, 3, 10), D(2026, 3, 11), D(2026, 3, 18)]
    weeks = kpis.week_starts(first=D(2026, 3, 2), count=3)
    counts = kpis.rolling_series(
        rows, when=lambda d: d, weeks=weeks, window_weeks=2, measure=lambda group: len(group)
    )
    # week of 2 Mar: [23 Feb, 9 Mar) → 1; 9 Mar: [2 Mar, 16 Mar) → 3; 16 Mar: [9 Mar, 23 Mar) → 3
    assert counts == [1, 3, 3]
