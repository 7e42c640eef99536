"""Item 14: a promise, re-date or exception date past the planning horizon is refused, naming it.

The shop plans 120 days ahead (tests.sales.conftest.HORIZON_DAYS); 9999-12-31 used to be
accepted as a promise date, which no plan can stand behind.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from promisekeeper.api.services import api_token_create
from promisekeeper.sales.models import ExceptionRequest, Promise
from tests.sales.conftest import HORIZON_DAYS, deal_for, nth_working_day

pytestmark = pytest.mark.django_db

FAR = "9999-12-31"


@pytest.fixture
def api(client, sales_rep):
    _, key = api_token_create(user=sales_rep)

    def send(url, body, **headers):
        return client.post(
            url,
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}", **headers},
        )

    return send


def _lines(shop):
    return [{"offering_id": shop.offering.pk, "quantity": 1}]


@pytest.mark.parametrize("when", [FAR, "horizon+1"])
def test_an_api_commit_past_the_horizon_is_a_400_naming_promised_date(api, shop, sales_rep, when):
    if when == "horizon+1":
        when = str(timezone.localdate() + datetime.timedelta(days=HORIZON_DAYS + 1))
    deal = deal_for(shop, sales_rep)
    body = {"deal_id": deal.pk, "lines": _lines(shop), "promised_date": when}
    response = api("/api/commits", body, **{"Idempotency-Key": "far-1"})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "promised_date"
    assert "horizon" in response.json()["message"]
    assert not Promise.objects.exists()


def test_a_commit_at_the_last_day_of_the_horizon_is_accepted(api, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    last = timezone.localdate() + datetime.timedelta(days=HORIZON_DAYS - 1)
    body = {"deal_id": deal.pk, "lines": _lines(shop), "promised_date": str(last)}
    response = api("/api/commits", body, **{"Idempotency-Key": "last-1"})
    assert response.status_code == 201, response.content


def test_an_api_redate_past_the_horizon_is_a_400_and_keeps_the_date(api, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    body = {"deal_id": deal.pk, "lines": _lines(shop), "promised_date": str(nth_working_day(8))}
    assert api("/api/commits", body, **{"Idempotency-Key": "c-1"}).status_code == 201
    response = api(
        f"/api/deals/{deal.pk}/reschedule",
        {"promised_date": FAR, "reason": "customer asked"},
        **{"Idempotency-Key": "r-1"},
    )
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "promised_date"
    assert list(Promise.objects.values_list("promised_date", flat=True)) == [nth_working_day(8)]


def test_an_exception_request_past_the_horizon_is_a_400(api, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    response = api(
        "/api/exceptions", {"deal_id": deal.pk, "requested_date": FAR, "scope_note": "rush"}
    )
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "requested_date"
    assert not ExceptionRequest.objects.exists()


def test_the_quote_form_refuses_a_promise_date_past_the_horizon(client, shop, sales_rep):
    client.force_login(sales_rep)
    response = client.post(
        "/sales/quote/",
        {
            "customer": shop.customer.pk,
            "line_item": f"offering:{shop.offering.pk}",
            "line_quantity": "1",
            "action": "commit",
            "promised_date": FAR,
            "idempotency_key": "6a1f7e0e-8d65-4a59-9a43-0d7f3f8f1c11",
        },
    )
    assert response.status_code in (200, 400, 409)
    assert "Promise date" in response.content.decode()
    assert "horizon" in response.content.decode()
    assert not Promise.objects.exists()
