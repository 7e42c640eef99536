"""The dashboard's key figures as plain functions of plain rows, so each formula is testable.

Every function returns ``None`` when there is nothing to measure (no deliveries, no capacity):
a tile then says "no data" instead of showing a misleading 0 % or 100 %.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Delivery:
    """A delivered project as the KPIs see it."""

    promised: datetime.date | None
    delivered: datetime.date


@dataclass(frozen=True)
class PhaseEffort:
    """A finished phase's estimate against what it really took."""

    estimated_hours: float
    actual_hours: float


def on_time_rate(deliveries: Iterable[Delivery]) -> float | None:
    """Share (0–1) of promised deliveries that arrived on or before the promised date."""
    promised = [d for d in deliveries if d.promised is not None]
    if not promised:
        return None
    kept = sum(1 for d in promised if d.promised is not None and d.delivered <= d.promised)
    return kept / len(promised)


def mean_slip_days(deliveries: Iterable[Delivery]) -> float | None:
    """Mean calendar days past the promise, over late deliveries only (None when none is late)."""
    slips = [
        (d.delivered - d.promised).days
        for d in deliveries
        if d.promised is not None and d.delivered > d.promised
    ]
    if not slips:
        return None
    return sum(slips) / len(slips)


def forecast_accuracy(phases: Iterable[PhaseEffort]) -> float | None:
    """1 − Σ|actual − estimated| / Σ actual, floored at 0 (1 = every estimate was exact).

    Weighting by actual hours keeps a 2-hour phase that took 4 from dominating the figure.
    """
    rows = [p for p in phases if p.actual_hours > 0]
    actual = sum(p.actual_hours for p in rows)
    if actual <= 0:
        return None
    error = sum(abs(p.actual_hours - p.estimated_hours) for p in rows)
    return max(0.0, 1.0 - error / actual)


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is not positive."""
    if denominator <= 0:
        return None
    return numerator / denominator


def utilisation(*, load_hours: float, capacity_hours: float) -> float | None:
    """Planned (committed + held) hours over available delivery hours (may exceed 1)."""
    return ratio(load_hours, capacity_hours)


def backlog_weeks(*, remaining_hours: float, weekly_capacity_hours: float) -> float | None:
    """How many weeks of the role's capacity the promised work still left would fill."""
    return ratio(remaining_hours, weekly_capacity_hours)


def pipeline_cover(*, weighted_demand_hours: float, free_hours: float) -> float | None:
    """Probability-weighted pipeline hours over free hours (above 1: more demand than room)."""
    return ratio(weighted_demand_hours, free_hours)


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of the week holding ``day``."""
    return day - datetime.timedelta(days=day.weekday())


def week_starts(*, first: datetime.date, count: int) -> list[datetime.date]:
    """``count`` consecutive Mondays starting with the week of ``first``."""
    monday = week_start(first)
    return [monday + datetime.timedelta(weeks=i) for i in range(count)]


def rolling_series(
    rows: Sequence[T],
    *,
    when: Callable[[T], datetime.date],
    weeks: Sequence[datetime.date],
    window_weeks: int,
    measure: Callable[[list[T]], float | None],
) -> list[float | None]:
    """For each week, ``measure`` of the rows dated in the ``window_weeks`` ending that week.

    A trailing window smooths weeks in which only one or two projects were delivered.
    """
    series: list[float | None] = []
    for monday in weeks:
        end = monday + datetime.timedelta(days=7)
        start = end - datetime.timedelta(weeks=window_weeks)
        series.append(measure([row for row in rows if start <= when(row) < end]))
    return series
