"""Available to promise: cumulative ATP never lets reserved stock go negative in the future."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promisekeeper.engine.atp import available_to_promise
from promisekeeper.engine.errors import InvalidInput


def test_on_hand_only_is_available_every_day():
    atp = available_to_promise(7, horizon=5)
    assert atp.available == (7, 7, 7, 7, 7)
    assert atp.earliest_day(7) == 0
    assert atp.earliest_day(8) is None


def test_future_reservation_limits_what_can_be_promised_today():
    atp = available_to_promise(10, reserved=[(5, 8)], horizon=10)
    assert atp.available_on(0) == 2
    assert atp.available_on(9) == 2


def test_incoming_supply_makes_more_available_from_its_day():
    atp = available_to_promise(2, incoming=[(4, 10)], horizon=10)
    assert atp.available_on(3) == 2
    assert atp.available_on(4) == 12
    assert atp.earliest_day(5) == 4


def test_reservation_before_incoming_supply_is_covered_by_on_hand_only():
    atp = available_to_promise(5, incoming=[(10, 20)], reserved=[(3, 4), (12, 15)], horizon=30)
    assert atp.available[:10] == (1,) * 10
    assert atp.available[10:] == (6,) * 20


def test_over_reserved_stock_is_reported_short_and_nothing_is_available():
    atp = available_to_promise(3, reserved=[(2, 5)], horizon=4)
    assert atp.short
    assert atp.available == (0, 0, 0, 0)


def test_days_before_today_count_today_and_beyond_horizon_are_ignored():
    atp = available_to_promise(0, incoming=[(-3, 4), (50, 9)], horizon=10)
    assert atp.available == (4,) * 10


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"on_hand": -1}, "on_hand"),
        ({"on_hand": 1, "horizon": 0}, "horizon"),
        ({"on_hand": 1, "incoming": [(1, -2)]}, "incoming[0].quantity"),
        ({"on_hand": 1, "reserved": [("x", 2)]}, "reserved[0].day"),
        ({"on_hand": 1, "reserved": [(1,)]}, "reserved[0]"),
    ],
)
def test_invalid_input_names_the_field(kwargs, field):
    with pytest.raises(InvalidInput) as error:
        available_to_promise(**kwargs)
    assert error.value.field == field


def test_earliest_day_rejects_non_positive_quantity():
    with pytest.raises(InvalidInput, match="quantity"):
        available_to_promise(1, horizon=3).earliest_day(0)


pairs = st.lists(st.tuples(st.integers(0, 29), st.integers(0, 20)), max_size=8)


@given(on_hand=st.integers(0, 50), incoming=pairs, reserved=pairs, day=st.integers(0, 29))
def test_promising_the_available_quantity_never_drives_the_balance_negative(
    on_hand, incoming, reserved, day
):
    atp = available_to_promise(on_hand, incoming, reserved, horizon=30)
    quantity = atp.available[day]
    after = available_to_promise(on_hand, incoming, [*reserved, (day, quantity)], horizon=30)
    if not atp.short:
        assert min(after.balance) >= 0
    assert list(atp.available) == sorted(atp.available)
