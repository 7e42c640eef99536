"""Hours and whole minutes: the one conversion the bookings and the loads share."""

from __future__ import annotations

import doctest
from decimal import Decimal

import pytest

from promisekeeper.sales import units
from promisekeeper.sales.units import hours_display, hours_from_minutes, minutes_from_hours


@pytest.mark.parametrize(
    ("hours", "minutes"),
    [(0.46, 28), (Decimal("0.46"), 28), ("7.5", 450), (8 / 3, 160), (0.0083, 0), (0.0084, 1)],
)
def test_hours_round_half_up_to_whole_minutes(hours: object, minutes: int) -> None:
    assert minutes_from_hours(hours) == minutes  # type: ignore[arg-type]


def test_a_sum_of_minutes_is_exact_where_a_sum_of_float_hours_drifts() -> None:
    assert sum([0.46] * 30) != 13.8
    assert sum([minutes_from_hours(0.46)] * 30) == 30 * 28
    assert hours_from_minutes(480) == 8.0
    assert hours_display(28) == "0.47"


def test_the_docstring_examples_run() -> None:
    failed, attempted = doctest.testmod(units, report=False)
    assert (failed, attempted > 0) == (0, True)
