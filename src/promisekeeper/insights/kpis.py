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


# --------------------------------------------------------------------------- calibration

STATED_SHARE = {"P50": 0.5, "P80": 0.8, "P95": 0.95}
"""The share of promises made at a confidence level that should be kept, if dates are honest."""


@dataclass(frozen=True)
class KeptPromise:
    """A delivered promise: the confidence it was made at, its date and the delivery date."""

    confidence: str
    promised: datetime.date
    delivered: datetime.date

    @property
    def kept(self) -> bool:
        return self.delivered <= self.promised


@dataclass(frozen=True)
class CalibrationBin:
    """Promises made at one confidence level: how many should be kept and how many were."""

    level: str
    stated: float
    promises: int
    kept: int

    @property
    def observed(self) -> float | None:
        return ratio(self.kept, self.promises)


def date_calibration(promises: Iterable[KeptPromise]) -> list[CalibrationBin]:
    """One bin per confidence level (P50, P80, P95): promises made at it and those kept.

    Honest dates keep about the stated share: 80 % of P80 promises delivered on time.
    """
    rows = list(promises)
    return [
        CalibrationBin(
            level,
            stated,
            sum(1 for p in rows if p.confidence == level),
            sum(1 for p in rows if p.confidence == level and p.kept),
        )
        for level, stated in STATED_SHARE.items()
    ]


SLIP_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("more than a week early", -(10**6), -8),
    ("1–7 days early", -7, -1),
    ("on the day", 0, 0),
    ("1–3 days late", 1, 3),
    ("4–7 days late", 4, 7),
    ("8–14 days late", 8, 14),
    ("15–30 days late", 15, 30),
    ("more than 30 days late", 31, 10**6),
)
"""Slip buckets in calendar days (delivered − promised), both ends included."""


def slip_distribution(slips: Iterable[int]) -> list[tuple[str, int]]:
    """How many deliveries fall in each slip bucket, early to late (every bucket listed)."""
    values = list(slips)
    return [
        (label, sum(1 for s in values if low <= s <= high)) for label, low, high in SLIP_BUCKETS
    ]


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile with linear interpolation between the sorted values (None if empty).

    >>> quantile([1.0, 2.0, 3.0, 4.0], 0.5)
    2.5
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def triangular_quantile(*, low: float, likely: float, high: float, q: float) -> float:
    """The ``q`` quantile of the triangular (low, likely, high) hours the planner samples.

    >>> triangular_quantile(low=10, likely=10, high=20, q=0.75)
    15.0
    """
    if high <= low:
        return likely
    split = (likely - low) / (high - low)
    if q <= split:
        return low + ((high - low) * (likely - low) * q) ** 0.5
    return high - ((high - low) * (high - likely) * (1 - q)) ** 0.5


@dataclass(frozen=True)
class EffortOutcome:
    """A finished phase: its estimate, the estimate's P80 and the hours it really took."""

    estimated_hours: float
    p80_hours: float
    actual_hours: float


@dataclass(frozen=True)
class EffortCalibration:
    """actual ÷ estimate over a group of finished phases."""

    phases: int
    median_ratio: float | None
    p80_ratio: float | None
    within_p80: float | None


def effort_calibration(outcomes: Iterable[EffortOutcome]) -> EffortCalibration:
    """Median and P80 of actual ÷ estimated hours, and the share of phases whose actual hours
    stayed within the estimate's P80 (honest estimates: about 80 %). Phases without an
    estimate or without logged hours say nothing about the estimate and are left out."""
    rows = [o for o in outcomes if o.estimated_hours > 0 and o.actual_hours > 0]
    ratios = [o.actual_hours / o.estimated_hours for o in rows]
    within = sum(1 for o in rows if o.actual_hours <= o.p80_hours)
    return EffortCalibration(
        len(rows), quantile(ratios, 0.5), quantile(ratios, 0.8), ratio(within, len(rows))
    )
