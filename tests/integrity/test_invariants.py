"""The independent checker can fail: each invariant it checks, broken behind the
application's back (raw SQL), is reported by name; a state the application made is clean."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from promisekeeper.catalog.models import StockReservation
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import Deal, DealLine, ProductAvailability
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import deal_for, nth_working_day
from tests.sales.test_services import commit, one_site

pytestmark = pytest.mark.django_db

BREAKS = {
    "load is not the sum of its reservations": [
        "UPDATE sales_persondayload SET reserved_minutes = reserved_minutes - 1",
    ],
    "booked person-day without a load": ["DELETE FROM sales_persondayload"],
    "regular minutes over the contract": [
        "UPDATE people_person SET hours_mon = 4, hours_tue = 4, hours_wed = 4, hours_thu = 4, "
        "hours_fri = 4",
    ],
    "overtime over the approved share": [
        "UPDATE sales_capacityreservation SET overtime_minutes = 60",
        "UPDATE sales_persondayload SET overtime_minutes = 60, overtime_allowed_minutes = 60",
    ],
    "won deal's work without reserved hours": [
        "DELETE FROM sales_capacityreservation",
        "UPDATE sales_persondayload SET reserved_minutes = 0",
    ],
    "promised deal neither won nor lost": ["UPDATE sales_deal SET stage = 'proposal'"],
    "cancelled deal still holds": ["UPDATE sales_deal SET stage = 'lost'"],
    "hours not held by the deal's latest promise": [
        "UPDATE delivery_project SET status = 'cancelled'",
    ],
    "units due over stock and supply by then": ["UPDATE catalog_product SET stock_on_hand = 0"],
    "promised units not the sum of reservations": [
        "UPDATE sales_productavailability SET supply_quantity = 99, reserved_quantity = 5",
    ],
    "won deal short of its promised units": ["UPDATE sales_dealline SET quantity = 3"],
}


class _Undo(Exception):
    """Rolls a broken state back."""


@pytest.fixture
def promised(shop, sales_rep) -> Deal:
    """A week of the developer's work, promised."""
    deal = deal_for(shop, sales_rep)
    assert commit(sales_rep, deal, one_site(shop), nth_working_day(5)).status == "committed"
    return deal


@pytest.fixture
def units_promised(shop, sales_rep) -> Deal:
    """Two router kits of the ten on hand, promised."""
    deal = Deal.objects.create(customer=shop.customer, name="kits", owner=sales_rep)
    lines = [QuoteLine(quantity=2, product_id=shop.product.pk)]
    DealLine.objects.create(deal=deal, product=shop.product, quantity=2)
    assert commit(sales_rep, deal, lines, nth_working_day(3), key="kits").status == "committed"
    return deal


def test_what_the_application_books_breaks_no_invariant(promised, units_promised):
    assert StockReservation.objects.filter(deal=units_promised).count() == 1
    assert ProductAvailability.objects.get().reserved_quantity == 2
    assert capacity_violations(connection) == []


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_each_broken_invariant_is_reported_by_name(promised, units_promised, name):
    with pytest.raises(_Undo), transaction.atomic():
        with connection.cursor() as cursor:
            for sql in BREAKS[name]:
                cursor.execute(sql)
        found = {violation.split(":")[0] for violation in capacity_violations(connection)}
        assert name in found
        raise _Undo
    assert capacity_violations(connection) == []
