"""Synthetic estimate-vs-actual history with a known truth, and the simple baseline that
calibration must beat.

Each group (``"Offering k/phase j"``) has its own log-normal actual/estimate ratio: medians
around 1.1 and spreads that make the organisation's P80 near 1.4-1.5 and its P95 near 2.5-3,
as in published estimate-vs-actual data. Offerings share part of their phases' bias, so
pooling along the path is worth something; the bias drifts slowly over time, so recency is.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from promisekeeper.engine.calibration import EffortQuantiles, HistoryRow, PredictRow


@dataclass(frozen=True)
class GroupTruth:
    """The true log-ratio distribution of a group: normal(mu + drift·years, sigma)."""

    group: str
    mu: float
    sigma: float
    drift_per_year: float


def history_generate(
    *,
    rows: int,
    offerings: int = 4,
    phases: int = 4,
    start: date = date(2023, 1, 2),
    days: int = 3 * 365,
    seed: int = 0,
) -> tuple[list[HistoryRow], list[GroupTruth]]:
    """``rows`` finished phases spread evenly over ``days`` from ``start`` (sorted by finish),
    and the truth they were drawn from. Group sizes are uneven (some groups are rare)."""
    rng = np.random.default_rng(seed)
    truths = []
    for k in range(offerings):
        offering_bias = rng.normal(0.1, 0.15)
        for j in range(phases):
            truths.append(
                GroupTruth(
                    group=f"Offering {k}/phase {j}",
                    mu=offering_bias + rng.normal(0.0, 0.1),
                    sigma=float(rng.uniform(0.25, 0.75)),
                    drift_per_year=float(rng.normal(0.0, 0.05)),
                )
            )
    popularity = rng.dirichlet(np.full(len(truths), 0.8))
    picks = rng.choice(len(truths), size=rows, p=popularity)
    finished = np.sort(rng.integers(0, days, size=rows))
    history = []
    for n, (g, day) in enumerate(zip(picks, finished, strict=True)):
        truth = truths[int(g)]
        estimate = float(np.round(rng.lognormal(math.log(20.0), 0.8), 1)) + 0.5
        log_ratio = rng.normal(truth.mu + truth.drift_per_year * day / 365.0, truth.sigma)
        history.append(
            HistoryRow(
                id=f"h{n}",
                group=truth.group,
                estimate_hours=estimate,
                actual_hours=round(estimate * math.exp(log_ratio), 2),
                finished_on=start + timedelta(days=int(day)),
            )
        )
    return history, truths


def as_predictions(history: Sequence[HistoryRow]) -> list[PredictRow]:
    """Each history row as a prediction made on the day it finished (a rolling origin)."""
    return [PredictRow(h.id, h.group, h.estimate_hours, h.finished_on) for h in history]


def rolling_multiplier(history: Sequence[HistoryRow], *, window: int = 20) -> list[EffortQuantiles]:
    """The simple rule: each row predicted (P50 = P80 = P95) as its estimate times the mean
    actual/estimate of the last ``window`` rows of its group finished before it (the whole
    organisation's when the group has none; 1.0 before any)."""
    by_group: dict[str, deque[float]] = {}
    recent: deque[float] = deque(maxlen=window)
    ordered = sorted(range(len(history)), key=lambda k: history[k].finished_on)
    pending: list[HistoryRow] = []
    current_day: date | None = None
    result: dict[int, EffortQuantiles] = {}
    for k in ordered:
        row = history[k]
        if row.finished_on != current_day:
            for done in pending:
                ratio = done.actual_hours / done.estimate_hours
                by_group.setdefault(done.group, deque(maxlen=window)).append(ratio)
                recent.append(ratio)
            pending, current_day = [], row.finished_on
        ratios = by_group.get(row.group) or recent
        multiplier = sum(ratios) / len(ratios) if ratios else 1.0
        hours = row.estimate_hours * multiplier
        result[k] = EffortQuantiles(row.id, hours, hours, hours)
        pending.append(row)
    answers = [result[k] for k in range(len(history))]
    return answers
