"""Stock set below what is promised (in the admin): the save lists the promises whose units are
no longer there and needs an explicit confirm; once confirmed they are flagged to their owners
and operations at once. Through the admin (HTTP), asserting the database afterwards."""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from promisekeeper.catalog.models import IncomingSupply, Product
from promisekeeper.promising.capacity_stock import StockCutNotConfirmed, product_stock_set
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import AuditEvent, Deal, Notification
from tests.factories import UserFactory
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    nth_working_day,
    ops_manager,
    other_rep,
    sales_rep,
    shop,
)

pytestmark = pytest.mark.django_db


def _kits_promised(shop, user, quantity, date, name):
    deal = Deal.objects.create(customer=shop.customer, name=name, owner=user)
    lines = [QuoteLine(quantity=quantity, product_id=shop.product.pk)]
    result = promise_commit(
        user=user,
        deal=deal,
        lines=lines,
        promised_date=date,
        idempotency_key=f"kits-{name}",
        request_fingerprint=commit_fingerprint(
            deal_id=deal.pk, lines=lines, promised_date=date, exception_id=None
        ),
    )
    assert result.status == "committed"
    return deal


@pytest.fixture
def admin_ops(groups):
    user = UserFactory(username="stock-admin", is_staff=True, is_superuser=True)
    user.groups.add(groups["operations"])
    return user


def _save_stock(client, product, stock, **extra):
    return client.post(
        reverse("admin:catalog_product_change", args=[product.pk]),
        {"sku": product.sku, "name": product.name, "stock_on_hand": stock, **extra},
    )


def test_setting_stock_below_the_promised_units_needs_a_confirm_and_changes_nothing(
    client, shop, sales_rep, admin_ops
):
    _kits_promised(shop, sales_rep, 8, nth_working_day(5), "Eight kits")
    client.force_login(admin_ops)
    response = _save_stock(client, shop.product, 0)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Eight kits" in page and "confirm" in page.lower()
    assert Product.objects.get().stock_on_hand == 10
    assert not Notification.objects.exists()


def test_confirmed_stock_cut_flags_the_short_promises_to_owner_and_operations(
    client, shop, sales_rep, other_rep, ops_manager, admin_ops
):
    # Stock 10: 4 promised first, 6 later. Down to 5: the first still has its units.
    kept = _kits_promised(shop, sales_rep, 4, nth_working_day(3), "Four kits")
    short = _kits_promised(shop, other_rep, 6, nth_working_day(8), "Six kits")
    client.force_login(admin_ops)
    response = _save_stock(client, shop.product, 5, confirm="on")
    assert response.status_code == 302
    assert Product.objects.get().stock_on_hand == 5
    assert not AuditEvent.objects.filter(action="promise.stock_short", deal=kept).exists()
    event = AuditEvent.objects.get(action="promise.stock_short", deal=short)
    assert event.actor == admin_ops and event.payload["short_units"] == 5
    told = {n.user for n in Notification.objects.filter(deal=short)}
    assert told == {other_rep, ops_manager, admin_ops}
    assert not Notification.objects.filter(deal=kept).exists()


def test_stock_cut_covered_by_incoming_supply_by_the_promised_date_saves_without_a_confirm(
    client, shop, sales_rep, admin_ops
):
    _kits_promised(shop, sales_rep, 8, nth_working_day(10), "Eight kits")
    IncomingSupply.objects.create(product=shop.product, date=nth_working_day(4), quantity=8)
    client.force_login(admin_ops)
    assert _save_stock(client, shop.product, 0).status_code == 302
    assert Product.objects.get().stock_on_hand == 0
    assert not Notification.objects.exists()


def test_the_stock_service_refuses_an_unconfirmed_cut_and_a_seller(shop, sales_rep, ops_manager):
    _kits_promised(shop, sales_rep, 8, nth_working_day(5), "Eight kits")
    with pytest.raises(StockCutNotConfirmed) as refused:
        product_stock_set(user=ops_manager, product=shop.product, stock_on_hand=0)
    assert [s.deal_name for s in refused.value.short] == ["Eight kits"]
    with pytest.raises(PermissionDenied):
        product_stock_set(user=sales_rep, product=shop.product, stock_on_hand=20, confirmed=True)
    assert Product.objects.get().stock_on_hand == 10
