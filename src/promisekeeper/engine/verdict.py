"""The verdict on a quote: may the organisation promise, from which day, and why.

:func:`promise_verdict` turns what the engine found out about a new piece of work (its
confidence run, see :func:`~promisekeeper.engine.confidence.confidence`) and about the
stocked products that go with it (each line's first available day, see
:meth:`~promisekeeper.engine.atp.ATP.earliest_day`) into one answer at the organisation's
confidence level: the earliest day it may promise, what sets that day, and whether a
requested day is met. It only compares days; it places nothing.

Examples
--------
>>> from datetime import date
>>> from promisekeeper.engine.confidence import ConfidenceLevel, confidence
>>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
>>> from promisekeeper.engine.schedule import default_order, schedule_in_order
>>> instance = Instance(
...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=90),
...     roles=("developer",),
...     people=(Person("ana", {"developer": 1.0}),),
... )
>>> plan = schedule_in_order(instance, default_order(instance))
>>> new = Project("b", (EffortPhase("build", "developer", 40.0, effort_high=64.0),))
>>> work = confidence(plan, new, samples=200, seed=1)
>>> work.deterministic.finish_day, work.quantile(0.8)
(5, 9)
>>> verdict = promise_verdict(work, ConfidenceLevel.P80, requested_day=4)
>>> verdict.promise_day, verdict.binding.value, verdict.requested_day_met
(8, 'confidence', False)
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from promisekeeper.engine.confidence import ConfidenceAnswer, ConfidenceLevel
from promisekeeper.engine.errors import InvalidInput


class Binding(enum.StrEnum):
    """What sets the promise day or, when there is none, what rules a promise out."""

    NOTHING = "nothing"
    """No work and no products: the promise day is today (day 0)."""
    CAPACITY = "capacity"
    """The work's deterministic finish on the capacity the plan leaves free."""
    CONFIDENCE = "confidence"
    """The finish at the confidence level's quantile, later than the deterministic one."""
    STOCK = "stock"
    """A product's first available day, later than the work (or there is no work)."""
    HORIZON = "horizon"
    """No promise day: the work does not finish inside the planning horizon, either
    deterministically or at the confidence level's quantile."""
    STOCK_SHORT = "stock_short"
    """No promise day: a product does not have enough stock inside the planning horizon."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether and from which day a new piece of work (and its products) may be promised.

    Days are day indices of the plan's calendar and, unlike the engine's exclusive
    ``finish_day`` values, *inclusive*: the last day of work, the day stock is there.

    Attributes
    ----------
    level
        The confidence level the verdict was reached at.
    promise_day
        The earliest day that may be promised; ``None`` when nothing inside the
        horizon may be (see ``binding``).
    binding
        What sets ``promise_day`` or, when it is ``None``, what rules a promise out.
    capacity_day
        The day the work alone allows (step 1 of :func:`promise_verdict`): 0 without
        work, ``None`` when the work does not finish inside the horizon.
    has_work
        Whether there was work to place (a confidence run), not only products.
    stock_days
        Each product line's first available day as given (``None``: short).
    requested_day
        The day asked for, if any.
    """

    level: ConfidenceLevel
    promise_day: int | None
    binding: Binding
    capacity_day: int | None
    has_work: bool
    stock_days: tuple[int | None, ...]
    requested_day: int | None

    @property
    def can_promise(self) -> bool:
        """Whether some day inside the horizon may be promised."""
        return self.promise_day is not None

    @property
    def requested_day_met(self) -> bool | None:
        """Whether ``requested_day`` may be promised; ``None`` when no day was requested."""
        if self.requested_day is None:
            return None
        return self.promise_day is not None and self.requested_day >= self.promise_day

    @property
    def work_fits_horizon(self) -> bool:
        """Whether the work finishes inside the horizon at the confidence level."""
        return self.capacity_day is not None

    @property
    def short_stock(self) -> tuple[int, ...]:
        """Indices of the product lines without enough stock inside the horizon."""
        return tuple(k for k, day in enumerate(self.stock_days) if day is None)

    @property
    def work_late(self) -> bool:
        """Whether the work alone misses the requested day or the horizon: the case in
        which :func:`~promisekeeper.engine.options.options` can say what would help.
        Never true without work."""
        if not self.has_work:
            return False
        if self.capacity_day is None:
            return True
        return self.requested_day is not None and self.requested_day < self.capacity_day


def promise_verdict(
    work: ConfidenceAnswer | None,
    level: ConfidenceLevel,
    *,
    stock_days: Sequence[int | None] = (),
    requested_day: int | None = None,
) -> Verdict:
    """The earliest day the organisation may promise at ``level``, what sets it, and
    whether ``requested_day`` is met.

    The rule:

    1. The work's day (``capacity_day``). Without work (``work is None``, products
       only) it is today, day 0. Otherwise take the deterministic finish
       (``work.deterministic.finish_day``) and the finish at the level's quantile
       (``work.quantile(level.quantile)``), both exclusive; if either lies beyond the
       horizon there is none, else it is the last work day of the later of the two,
       never before today: ``max(0, max(deterministic, quantile) - 1)``.
    2. The promise day starts at the work's day. A product line without a day (not
       enough stock inside the horizon) leaves no promise day; otherwise the promise day
       is the latest of the work's day and every line's day.
    3. The requested day is met when there is a promise day and the requested day is on
       or after it. Any day may be requested, in the past or beyond the horizon.

    ``binding`` names what set the promise day; on a tie the work comes first (capacity
    before confidence before stock). Without a promise day it is ``HORIZON`` when the
    work does not fit the horizon (whatever the stock), else ``STOCK_SHORT``.

    Parameters
    ----------
    work
        The confidence run of the new work on the plan, or ``None`` when there is no
        work to place (only stocked products).
    level
        The organisation's confidence level.
    stock_days
        For each stocked product line, the first day its quantity is available (see
        :meth:`~promisekeeper.engine.atp.ATP.earliest_day`), or ``None`` when it is
        not inside the horizon.
    requested_day
        The day the customer asks for, if any.

    Returns
    -------
    Verdict
        The promise day, what binds it, the work's own day and the inputs it compared.

    Raises
    ------
    InvalidInput
        When a stock day is negative, naming it (``stock_days[k]``).

    Examples
    --------
    Products only: the promise waits for the stock.

    >>> verdict = promise_verdict(None, ConfidenceLevel.P80, stock_days=(3, 0), requested_day=2)
    >>> verdict.promise_day, verdict.binding.value, verdict.requested_day_met
    (3, 'stock', False)
    >>> promise_verdict(None, ConfidenceLevel.P80, stock_days=(3, None)).binding.value
    'stock_short'
    """
    days = tuple(stock_days)
    for k, day in enumerate(days):
        if day is not None and day < 0:
            raise InvalidInput(f"stock_days[{k}]", f"must be a day index >= 0, got {day}")
    capacity_day, binding = _work_day(work, level)
    if capacity_day is None:
        return Verdict(level, None, binding, None, True, days, requested_day)
    if any(day is None for day in days):
        return Verdict(
            level, None, Binding.STOCK_SHORT, capacity_day, work is not None, days, requested_day
        )
    latest_stock = max((day for day in days if day is not None), default=None)
    promise_day = capacity_day
    if latest_stock is not None and (latest_stock > capacity_day or work is None):
        promise_day, binding = max(capacity_day, latest_stock), Binding.STOCK
    return Verdict(level, promise_day, binding, capacity_day, work is not None, days, requested_day)


def _work_day(work: ConfidenceAnswer | None, level: ConfidenceLevel) -> tuple[int | None, Binding]:
    """Step 1 of the rule: the work's last day at ``level`` and whether capacity or the
    confidence margin set it (``HORIZON`` when it does not fit, ``NOTHING`` without work)."""
    if work is None:
        return 0, Binding.NOTHING
    deterministic = work.deterministic.finish_day
    at_level = work.quantile(level.quantile)
    if deterministic is None or at_level is None:
        return None, Binding.HORIZON
    capacity_day = max(0, deterministic - 1)
    confident_day = max(0, at_level - 1)
    if confident_day > capacity_day:
        return confident_day, Binding.CONFIDENCE
    return capacity_day, Binding.CAPACITY


def strongest_level_met(work: ConfidenceAnswer, requested_day: int) -> ConfidenceLevel | None:
    """The highest confidence level at which ``requested_day`` may be promised for ``work``
    (P95, then P80, then P50), or None when not even half the draws finish by then: the
    level a promise on that day honestly has.

    >>> from datetime import date
    >>> from promisekeeper.engine.confidence import confidence
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> from promisekeeper.engine.schedule import schedule
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=60),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ... )
    >>> build = EffortPhase("build", "developer", 40.0, effort_low=30.0, effort_high=80.0)
    >>> new = Project("b", (build,))
    >>> run = confidence(schedule(instance), new, seed=1)
    >>> [strongest_level_met(run, day - 1) for day in (3, run.p50_day, run.p95_day)]
    [None, <ConfidenceLevel.P50: 'P50'>, <ConfidenceLevel.P95: 'P95'>]
    """
    for level in (ConfidenceLevel.P95, ConfidenceLevel.P80, ConfidenceLevel.P50):
        if promise_verdict(work, level, requested_day=requested_day).requested_day_met:
            return level
    return None
