"""How much effort a phase will really take, and how much is left of a phase under way.

An effort phase's total effort is uncertain. By default it follows the bounded triangular
(or beta-PERT) distribution over ``(effort_low, effort_hours, effort_high)``, the SOP's
low/likely/high. An :class:`EffortDistribution` on the phase says otherwise: a lognormal
(a long right tail, the shape of published estimate-vs-actual data) or the empirical
actual/estimate ratios of similar finished work
(:func:`promisekeeper.engine.calibration.effort_distribution` fits either from history).
Lognormal and empirical parameters are *ratios* of the total to ``effort_hours``, so they
keep their meaning when the estimate changes (a different quantity).

A phase under way carries ``spent_hours``. What is left of it is the total effort
*given that it is at least what has been spent*, minus the spent hours, and never less
than :func:`minimum_remaining` while the phase is not done: a phase at 120 % of its
estimate is not almost done, unless its distribution says the work cannot take much
longer (a bounded triangular ends at ``effort_high``).

Formulas, with ``T`` the total as a ratio of the estimate ``e``, ``F`` its distribution
function, ``S = 1 - F`` and ``x = spent / e``:

* **Deterministic remaining** (what the planner places): the conditional quantile of the
  total at the level the estimate itself has, ``q = F(1)``, minus the spent hours:
  ``e * S⁻¹(S(x) * (1 - q)) - spent``. With nothing spent it is the estimate; for a
  lognormal centred on the estimate (median ratio 1) it is the conditional median. Once the
  spent hours pass all the distribution allows (``S(x) = 0``) it is the minimum.
* **Sampled remaining** (``confidence``): ``T = S⁻¹(S(x) * U)`` with ``U`` uniform on
  (0, 1], i.e. an exact draw from the distribution truncated below at ``x``; empirical
  ratios are bootstrapped from those at least ``x``. With :data:`TAIL_ROWS` ratios or
  more, an empirical distribution's largest 5 % make an exponential tail (their mean
  excess), so a phase that has run past its whole history still has work left.

Approximations: the beta-PERT distribution function is tabulated on a grid of
``PERT_GRID`` points and interpolated; the normal quantile uses Acklam's rational
approximation (relative error below 1.2e-9).

Examples
--------
>>> build = EffortDistribution(EffortKind.LOGNORMAL, median=1.0, sigma=0.5)
>>> round(remaining_effort(40.0, 0.0, distribution=build), 1)  # not started: the estimate
40.0
>>> round(remaining_effort(40.0, 48.0, distribution=build), 1)  # 120 % spent: far from done
15.4
>>> round(remaining_effort(40.0, 48.0, low=32.0, high=60.0), 1)  # the triangular ends at 60
2.0
"""

from __future__ import annotations

import abc
import enum
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from promisekeeper.engine.errors import InvalidInput

MIN_REMAINING_HOURS = 1.0
"""A phase under way that is not done has at least this many hours left..."""

MIN_REMAINING_SHARE = 0.05
"""...or this share of its estimate, whichever is more."""

PERT_GRID = 2049
"""Points on which the beta-PERT distribution function is tabulated."""

MAX_SIGMA = 3.0
"""The widest lognormal accepted (log-ratio standard deviation)."""

_EPS = 1e-9
_TINY = 1e-12


class EffortKind(enum.StrEnum):
    """The shape of a phase's total effort."""

    TRIANGULAR = "triangular"
    PERT = "pert"
    LOGNORMAL = "lognormal"
    EMPIRICAL = "empirical"


@dataclass(frozen=True, slots=True)
class EffortDistribution:
    """The distribution of a phase's total effort.

    ``TRIANGULAR`` and ``PERT`` take their bounds from the phase (``effort_low``,
    ``effort_hours``, ``effort_high``) and no parameters here. ``LOGNORMAL``: the total is
    ``effort_hours × exp(N(log median, sigma²))``. ``EMPIRICAL``: the total is
    ``effort_hours × r`` for a ratio ``r`` drawn from ``ratios`` (past actual/estimate).

    Examples
    --------
    >>> EffortDistribution(EffortKind.EMPIRICAL, ratios=(0.9, 1.1, 1.6)).kind.value
    'empirical'
    """

    kind: EffortKind
    median: float = 1.0
    sigma: float = 0.0
    ratios: tuple[float, ...] = ()


def validate_distribution(distribution: EffortDistribution, where: str) -> None:
    """Raise :class:`InvalidInput` naming the first bad parameter (``where.sigma``, ...)."""
    kind = distribution.kind
    if not isinstance(kind, EffortKind):
        allowed = ", ".join(k.value for k in EffortKind)
        raise InvalidInput(f"{where}.kind", f"must be one of {allowed}, got {kind!r}")
    lognormal, empirical = kind is EffortKind.LOGNORMAL, kind is EffortKind.EMPIRICAL
    if not lognormal and (distribution.median != 1.0 or distribution.sigma != 0.0):
        field = "median" if distribution.median != 1.0 else "sigma"
        raise InvalidInput(f"{where}.{field}", f"applies to a lognormal only, not {kind.value}")
    if not empirical and distribution.ratios:
        raise InvalidInput(f"{where}.ratios", f"applies to empirical only, not {kind.value}")
    if lognormal:
        if not (math.isfinite(distribution.median) and distribution.median > 0):
            raise InvalidInput(f"{where}.median", f"must be above 0, got {distribution.median}")
        if not 0 <= distribution.sigma <= MAX_SIGMA:
            raise InvalidInput(
                f"{where}.sigma", f"must be between 0 and {MAX_SIGMA}, got {distribution.sigma}"
            )
    if empirical:
        if not distribution.ratios:
            raise InvalidInput(f"{where}.ratios", "must hold at least one ratio")
        for k, ratio in enumerate(distribution.ratios):
            if not (math.isfinite(ratio) and ratio > 0):
                raise InvalidInput(f"{where}.ratios[{k}]", f"must be above 0, got {ratio}")


def minimum_remaining(effort_hours: float) -> float:
    """The least a phase under way has left: ``max(MIN_REMAINING_HOURS,
    MIN_REMAINING_SHARE × effort_hours)``."""
    return max(MIN_REMAINING_HOURS, MIN_REMAINING_SHARE * effort_hours)


def remaining_effort(
    effort_hours: float,
    spent_hours: float,
    *,
    low: float | None = None,
    high: float | None = None,
    distribution: EffortDistribution | None = None,
) -> float:
    """The effort the planner places for a phase of ``effort_hours`` (its estimate) with
    ``spent_hours`` worked: the estimate when nothing is spent, else the conditional
    quantile at the estimate's level minus the spent hours, at least the minimum.

    ``low`` and ``high`` are the triangular bounds (``None``: the estimate). The rule is
    in the module's docstring.
    """
    if spent_hours <= 0:
        return float(effort_hours)
    return _remaining(
        float(effort_hours),
        float(spent_hours),
        None if low is None else float(low),
        None if high is None else float(high),
        distribution,
    )


@lru_cache(maxsize=4096)
def _remaining(
    effort: float,
    spent: float,
    low: float | None,
    high: float | None,
    distribution: EffortDistribution | None,
) -> float:
    floor = minimum_remaining(effort)
    if effort <= _EPS:
        return floor
    law = ratio_law(effort, low, high, distribution, EffortKind.TRIANGULAR)
    x = spent / effort
    left = law.survival(x)
    if left <= _TINY:
        return floor
    total = effort * law.quantile_above(x, left * law.survival_at_estimate())
    return max(floor, total - spent)


def sample_remaining(
    effort_hours: float,
    spent_hours: float,
    n: int,
    rng: np.random.Generator,
    *,
    low: float | None = None,
    high: float | None = None,
    distribution: EffortDistribution | None = None,
    default: EffortKind = EffortKind.TRIANGULAR,
) -> np.ndarray:
    """``n`` draws of the effort still to do of a phase with ``spent_hours`` worked: the
    total drawn given it is at least the spent hours, minus them, at least the minimum
    (with nothing spent: draws of the total, by inverse transform).

    ``default`` is the shape used when ``distribution`` is ``None`` (triangular or PERT
    over ``low``, ``effort_hours``, ``high``).
    """
    floor = minimum_remaining(effort_hours) if spent_hours > 0 else 0.0
    if effort_hours <= _EPS:
        return np.full(n, floor)
    law = ratio_law(effort_hours, low, high, distribution, default)
    x = spent_hours / effort_hours
    left = law.survival(x)
    if left <= _TINY:
        return np.full(n, floor)
    totals = effort_hours * law.sample_above(x, left, n, rng)
    return np.maximum(floor, totals - spent_hours)


# --------------------------------------------------------------------------- laws


class RatioLaw(abc.ABC):
    """The distribution of total effort / estimate: what the rules above need of it.

    ``survival(x)`` is ``P(T >= x)``; ``quantile_above(x, v)`` the total whose survival is
    ``v`` (at most ``survival(x)``) among totals of at least ``x``; ``sample_above(x,
    left, n, rng)`` draws ``n`` totals of at least ``x`` (``left = survival(x)``).
    """

    @abc.abstractmethod
    def survival(self, x: float) -> float: ...

    @abc.abstractmethod
    def quantile_above(self, x: float, v: float) -> float: ...

    @abc.abstractmethod
    def sample_above(
        self, x: float, left: float, n: int, rng: np.random.Generator
    ) -> np.ndarray: ...

    def survival_at_estimate(self) -> float:
        return self.survival(1.0)


class _ByInverse(RatioLaw):
    """A law with an inverse survival function: exact truncated draws by inversion."""

    @abc.abstractmethod
    def inverse_survival(self, v: np.ndarray) -> np.ndarray: ...

    def quantile_above(self, x: float, v: float) -> float:
        return max(x, float(self.inverse_survival(np.array([v]))[0]))

    def sample_above(self, x: float, left: float, n: int, rng: np.random.Generator) -> np.ndarray:
        v = left * (1.0 - rng.random(n))  # in (0, left]
        return np.maximum(x, self.inverse_survival(v))


@dataclass(frozen=True)
class _Point(_ByInverse):
    """No uncertainty: the total is ``at`` times the estimate."""

    at: float

    def survival(self, x: float) -> float:
        return 1.0 if x <= self.at + _EPS else 0.0

    def survival_at_estimate(self) -> float:
        return 0.0  # the estimate is the total: keep to it

    def inverse_survival(self, v: np.ndarray) -> np.ndarray:
        return np.full(len(v), self.at)


@dataclass(frozen=True)
class _Triangular(_ByInverse):
    low: float
    mode: float
    high: float

    def survival(self, x: float) -> float:
        a, c, b = self.low, self.mode, self.high
        if x <= a:
            return 1.0
        if x >= b:
            return 0.0
        if x <= c:
            return 1.0 - (x - a) ** 2 / ((b - a) * (c - a))
        return (b - x) ** 2 / ((b - a) * (b - c))

    def inverse_survival(self, v: np.ndarray) -> np.ndarray:
        a, c, b = self.low, self.mode, self.high
        upper = (b - c) / (b - a)  # survival at the mode
        above = b - np.sqrt(np.clip(v, 0.0, None) * (b - a) * (b - c))
        below = a + np.sqrt(np.clip(1.0 - v, 0.0, None) * (b - a) * (c - a))
        return np.where(v <= upper, above, below)


class _Pert(_ByInverse):
    """Beta-PERT (weight 4 on the mode) on ``[low, high]``, tabulated."""

    def __init__(self, low: float, mode: float, high: float) -> None:
        self.low, self.high = low, high
        alpha = 1 + 4 * (mode - low) / (high - low)
        beta = 1 + 4 * (high - mode) / (high - low)
        t = np.linspace(0.0, 1.0, PERT_GRID)
        density = t ** (alpha - 1) * (1.0 - t) ** (beta - 1)
        # survival by the trapezoid rule from the top, so the upper tail keeps its precision
        steps = (density[1:] + density[:-1]) * 0.5 * (t[1] - t[0])
        tail = np.concatenate((np.cumsum(steps[::-1])[::-1], [0.0]))
        self.t, self.tail = t, tail / tail[0]

    def survival(self, x: float) -> float:
        if x <= self.low:
            return 1.0
        if x >= self.high:
            return 0.0
        at = (x - self.low) / (self.high - self.low)
        return float(np.interp(at, self.t, self.tail))

    def inverse_survival(self, v: np.ndarray) -> np.ndarray:
        # tail decreases along t: interpolate on the reversed arrays
        at = np.interp(v, self.tail[::-1], self.t[::-1])
        return self.low + (self.high - self.low) * at


@dataclass(frozen=True)
class _LogNormal(_ByInverse):
    median: float
    sigma: float

    def survival(self, x: float) -> float:
        if x <= 0:
            return 1.0
        z = (math.log(x) - math.log(self.median)) / self.sigma
        return 0.5 * math.erfc(z / math.sqrt(2.0))

    def inverse_survival(self, v: np.ndarray) -> np.ndarray:
        return self.median * np.exp(-self.sigma * normal_quantile(v))


@dataclass(frozen=True)
class _Empirical(RatioLaw):
    """The ratios themselves (bootstrap), sorted, with an exponential tail beyond the
    largest ones when there are enough (:data:`TAIL_ROWS`).

    Past the threshold ``u`` (the :func:`tail_size`-th largest ratio) the total is ``u``
    plus an exponential excess whose mean is the mean excess of the ratios above ``u``.
    Without it a phase that has run past every ratio in its history would be taken as
    all but done (the minimum left), while work that has overrun that far usually has
    a long way to go (for exponential efforts, as long as a fresh start).
    """

    values: tuple[float, ...]

    @cached_property
    def _tail(self) -> tuple[float, float, float] | None:
        """``(u, survival at u, mean excess)``, or ``None`` without a tail."""
        k = tail_size(len(self.values))
        if k == 0:
            return None
        top = np.asarray(self.values[-k:])
        threshold = float(top[0])
        excess = float((top - threshold).mean())
        if excess <= _EPS:
            return None
        return threshold, k / len(self.values), excess

    def survival(self, x: float) -> float:
        tail = self._tail
        if tail is not None and x > tail[0]:
            threshold, at, excess = tail
            return at * math.exp(-(x - threshold) / excess)
        below = int(np.searchsorted(self.values, x - _EPS, side="left"))
        return (len(self.values) - below) / len(self.values)

    def survival_at_estimate(self) -> float:
        return self.survival(1.0 + 2 * _EPS)  # a ratio of exactly 1 is at the estimate

    def _above(self, x: float) -> np.ndarray:
        return np.asarray(self.values[int(np.searchsorted(self.values, x - _EPS)) :])

    def quantile_above(self, x: float, v: float) -> float:
        tail = self._tail
        if tail is not None and x > tail[0]:
            threshold, at, excess = tail
            return max(x, threshold + excess * math.log(at / v))
        above = self._above(x)
        share = 1.0 - v / self.survival(x)  # the level among the ratios of at least x
        rank = min(len(above), max(1, math.ceil(share * len(above) - _EPS)))
        return max(x, float(above[rank - 1]))

    def sample_above(self, x: float, left: float, n: int, rng: np.random.Generator) -> np.ndarray:
        tail = self._tail
        if tail is not None and x > tail[0]:
            return x + rng.exponential(tail[2], n)  # the exponential tail has no memory
        return rng.choice(self._above(x), n)


TAIL_ROWS = 40
"""The fewest ratios an empirical distribution extends with an exponential tail."""


def tail_size(rows: int) -> int:
    """How many of the largest of ``rows`` ratios make the empirical tail (0: none): 5 %,
    at least 10.

    >>> tail_size(39), tail_size(40), tail_size(1000)
    (0, 10, 50)
    """
    return 0 if rows < TAIL_ROWS else max(10, math.ceil(0.05 * rows))


def ratio_law(
    effort_hours: float,
    low: float | None,
    high: float | None,
    distribution: EffortDistribution | None,
    default: EffortKind,
) -> RatioLaw:
    """The law of total / ``effort_hours`` (above 0) for a phase's effort fields."""
    kind = default if distribution is None else distribution.kind
    if kind is EffortKind.LOGNORMAL:
        assert distribution is not None
        if distribution.sigma <= _EPS:
            return _Point(distribution.median)
        return _LogNormal(distribution.median, distribution.sigma)
    if kind is EffortKind.EMPIRICAL:
        assert distribution is not None
        values = tuple(sorted(distribution.ratios))
        return _Point(values[0]) if values[-1] - values[0] <= _EPS else _Empirical(values)
    a = 1.0 if low is None else low / effort_hours
    b = 1.0 if high is None else high / effort_hours
    if b - a <= _EPS:
        return _Point(1.0)
    if kind is EffortKind.PERT:
        return _Pert(a, 1.0, b)
    return _Triangular(a, 1.0, b)


# Acklam's rational approximation of the standard normal quantile.
_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


def _poly(coefficients: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    out = np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        out = out * x + c
    return out


def normal_quantile(p: np.ndarray) -> np.ndarray:
    """The standard normal quantile of each ``p`` in (0, 1), vectorised (Acklam).

    >>> [round(float(z), 4) for z in normal_quantile(np.array([0.025, 0.5, 0.8]))]
    [-1.96, 0.0, 0.8416]
    """
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-300, 1.0 - 1e-16)
    out = np.empty_like(p)
    low, high = p < _P_LOW, p > 1.0 - _P_LOW
    mid = ~(low | high)
    q = p[mid] - 0.5
    r = q * q
    out[mid] = _poly(_A, r) * q / (_poly(_B, r) * r + 1.0)
    for side, sign, tail in ((low, 1.0, p[low]), (high, -1.0, 1.0 - p[high])):
        s = np.sqrt(-2.0 * np.log(tail))
        out[side] = sign * _poly(_C, s) / (_poly(_D, s) * s + 1.0)
    return out
