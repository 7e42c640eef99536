"""Hours as the database stores them: whole minutes, so sums and comparisons are exact on
every database (SQLite keeps decimals as floating point, where 0.46 + 0.46 drifts).

The engine works in float hours; these are the only conversions between the two.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MINUTES_PER_HOUR = 60


def minutes_from_hours(hours: float | Decimal | str) -> int:
    """Hours as whole minutes, rounded half up (``0.46`` h is 27.6 min, stored as 28).

    A float goes through its shortest repr, so ``2.6666666666666665`` h is 160 minutes,
    not 159.

    >>> minutes_from_hours(0.46), minutes_from_hours("7.5"), minutes_from_hours(8 / 3)
    (28, 450, 160)
    """
    exact = Decimal(repr(hours)) if isinstance(hours, float) else Decimal(hours)
    return int((exact * MINUTES_PER_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def hours_from_minutes(minutes: int) -> float:
    """Whole minutes as the engine's float hours."""
    return minutes / MINUTES_PER_HOUR


def hours_display(minutes: int) -> str:
    """Minutes as hours for people, to two decimals: ``"0.47"`` for 28 minutes.

    >>> hours_display(28), hours_display(480)
    ('0.47', '8.00')
    """
    hours = Decimal(minutes) / MINUTES_PER_HOUR
    return f"{hours.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"
