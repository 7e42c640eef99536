"""Available to promise (ATP): how much stock can still be promised on each day.

Standard cumulative ATP. Cumulative supply is the stock on hand plus every
incoming delivery up to a day; cumulative demand is every reservation due up to
that day. A new reservation due on day ``d`` lowers the projected balance on
``d`` and every later day, so the quantity still available on ``d`` is the
smallest projected balance from ``d`` to the end of the horizon (never below
zero). Promising at most that much keeps the balance non-negative on every
future day: reserved stock never goes negative.

Days are integer indices (day 0 is today). Incoming supply or reservations
dated before day 0 count on day 0; those on or after ``horizon`` are outside
the window and ignored.

Examples
--------
>>> atp = available_to_promise(5, incoming=[(10, 20)], reserved=[(3, 4), (12, 15)], horizon=30)
>>> atp.available[0], atp.available[10], atp.available[29]
(1, 6, 6)
>>> atp.earliest_day(3)
10
>>> atp.earliest_day(50) is None
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import MAX_HORIZON_DAYS


@dataclass(frozen=True, slots=True)
class ATP:
    """Quantity available to promise by day.

    Attributes
    ----------
    horizon
        Number of days covered.
    available
        ``available[d]``: the most that can be promised for delivery on day ``d``.
    balance
        ``balance[d]``: projected stock at the end of day ``d`` (supply minus demand);
        negative means existing reservations already exceed supply that day.
    """

    horizon: int
    available: tuple[int, ...]
    balance: tuple[int, ...]

    @property
    def short(self) -> bool:
        """True when existing reservations already drive the projected balance below zero."""
        return any(b < 0 for b in self.balance)

    def available_on(self, day: int) -> int:
        """Quantity available for delivery on ``day`` (day 0 for earlier days, 0 beyond)."""
        if day >= self.horizon:
            return 0
        return self.available[max(0, day)]

    def earliest_day(self, quantity: int, *, from_day: int = 0) -> int | None:
        """First day on or after ``from_day`` on which ``quantity`` can be promised, or None."""
        if quantity <= 0:
            raise InvalidInput("quantity", f"must be > 0, got {quantity}")
        for day in range(max(0, from_day), self.horizon):
            if self.available[day] >= quantity:
                return day
        return None


def _bucket(pairs: Iterable[tuple[int, int]], horizon: int, name: str) -> list[int]:
    per_day = [0] * horizon
    for k, pair in enumerate(pairs):
        try:
            day, quantity = pair
        except (TypeError, ValueError):
            raise InvalidInput(f"{name}[{k}]", "must be a (day, quantity) pair") from None
        if isinstance(day, bool) or not isinstance(day, int):
            raise InvalidInput(f"{name}[{k}].day", f"must be an integer, got {day!r}")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise InvalidInput(
                f"{name}[{k}].quantity", f"must be a non-negative integer, got {quantity!r}"
            )
        if day < horizon:
            per_day[max(0, day)] += quantity
    return per_day


def available_to_promise(
    on_hand: int,
    incoming: Iterable[tuple[int, int]] = (),
    reserved: Iterable[tuple[int, int]] = (),
    horizon: int = 365,
) -> ATP:
    """Cumulative ATP over ``horizon`` days.

    Parameters
    ----------
    on_hand
        Stock available today (>= 0).
    incoming
        ``(day, quantity)`` deliveries expected.
    reserved
        ``(day, quantity)`` stock already promised, due on ``day``.
    horizon
        Days to cover, 1 to ``MAX_HORIZON_DAYS``.

    Raises
    ------
    InvalidInput
        Naming the bad argument.

    Examples
    --------
    >>> available_to_promise(10, reserved=[(5, 10)], horizon=7).available
    (0, 0, 0, 0, 0, 0, 0)
    >>> available_to_promise(10, incoming=[(6, 4)], reserved=[(5, 10)], horizon=7).available
    (0, 0, 0, 0, 0, 0, 4)
    """
    if isinstance(on_hand, bool) or not isinstance(on_hand, int) or on_hand < 0:
        raise InvalidInput("on_hand", f"must be a non-negative integer, got {on_hand!r}")
    if isinstance(horizon, bool) or not isinstance(horizon, int):
        raise InvalidInput("horizon", f"must be an integer, got {horizon!r}")
    if not 1 <= horizon <= MAX_HORIZON_DAYS:
        raise InvalidInput("horizon", f"must be between 1 and {MAX_HORIZON_DAYS}, got {horizon}")
    supply = _bucket(incoming, horizon, "incoming")
    demand = _bucket(reserved, horizon, "reserved")
    balance: list[int] = []
    running = on_hand
    for day in range(horizon):
        running += supply[day] - demand[day]
        balance.append(running)
    available = [0] * horizon
    lowest = balance[-1]
    for day in range(horizon - 1, -1, -1):
        lowest = min(lowest, balance[day])
        available[day] = max(0, lowest)
    return ATP(horizon, tuple(available), tuple(balance))
