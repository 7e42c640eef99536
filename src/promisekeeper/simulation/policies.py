"""How a simulated firm quotes a date: the policies a simulation compares.

Every policy answers the same question for an arriving order, on the same plan of the
work already promised: the last day it promises to finish on (inclusive, a day index of
the replay). The engine policies ask the engine exactly as the app's quote does
(:func:`promisekeeper.engine.portfolio.portfolio_confidence` and
:func:`promisekeeper.engine.verdict.promise_verdict`); the others are rules of thumb
firms use without it.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from promisekeeper.engine.confidence import ConfidenceLevel
from promisekeeper.engine.model import EffortPhase, Project
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.portfolio import portfolio_confidence
from promisekeeper.engine.promise import earliest_finish
from promisekeeper.engine.verdict import promise_verdict


class Policy(enum.StrEnum):
    """A way of quoting. ``stated`` is the confidence it claims, if it claims one."""

    STANDARD = "standard"
    """The offering's typical duration on an idle firm plus a fixed buffer."""
    POOLED = "pooled"
    """All open hours plus the new ones, divided by the firm's hours per working day."""
    DETERMINISTIC = "deterministic"
    """The engine's plan at the likely efforts, no uncertainty."""
    P50 = "p50"
    P80 = "p80"
    P95 = "p95"
    """The engine at a confidence level, with the portfolio-aware confidence."""

    @property
    def stated(self) -> float | None:
        return _STATED.get(self)

    @property
    def label(self) -> str:
        return _LABELS[self]


_STATED = {Policy.P50: 0.5, Policy.P80: 0.8, Policy.P95: 0.95}
_LABELS = {
    Policy.STANDARD: "standard lead time",
    Policy.POOLED: "pooled hours",
    Policy.DETERMINISTIC: "engine, deterministic",
    Policy.P50: "engine at P50",
    Policy.P80: "engine at P80",
    Policy.P95: "engine at P95",
}
_LEVEL = {
    Policy.P50: ConfidenceLevel.P50,
    Policy.P80: ConfidenceLevel.P80,
    Policy.P95: ConfidenceLevel.P95,
}


@dataclass(frozen=True, slots=True)
class QuoteInputs:
    """What a policy may look at when an order arrives on day ``today``.

    ``plan`` is the plan of the promised work from ``today`` (its day 0), ``project`` the
    new order as the engine sees it, ``open_hours`` the planned remaining hours of all
    promised work, ``daily_hours`` the firm's hours on a working day, ``typical_days``
    the order's duration on an idle firm (calendar days, counting the first).
    """

    today: int
    plan: Plan
    project: Project
    open_hours: float
    daily_hours: float
    typical_days: int
    buffer_days: int
    samples: int
    seed: int


def quote(policy: Policy, inputs: QuoteInputs) -> int:
    """The last day (inclusive, a replay day) ``policy`` promises the order for."""
    plan, horizon = inputs.plan, inputs.plan.instance.calendar.horizon_days
    if policy is Policy.STANDARD:
        return inputs.today + inputs.typical_days - 1 + inputs.buffer_days
    if policy is Policy.POOLED:
        new_hours = sum(p.effort_hours for p in inputs.project.phases if isinstance(p, EffortPhase))
        working = math.ceil((inputs.open_hours + new_hours) / inputs.daily_hours)
        return inputs.today + _calendar_day_of_working_day(plan, max(1, working))
    if policy is Policy.DETERMINISTIC:
        finish = earliest_finish(plan, inputs.project).finish_day
        return inputs.today + (horizon if finish is None else finish) - 1
    work = portfolio_confidence(plan, inputs.project, samples=inputs.samples, seed=inputs.seed)
    day = promise_verdict(work, _LEVEL[policy]).promise_day
    return inputs.today + (horizon - 1 if day is None else day)


def _calendar_day_of_working_day(plan: Plan, count: int) -> int:
    """The day index (from the plan's day 0) of its ``count``-th working day, counting
    day 0 if it is one."""
    calendar = plan.instance.calendar
    seen = 0
    for day in range(calendar.horizon_days):
        if calendar.is_working_day(day):
            seen += 1
            if seen == count:
                return day
    return calendar.horizon_days - 1
