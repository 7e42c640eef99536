"""Effort calibration: how many hours a phase will really take, from how past phases went.

Estimates are optimistic and the error has a long tail (in published estimate-vs-actual data
the actual/estimate ratio has a median near 1.0 but a P80 near 1.4 and a P95 near 3). This
module learns that ratio per group of similar work (``"Website build/design"``: an offering's
phase) from finished work and turns a new estimate into P50/P80/P95 hours, or, with
:func:`effort_distribution`, into the lognormal or empirical shape of a phase's effort
(:class:`~promisekeeper.engine.effort.EffortDistribution`) for the planner and ``confidence``.

The model, per predicted row:

* Only history finished strictly before the row's ``on`` date is used (no peeking ahead).
* The data are ``log(actual / estimate)``. Each row weighs ``0.5 ** (age / half_life)``, so
  recent work counts more; the effective number of rows is ``(Σw)² / Σw²``.
* Partial pooling along the group's path: ``"Website build/design"`` borrows from
  ``"Website build"``, which borrows from the whole organisation, which borrows from a
  published prior. At each level the quantiles of the log ratio are the weighted empirical
  quantiles shrunk towards the parent level's: ``(n·q_level + k·q_parent) / (n + k)``, with
  ``n`` the level's effective rows and ``k`` the pooling strength. A group with three rows
  stays close to its offering; one with two hundred speaks for itself.
* Quantiles are taken with the mid-point rule on the cumulative weights, so they are monotone
  (P50 ≤ P80 ≤ P95) and so is their blend.

Approximations: quantiles are pooled, not a full hierarchical posterior; the size of the
estimate is not a covariate; a zero actual counts as ``RATIO_FLOOR`` of the estimate.

Examples
--------
>>> from datetime import date
>>> history = [
...     HistoryRow(f"h{k}", "Site/design", 10.0, 10.0 * r, date(2026, 1, 1 + k))
...     for k, r in enumerate([0.9, 1.0, 1.1, 1.2, 1.5, 2.0, 1.0, 1.3, 0.8, 1.1])
... ]
>>> [q] = calibrate(history, [PredictRow("p", "Site/design", 20.0, date(2026, 6, 1))])
>>> q.p50_hours < q.p80_hours < q.p95_hours
True
>>> [early] = calibrate(history, [PredictRow("p", "Site/design", 20.0, date(2025, 6, 1))])
>>> round(early.p50_hours, 1), round(early.p80_hours, 1), round(early.p95_hours, 1)
(20.0, 28.6, 62.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist

import numpy as np

from promisekeeper.engine.effort import MAX_SIGMA, EffortDistribution, EffortKind
from promisekeeper.engine.errors import InvalidInput

LEVELS = (0.5, 0.8, 0.95)
"""The quantiles calibration reports."""

PRIOR_RATIOS = (1.0, 1.43, 3.1)
"""actual/estimate at P50, P80 and P95 before any history: published estimate-vs-actual data."""

RATIO_FLOOR = 0.05
"""The smallest actual/estimate taken (a phase logged at zero hours is not a free phase)."""

MIN_EMPIRICAL_ROWS = 10
"""The fewest finished rows an empirical distribution is drawn from."""

_Z = tuple(NormalDist().inv_cdf(level) for level in LEVELS)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One finished piece of work: its estimate and the hours it really took."""

    id: str
    group: str
    estimate_hours: float
    actual_hours: float
    finished_on: date


@dataclass(frozen=True, slots=True)
class PredictRow:
    """A piece of work to predict, as known on ``on`` (only history finished before counts)."""

    id: str
    group: str
    estimate_hours: float
    on: date


@dataclass(frozen=True, slots=True)
class EffortQuantiles:
    """The hours a predicted row will take at P50/P80/P95, and how much history said so:
    ``rows_used`` by level of its group's path, the group first (effective rows after
    recency weighting, rounded)."""

    id: str
    p50_hours: float
    p80_hours: float
    p95_hours: float
    rows_used: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class CalibrationSettings:
    """How history is weighed: recency half-life, pooling strengths, and a cap on the rows a
    level looks at (the most recent ones; older rows weigh little anyway)."""

    half_life_days: float = 365.0
    group_strength: float = 8.0
    organisation_strength: float = 5.0
    max_rows_per_level: int = 4000
    prior_ratios: tuple[float, float, float] = PRIOR_RATIOS


@dataclass
class _Level:
    """History of one level of the path, sorted by finish day."""

    days: np.ndarray  # finish day ordinals, ascending
    logs: np.ndarray  # log(actual / estimate), same order


@dataclass
class _History:
    levels: dict[str, _Level] = field(default_factory=dict)


def group_path(group: str) -> tuple[str, ...]:
    """The levels a group borrows from, itself first, the whole organisation (``""``) last.

    >>> group_path("Website build/design")
    ('Website build/design', 'Website build', '')
    >>> group_path("")
    ('',)
    """
    parts = [p for p in group.split("/") if p.strip()]
    path = ["/".join(parts[:k]) for k in range(len(parts), 0, -1)]
    return (*path, "")


def calibrate(
    history: Iterable[HistoryRow],
    predict: Sequence[PredictRow],
    *,
    settings: CalibrationSettings | None = None,
) -> list[EffortQuantiles]:
    """P50/P80/P95 hours for each ``predict`` row, in order, from ``history`` finished before
    the row's ``on`` date (see the module's docstring for the model)."""
    settings = settings or CalibrationSettings()
    indexed = _index(history)
    answers = []
    for row in predict:
        logs, used = _pooled_logs(indexed, row.group, row.on, settings)
        hours = [row.estimate_hours * math.exp(q) for q in logs]
        answers.append(EffortQuantiles(row.id, hours[0], hours[1], hours[2], used))
    return answers


def ratio_quantiles(
    history: Iterable[HistoryRow],
    group: str,
    on: date,
    *,
    settings: CalibrationSettings | None = None,
) -> tuple[float, float, float]:
    """actual/estimate at P50, P80 and P95 for work of ``group`` as known on ``on``."""
    settings = settings or CalibrationSettings()
    logs, _ = _pooled_logs(_index(history), group, on, settings)
    return (math.exp(logs[0]), math.exp(logs[1]), math.exp(logs[2]))


def effort_distribution(
    history: Iterable[HistoryRow],
    group: str,
    on: date,
    *,
    kind: EffortKind = EffortKind.LOGNORMAL,
    settings: CalibrationSettings | None = None,
    min_rows: int = MIN_EMPIRICAL_ROWS,
) -> EffortDistribution:
    """The distribution of actual/estimate for work of ``group`` as known on ``on``, for an
    effort phase's ``effort_distribution``.

    ``LOGNORMAL``: the median is the pooled P50 ratio (:func:`ratio_quantiles`) and
    ``sigma`` the least-squares fit of the pooled P80 and P95 log ratios above it
    (``log q - log p50 = sigma * z``, z = 0.8416 and 1.6449), at most ``MAX_SIGMA``.
    ``EMPIRICAL``: the ratios of the most specific level of the group's path with at least
    ``min_rows`` rows finished before ``on`` (its most recent ``max_rows_per_level``); when
    no level has that many, the lognormal (too little history to draw from).

    >>> from datetime import date
    >>> lognormal = effort_distribution([], "Site/design", date(2026, 6, 1))
    >>> lognormal.kind.value, lognormal.median, round(lognormal.sigma, 2)
    ('lognormal', 1.0, 0.63)
    """
    settings = settings or CalibrationSettings()
    indexed = _index(history)
    if kind is EffortKind.EMPIRICAL:
        for level in group_path(group):
            found = indexed.levels.get(level)
            if found is None:
                continue
            end = int(np.searchsorted(found.days, on.toordinal(), side="left"))
            start = max(0, end - settings.max_rows_per_level)
            if end - start >= min_rows:
                ratios = np.exp(found.logs[start:end])
                return EffortDistribution(EffortKind.EMPIRICAL, ratios=tuple(ratios.tolist()))
    elif kind is not EffortKind.LOGNORMAL:
        raise InvalidInput("kind", f"must be lognormal or empirical, got {kind!r}")
    logs, _ = _pooled_logs(indexed, group, on, settings)
    z80, z95 = _Z[1], _Z[2]
    sigma = ((logs[1] - logs[0]) * z80 + (logs[2] - logs[0]) * z95) / (z80 * z80 + z95 * z95)
    return EffortDistribution(
        EffortKind.LOGNORMAL, median=math.exp(logs[0]), sigma=min(MAX_SIGMA, max(0.0, sigma))
    )


def pinball_loss(actual: float, predicted: float, level: float) -> float:
    """The quantile (pinball) loss of ``predicted`` as the ``level`` quantile of ``actual``.

    >>> pinball_loss(10.0, 8.0, 0.8), pinball_loss(10.0, 12.0, 0.8)
    (1.6, 0.4)
    """
    error = actual - predicted
    return round(max(level * error, (level - 1.0) * error), 12)


def _index(history: Iterable[HistoryRow]) -> _History:
    by_level: dict[str, list[tuple[int, float]]] = {}
    for row in history:
        ratio = max(row.actual_hours / row.estimate_hours, RATIO_FLOOR)
        entry = (row.finished_on.toordinal(), math.log(ratio))
        for level in group_path(row.group):
            by_level.setdefault(level, []).append(entry)
    indexed = _History()
    for level, entries in by_level.items():
        entries.sort()
        indexed.levels[level] = _Level(
            np.fromiter((d for d, _ in entries), dtype=np.int64, count=len(entries)),
            np.fromiter((v for _, v in entries), dtype=np.float64, count=len(entries)),
        )
    return indexed


def _pooled_logs(
    history: _History, group: str, on: date, settings: CalibrationSettings
) -> tuple[list[float], tuple[tuple[str, int], ...]]:
    """Log-ratio quantiles for ``group`` on ``on``: the prior, then each level from the
    organisation down to the group, shrunk towards the level above."""
    pooled = [math.log(r) for r in settings.prior_ratios]
    path = group_path(group)
    used: list[tuple[str, int]] = []
    for level in reversed(path):
        strength = settings.organisation_strength if level == "" else settings.group_strength
        found = history.levels.get(level)
        if found is None:
            used.append((level, 0))
            continue
        quantiles, n_eff = _weighted_quantiles(found, on.toordinal(), settings)
        used.append((level, round(n_eff)))
        if n_eff > 0:
            pooled = [
                (n_eff * q + strength * p) / (n_eff + strength)
                for q, p in zip(quantiles, pooled, strict=True)
            ]
    return pooled, tuple(reversed(used))


def _weighted_quantiles(
    level: _Level, on: int, settings: CalibrationSettings
) -> tuple[list[float], float]:
    """The LEVELS quantiles of the level's log ratios finished before day ``on``, weighted
    by recency, and the effective number of rows (0 when none finished before)."""
    end = int(np.searchsorted(level.days, on, side="left"))
    start = max(0, end - settings.max_rows_per_level)
    if end <= start:
        return [0.0, 0.0, 0.0], 0.0
    ages = (on - level.days[start:end]).astype(np.float64)
    weights = np.power(0.5, ages / settings.half_life_days)
    values = level.logs[start:end]
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    total = float(weights.sum())
    positions = (np.cumsum(weights) - 0.5 * weights) / total
    quantiles = [float(np.interp(p, positions, values)) for p in LEVELS]
    n_eff = total * total / float(np.square(weights).sum())
    return quantiles, n_eff
