"""What a replay is scored on, and the queueing theory the one-person queue is held to.

A policy is scored on the promises made after the scenario's warm-up: the share kept
(delivered on or before the promised day; one never delivered counts as not kept), the
mean quoted lead time, and the firm's utilisation. :func:`queue_theory` gives, for the
M/M/1 queue, the mean quoted lead time of the best possible quote (the ``alpha``
quantile of the time to clear the jobs in the system and the new one) and of the best
constant lead time; both keep exactly ``alpha`` of their promises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from promisekeeper.simulation.policies import Policy
from promisekeeper.simulation.replays import RunResult


@dataclass(frozen=True, slots=True)
class PolicyScore:
    """One policy's scores on one replay (promises after the warm-up)."""

    scenario: str
    policy: Policy
    stated: float | None
    promises: int
    kept_share: float
    mean_quoted_days: float
    mean_actual_days: float
    utilisation: float

    def as_dict(self) -> dict[str, object]:
        return {
            "scenario": self.scenario,
            "policy": self.policy.value,
            "label": self.policy.label,
            "stated": self.stated,
            "promises": self.promises,
            "kept_share": round(self.kept_share, 4),
            "mean_quoted_days": round(self.mean_quoted_days, 2),
            "mean_actual_days": round(self.mean_actual_days, 2),
            "utilisation": round(self.utilisation, 4),
        }


def score(result: RunResult) -> PolicyScore:
    """The scores of ``result``'s promises made from the warm-up to the last arrival day."""
    scored = [p for p in result.promises if result.warmup_days <= p.arrival_day < result.days]
    delivered = [p for p in scored if p.finish_day is not None]
    n = len(scored)
    return PolicyScore(
        scenario=result.scenario,
        policy=result.policy,
        stated=result.policy.stated,
        promises=n,
        kept_share=sum(p.kept for p in scored) / n if n else 0.0,
        mean_quoted_days=sum(p.quoted_days for p in scored) / n if n else 0.0,
        mean_actual_days=(
            sum(p.finish_day - p.arrival_day + 1 for p in delivered if p.finish_day is not None)
            / len(delivered)
            if delivered
            else 0.0
        ),
        utilisation=result.utilisation,
    )


@dataclass(frozen=True, slots=True)
class QueueTheory:
    """Mean quoted lead times of the M/M/1 queue, in units of the mean job."""

    rho: float
    alpha: float
    optimal: float
    constant: float


def queue_theory(rho: float, alpha: float) -> QueueTheory:
    """The best quote's and the best constant quote's mean lead time at utilisation
    ``rho`` and confidence ``alpha``, in mean job durations.

    A customer who finds ``n`` jobs in the system (probability ``(1 - rho) rho^n``) waits
    for ``n + 1`` exponential jobs: Erlang(``n + 1``, 1), whose ``alpha`` quantile is the
    best quote. The time in system is exponential with rate ``1 - rho``, so the best
    constant is ``-ln(1 - alpha) / (1 - rho)``.

    >>> t = queue_theory(0.8, 0.8)
    >>> round(t.optimal, 2), round(t.constant, 2)
    (6.55, 8.05)
    """
    if not (0 < rho < 1 and 0 < alpha < 1):
        raise ValueError("rho and alpha must be between 0 and 1")
    optimal, weight, n = 0.0, 1.0 - rho, 0
    while weight > 1e-12:
        optimal += weight * erlang_quantile(n + 1, alpha)
        weight *= rho
        n += 1
    return QueueTheory(rho, alpha, optimal, -math.log(1.0 - alpha) / (1.0 - rho))


def erlang_quantile(shape: int, q: float) -> float:
    """The ``q`` quantile of the sum of ``shape`` unit exponentials (by bisection)."""
    low, high = 0.0, float(shape) + 20.0 * math.sqrt(shape) + 20.0
    for _ in range(100):
        mid = (low + high) / 2
        if _erlang_cdf(shape, mid) < q:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _erlang_cdf(shape: int, x: float) -> float:
    term, total = 1.0, 1.0
    for k in range(1, shape):
        term *= x / k
        total += term
    return 1.0 - math.exp(-x) * total
