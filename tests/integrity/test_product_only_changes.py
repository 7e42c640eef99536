"""Promises of stock products only (no work): cancelled and re-dated like any other, their
units released or moved to the new date and checked there. Through the API and the services,
asserting the database afterwards."""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from promisekeeper.api.services import api_token_create
from promisekeeper.catalog.models import IncomingSupply, StockReservation
from promisekeeper.promising.changes import promise_cancel, promise_reschedule
from promisekeeper.promising.stock import product_atp
from promisekeeper.sales.models import AuditEvent, Deal, ProductAvailability, Promise
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    nth_working_day,
    other_rep,
    sales_rep,
    shop,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, sales_rep):
    _, key = api_token_create(user=sales_rep)

    def post(url, body, **headers):
        return client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}", **headers},
        )

    return post


def _kits_promised(api, shop, quantity, date, name="Kits only"):
    deal = Deal.objects.create(customer=shop.customer, name=name, owner=None)
    body = {
        "deal_id": deal.pk,
        "lines": [{"product_id": shop.product.pk, "quantity": quantity}],
        "promised_date": str(date),
    }
    response = api("/api/commits", body, **{"Idempotency-Key": f"commit-{deal.pk}"})
    assert response.status_code == 201, response.content
    return Deal.objects.get(pk=deal.pk)  # as promised: the committer owns it now


def _reserved():
    return ProductAvailability.objects.get().reserved_quantity


def _balance(shop, day):
    today = timezone.localdate()
    atp = product_atp(product=shop.product, today=today, horizon=120)
    return atp.balance[(day - today).days]


def test_a_product_only_promise_is_cancelled_and_its_units_released(api, shop):
    deal = _kits_promised(api, shop, 6, nth_working_day(5))
    assert _reserved() == 6
    response = api(f"/api/deals/{deal.pk}/cancel", {"reason": "customer withdrew"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled" and response.json()["project_id"] is None
    assert _reserved() == 0
    assert not StockReservation.objects.filter(deal=deal).exists()
    deal.refresh_from_db()
    assert deal.stage == Deal.Stage.LOST
    assert Promise.objects.filter(deal=deal).count() == 1  # history stays
    event = AuditEvent.objects.get(action="promise.cancelled", deal=deal)
    assert event.payload["units_released"] == 6 and event.payload["project"] is None
    # Cancelled once: a second cancel names the deal and changes nothing.
    again = api(f"/api/deals/{deal.pk}/cancel", {"reason": "again"})
    assert again.status_code == 400 and again.json()["field"] == "deal"
    assert AuditEvent.objects.filter(action="promise.cancelled").count() == 1


def test_a_product_only_promise_is_re_dated_and_its_units_move_to_the_new_date(api, shop):
    first_date, later = nth_working_day(5), nth_working_day(15)
    deal = _kits_promised(api, shop, 4, first_date)
    assert _balance(shop, first_date) == 6
    response = api(
        f"/api/deals/{deal.pk}/reschedule",
        {"promised_date": str(later), "reason": "customer moved"},
        **{"Idempotency-Key": "redate-kits"},
    )
    assert response.status_code == 201, response.content
    promise = Promise.objects.filter(deal=deal).order_by("-pk").first()
    assert promise.promised_date == later
    assert promise.evidence["supersedes"] != promise.pk
    reservation = StockReservation.objects.get(deal=deal)
    assert reservation.promise == promise and reservation.quantity == 4
    # The units leave the projected stock on the new date, not the old one.
    assert _balance(shop, first_date) == 10
    assert _balance(shop, later) == 6
    assert _reserved() == 4
    assert AuditEvent.objects.filter(action="promise.date_changed", deal=deal).count() == 1


def test_re_dating_product_only_before_the_units_arrive_is_refused_and_changes_nothing(
    api, shop, sales_rep
):
    shop.product.stock_on_hand = 0
    shop.product.save()
    arrives = nth_working_day(12)
    IncomingSupply.objects.create(product=shop.product, date=arrives, quantity=4)
    deal = _kits_promised(api, shop, 4, nth_working_day(15))
    before = list(StockReservation.objects.values_list("promise_id", "quantity"))
    promises = Promise.objects.count()
    result = promise_reschedule(
        user=sales_rep,
        deal=deal,
        promised_date=nth_working_day(8),
        idempotency_key="redate-early",
        request_fingerprint="early",
        reason="rush",
    )
    assert result.status == "taken"
    assert "not enough KIT-1" in result.reason and result.earliest_date == arrives
    assert list(StockReservation.objects.values_list("promise_id", "quantity")) == before
    assert Promise.objects.count() == promises


def test_another_seller_still_cannot_cancel_a_product_only_promise(api, shop, sales_rep, other_rep):
    deal = _kits_promised(api, shop, 2, nth_working_day(5))
    deal.owner = sales_rep
    deal.save()
    with pytest.raises(PermissionDenied):
        promise_cancel(user=other_rep, deal=deal, reason="not mine")
    assert _reserved() == 2
