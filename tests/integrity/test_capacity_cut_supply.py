"""Item 4 for incoming supply: lowering, delaying or deleting a delivery of units that
promises count on lists those promises and needs a confirm (the delete page warns); once
saved they are flagged to their owners and operations at once. Through the admin (HTTP)."""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import pytest
from django.urls import reverse

from promisekeeper.catalog.models import IncomingSupply, Product
from promisekeeper.sales.models import AuditEvent, Notification
from tests.integrity.test_capacity_cut_stock import _kits_promised, admin_ops  # noqa: F401
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    nth_working_day,
    ops_manager,
    sales_rep,
    shop,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplied(shop, sales_rep):
    """10 kits on hand and 20 arriving on day 5; 25 promised for day 8 (they need it)."""
    supply = IncomingSupply.objects.create(
        product=shop.product, date=nth_working_day(5), quantity=20
    )
    deal = _kits_promised(shop, sales_rep, 25, nth_working_day(8), "Twenty-five kits")
    return supply, deal


def _change(client, supply, **fields):
    data = {"date": supply.date.isoformat(), "quantity": supply.quantity, "_save": "Save"}
    return client.post(
        reverse("admin:catalog_incomingsupply_change", args=[supply.pk]), {**data, **fields}
    )


def test_less_supply_under_promised_units_needs_a_confirm_and_changes_nothing(
    client, supplied, admin_ops
):
    supply, _ = supplied
    client.force_login(admin_ops)

    response = _change(client, supply, quantity=10)

    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors["confirm"])
    assert "Twenty-five kits: 5 of 25 missing on" in errors
    assert IncomingSupply.objects.get().quantity == 20
    assert not Notification.objects.exists()


def test_confirmed_later_supply_flags_the_promise_to_its_owner_and_operations(
    client, supplied, admin_ops, sales_rep, ops_manager
):
    supply, deal = supplied
    client.force_login(admin_ops)

    response = _change(client, supply, date=nth_working_day(12).isoformat(), confirm="on")

    assert response.status_code == 302
    assert IncomingSupply.objects.get().date == nth_working_day(12)
    told = set(Notification.objects.filter(deal=deal).values_list("user__username", flat=True))
    assert told == {sales_rep.username, ops_manager.username, admin_ops.username}
    event = AuditEvent.objects.get(action="promise.stock_short", deal=deal)
    assert event.actor == admin_ops and event.payload["short_units"] == 15


def test_deleting_supply_warns_on_the_confirmation_page_and_flags_the_promise(
    client, supplied, admin_ops, sales_rep
):
    supply, deal = supplied
    client.force_login(admin_ops)
    url = reverse("admin:catalog_incomingsupply_delete", args=[supply.pk])

    page = client.get(url)

    assert "Twenty-five kits: 15 of 25 missing" in page.content.decode()
    assert IncomingSupply.objects.exists()
    confirmed = client.post(url, {"post": "yes"})
    assert confirmed.status_code == 302
    assert not IncomingSupply.objects.exists()
    assert Notification.objects.filter(deal=deal, user=sales_rep).exists()
    assert Product.objects.get().stock_on_hand == 10


def test_more_supply_or_supply_no_promise_needs_saves_without_a_confirm(
    client, supplied, admin_ops
):
    supply, _ = supplied
    client.force_login(admin_ops)

    response = _change(client, supply, quantity=30)

    assert response.status_code == 302
    assert IncomingSupply.objects.get().quantity == 30
    assert not Notification.objects.exists()
