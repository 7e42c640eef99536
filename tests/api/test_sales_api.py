"""The sales API through HTTP: same rules as the services, errors name the field, DB unchanged."""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import pytest

from promisekeeper.api.services import api_token_create
from promisekeeper.sales.models import AuditEvent, ExceptionRequest, Hold, Promise
from tests.api_clients import api_send, as_ops, as_rep  # noqa: F401  (fixtures)
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    deal_for,
    nth_working_day,
    ops_manager,
    other_rep,
    sales_rep,
    shop,
)

pytestmark = pytest.mark.django_db


def _written():
    return (
        Promise.objects.count(),
        Hold.objects.count(),
        ExceptionRequest.objects.count(),
        AuditEvent.objects.count(),
    )


def _site(shop, quantity=1):
    return [{"offering_id": shop.offering.pk, "quantity": quantity}]


def test_quote_answers_with_dates_bottleneck_and_options(as_rep, shop):
    response = as_rep(
        "post", "/api/quotes", {"lines": _site(shop), "wanted_date": str(nth_working_day(4))}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["can_promise"] is False
    assert body["promise_date"] == str(nth_working_day(5))
    assert body["bottleneck"]["role"] == "developer"
    assert {o["kind"] for o in body["options"]} >= {"overtime", "hire"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"lines": [{"offering_id": 999_999, "quantity": 1}]}, 400, "lines[0].offering_id"),
        ("site0", 400, "lines[0].quantity"),
        ("site-3", 400, "lines[0].quantity"),
        ("past", 400, "wanted_date"),
        ({"lines": "nope"}, 422, "lines"),
        ({"deal_id": 999_999, "lines": []}, 400, "deal_id"),
    ],
)
def test_bad_quote_input_is_4xx_naming_the_field(as_rep, shop, body, status, field):
    if body == "site0":
        body = {"lines": _site(shop, 0)}
    elif body == "site-3":
        body = {"lines": _site(shop, -3)}
    elif body == "past":
        body = {"lines": _site(shop), "wanted_date": "2000-01-01"}
    before = _written()
    response = as_rep("post", "/api/quotes", body)
    assert response.status_code == status
    assert field in str(response.json())
    assert _written() == before


def test_malformed_json_is_4xx_and_changes_nothing(as_rep, shop):
    before = _written()
    response = as_rep("post", "/api/commits", "{not json", **{"Idempotency-Key": "m-1"})
    assert 400 <= response.status_code < 500
    assert _written() == before


def test_commit_needs_an_idempotency_key(as_rep, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    body = {"deal_id": deal.pk, "lines": _site(shop), "promised_date": str(nth_working_day(5))}
    response = as_rep("post", "/api/commits", body)
    assert response.status_code == 422
    assert "Idempotency-Key" in str(response.json())
    assert Promise.objects.count() == 0


def test_commit_replay_and_conflict(as_rep, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    body = {"deal_id": deal.pk, "lines": _site(shop), "promised_date": str(nth_working_day(5))}
    first = as_rep("post", "/api/commits", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and first.json()["status"] == "committed"
    again = as_rep("post", "/api/commits", body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["promise"] == first.json()["promise"]
    other = {**body, "promised_date": str(nth_working_day(9))}
    conflict = as_rep("post", "/api/commits", other, **{"Idempotency-Key": "k-1"})
    assert conflict.status_code == 422
    assert conflict.json()["field"] == "Idempotency-Key"
    assert Promise.objects.count() == 1


def test_commit_when_capacity_is_taken_is_409_with_the_earliest_date(as_rep, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    body = {"deal_id": deal.pk, "lines": _site(shop), "promised_date": str(nth_working_day(2))}
    response = as_rep("post", "/api/commits", body, **{"Idempotency-Key": "k-2"})
    assert response.status_code == 409
    assert response.json()["earliest_date"] == str(nth_working_day(5))
    assert Promise.objects.count() == 0


def test_hold_exception_decision_and_history(as_rep, as_ops, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    hold = as_rep("post", "/api/holds", {"deal_id": deal.pk, "days": 3})
    assert hold.status_code == 201
    asked = as_rep(
        "post",
        "/api/exceptions",
        {"deal_id": deal.pk, "requested_date": str(nth_working_day(2)), "scope_note": "rush"},
    )
    assert asked.status_code == 201
    request_id = asked.json()["id"]
    denied = as_rep("post", f"/api/exceptions/{request_id}/decision", {"decision": "approve"})
    assert denied.status_code == 403
    decided = as_ops(
        "post", f"/api/exceptions/{request_id}/decision", {"decision": "decline", "comment": "no"}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "declined"
    history = as_rep("get", f"/api/deals/{deal.pk}/history")
    assert [e["action"] for e in history.json()] == [
        "hold.placed",
        "exception.requested",
        "exception.declined",
    ]


def test_other_rep_gets_403_and_nothing_changes(client, shop, sales_rep, other_rep):
    deal = deal_for(shop, sales_rep)
    _, key = api_token_create(user=other_rep)
    before = _written()
    response = api_send(client, key, "post", "/api/holds", {"deal_id": deal.pk}, {})
    assert response.status_code == 403
    assert _written() == before


def test_without_a_token_every_sales_endpoint_is_401(client, shop):
    for url in ("/api/quotes", "/api/holds", "/api/commits", "/api/exceptions"):
        assert client.post(url, "{}", content_type="application/json").status_code == 401
    assert client.get("/api/deals/1/history").status_code == 401


def test_reschedule_and_cancel_a_promised_deal(as_rep, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    body = {"deal_id": deal.pk, "lines": _site(shop), "promised_date": str(nth_working_day(5))}
    assert as_rep("post", "/api/commits", body, **{"Idempotency-Key": "c-1"}).status_code == 201
    too_early = as_rep(
        "post",
        f"/api/deals/{deal.pk}/reschedule",
        {"promised_date": str(nth_working_day(2)), "reason": "rush"},
        **{"Idempotency-Key": "r-1"},
    )
    assert too_early.status_code == 409
    later = as_rep(
        "post",
        f"/api/deals/{deal.pk}/reschedule",
        {"promised_date": str(nth_working_day(8)), "reason": "customer is late"},
        **{"Idempotency-Key": "r-2"},
    )
    assert later.status_code == 201 and later.json()["promise"]["promised_date"] == str(
        nth_working_day(8)
    )
    no_reason = as_rep("post", f"/api/deals/{deal.pk}/cancel", {"reason": " "})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    cancelled = as_rep("post", f"/api/deals/{deal.pk}/cancel", {"reason": "withdrawn"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    actions = [e["action"] for e in as_rep("get", f"/api/deals/{deal.pk}/history").json()]
    assert actions[-3:] == ["promise.committed", "promise.date_changed", "promise.cancelled"]
