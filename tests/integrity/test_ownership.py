"""Ownership: the seller who promises an unowned deal owns it; no other seller changes it."""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied

from promisekeeper.api.services import api_token_create
from promisekeeper.delivery.models import Project
from promisekeeper.promising.commit import commit_prepare, commit_prepared
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import Deal, Promise
from tests.integrity.conftest import row_counts
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    deal_for,
    nth_working_day,
    ops_manager,
    other_rep,
    sales_rep,
    shop,
)

pytestmark = pytest.mark.django_db


def _api(client, user):
    _, key = api_token_create(user=user)

    def send(url, body, **headers):
        return client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}", **headers},
        )

    return send


def _commit_unowned(client, shop, rep) -> Deal:
    deal = deal_for(shop, None)
    body = {
        "deal_id": deal.pk,
        "lines": [{"offering_id": shop.offering.pk, "quantity": 1}],
        "promised_date": str(nth_working_day(5)),
    }
    response = _api(client, rep)("/api/commits", body, **{"Idempotency-Key": "own-1"})
    assert response.status_code == 201
    return Deal.objects.get(pk=deal.pk)


def test_committing_an_unowned_deal_makes_the_committer_its_owner(client, shop, sales_rep):
    deal = _commit_unowned(client, shop, sales_rep)
    assert deal.owner_id == sales_rep.pk
    assert Project.objects.get(deal=deal).sales_owner_id == sales_rep.pk


def test_another_seller_cannot_cancel_or_redate_the_promise(client, shop, sales_rep, other_rep):
    deal = _commit_unowned(client, shop, sales_rep)
    before = row_counts()
    as_other = _api(client, other_rep)
    cancel = as_other(f"/api/deals/{deal.pk}/cancel", {"reason": "mine now"})
    assert cancel.status_code == 403
    assert (
        cancel.json()["message"]
        == "Only the deal's salesperson or operations can cancel a promise."
    )
    redate = as_other(
        f"/api/deals/{deal.pk}/reschedule",
        {"promised_date": str(nth_working_day(9)), "reason": "mine now"},
        **{"Idempotency-Key": "other-1"},
    )
    assert redate.status_code == 403
    # Nothing moved: the project is still committed, the deal won, one promise on it.
    assert Project.objects.get(deal=deal).status == Project.Status.COMMITTED
    assert Deal.objects.get(pk=deal.pk).stage == Deal.Stage.WON
    assert Promise.objects.filter(deal=deal).count() == 1
    # The two API tokens are the only new rows.
    assert {k: v for k, v in row_counts().items() if k != "api.ApiToken"} == {
        k: v for k, v in before.items() if k != "api.ApiToken"
    }


def test_the_owner_and_operations_may_change_the_promise(client, shop, sales_rep, ops_manager):
    deal = _commit_unowned(client, shop, sales_rep)
    redate = _api(client, sales_rep)(
        f"/api/deals/{deal.pk}/reschedule",
        {"promised_date": str(nth_working_day(9)), "reason": "customer is late"},
        **{"Idempotency-Key": "owner-1"},
    )
    assert redate.status_code == 201
    cancel = _api(client, ops_manager)(f"/api/deals/{deal.pk}/cancel", {"reason": "withdrawn"})
    assert cancel.status_code == 200
    assert Project.objects.get(deal=deal).status == Project.Status.CANCELLED


def test_a_commit_prepared_before_the_deal_was_given_to_another_seller_is_refused_under_the_lock(
    shop, sales_rep, other_rep
):
    deal = deal_for(shop, None)
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    date = nth_working_day(5)
    prepared = commit_prepare(
        user=other_rep,
        deal=deal,
        lines=lines,
        promised_date=date,
        idempotency_key="late-1",
        request_fingerprint=commit_fingerprint(
            deal_id=deal.pk, lines=lines, promised_date=date, exception_id=None
        ),
    )  # allowed: the deal was unowned when it was checked
    Deal.objects.filter(pk=deal.pk).update(owner=sales_rep)  # an admin assigns it meanwhile
    with pytest.raises(PermissionDenied, match="another salesperson"):
        commit_prepared(prepared)
    assert Deal.objects.get(pk=deal.pk).owner_id == sales_rep.pk
    assert not Promise.objects.filter(deal=deal).exists()
