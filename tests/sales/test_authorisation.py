"""Who may do what, through HTTP: every promising page and sales API endpoint x every persona.

Each cell runs on a fresh database: sales A owns the deal, sales B is another salesperson.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group

from promisekeeper.api.services import api_token_create
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.exceptions import exception_request
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import AuditEvent, Deal, ExceptionRequest, Hold, Promise
from tests import factories
from tests.sales.conftest import deal_for, nth_working_day

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "no_role", "sales_a", "sales_b", "operations", "admin")

# Expected status per persona, in PERSONAS order. Pages send the anonymous to the login (302);
# an allowed page action redirects (302) and a refused one is a 403 page that says why.
PAGES: dict[str, tuple[int, ...]] = {
    #                    anon  none  A    B    ops  admin
    "quote_get":        (302, 403, 200, 200, 200, 200),
    "quote_ask":        (302, 403, 200, 200, 200, 200),
    "quote_hold":       (302, 403, 302, 403, 403, 302),
    "quote_commit":     (302, 403, 302, 403, 403, 302),
    "quote_exception":  (302, 403, 302, 403, 403, 302),
    "deal_get":         (302, 403, 200, 200, 200, 200),
    "deal_commit":      (302, 403, 302, 403, 403, 302),
    "inbox_get":        (302, 403, 403, 403, 200, 200),
    "exception_decide": (302, 403, 403, 403, 302, 302),
    "sheet_get":        (302, 403, 200, 200, 200, 200),
}  # fmt: skip

# The API answers the anonymous 401 and a refusal 403 {"field": null, "message": reason}.
API: dict[str, tuple[int, ...]] = {
    #                    anon  none  A    B    ops  admin
    "quotes":           (401, 403, 200, 200, 200, 200),
    "holds":            (401, 403, 201, 403, 403, 201),
    "commits":          (401, 403, 201, 403, 403, 201),
    "exceptions":       (401, 403, 201, 403, 403, 201),
    "decision":         (401, 403, 403, 403, 200, 200),
    "cancel":           (401, 403, 200, 403, 200, 200),
    "history":          (401, 403, 200, 200, 200, 200),
}  # fmt: skip


def _cells(table: dict[str, tuple[int, ...]]) -> list[tuple[str, str, int]]:
    return [
        (action, persona, status)
        for action, row in table.items()
        for persona, status in zip(PERSONAS, row, strict=True)
    ]


@pytest.fixture
def people(groups: dict[str, Group]) -> dict[str, object]:
    def member(name: str, *roles: str) -> object:
        user = factories.UserFactory(username=name)
        for role in roles:
            user.groups.add(groups[role])
        return user

    return {
        "no_role": member("no-role"),
        "sales_a": member("sales-a", "sales"),
        "sales_b": member("sales-b", "sales"),
        "operations": member("operations", "operations"),
        "admin": member("admin", "admin"),
    }


def _promise(shop, deal, user) -> Promise:
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    date = nth_working_day(30)
    result = promise_commit(
        user=user,
        deal=deal,
        lines=lines,
        promised_date=date,
        idempotency_key=f"setup-{deal.pk}",
        request_fingerprint=commit_fingerprint(deal_id=deal.pk, lines=lines, promised_date=date),
    )
    assert result.promise is not None
    return result.promise


def _written() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Deal, Hold, Promise, ExceptionRequest, AuditEvent)
    }


@pytest.mark.parametrize(("action", "persona", "expected"), _cells(PAGES))
def test_page_status_per_persona(client, shop, people, action, persona, expected):
    owner = people["sales_a"]
    deal = deal_for(shop, owner)
    later = nth_working_day(30).isoformat()
    quote = {
        "deal": str(deal.pk),
        "customer": str(shop.customer.pk),
        "line_item": [f"offering:{shop.offering.pk}"],
        "line_quantity": ["1"],
        "wanted_date": later,
        "idempotency_key": "5d0f5a3e-7b4a-4c1e-9f0e-1a2b3c4d5e6f",
        "hold_days": "5",
        "promised_date": later,
        "requested_date": later,
        "scope_note": "Launch",
    }
    url, data = {
        "quote_get": ("/sales/quote/", None),
        "quote_ask": ("/sales/quote/", {**quote, "action": "ask"}),
        "quote_hold": ("/sales/quote/", {**quote, "action": "hold"}),
        "quote_commit": ("/sales/quote/", {**quote, "action": "commit"}),
        "quote_exception": ("/sales/quote/", {**quote, "action": "exception"}),
        "deal_get": (f"/sales/deals/{deal.pk}/", None),
        "deal_commit": (f"/sales/deals/{deal.pk}/commit/", quote),
        "inbox_get": ("/sales/exceptions/", None),
        "exception_decide": ("/sales/exceptions/{request}/decide/", None),
        "sheet_get": ("/sales/promises/{promise}/sheet/", None),
    }[action]
    if action == "exception_decide":
        pending = exception_request(user=owner, deal=deal, requested_date=nth_working_day(3))
        url = url.format(request=pending.pk)
        data = {f"x{pending.pk}-decision": "decline", f"x{pending.pk}-comment": "No room"}
    if action == "sheet_get":
        url = url.format(promise=_promise(shop, deal, owner).pk)
    if persona != "anonymous":
        client.force_login(people[persona])
    before = _written()
    response = client.get(url) if data is None else client.post(url, data)
    assert response.status_code == expected
    if data is not None and (expected == 403 or persona == "anonymous"):
        assert _written() == before
    if expected == 403 and action != "exception_decide":
        # The refusal page says why, in the rule's own words.
        assert "data-refusal" in response.content.decode()


@pytest.mark.parametrize(("action", "persona", "expected"), _cells(API))
def test_api_status_per_persona(client, shop, people, action, persona, expected):
    owner = people["sales_a"]
    deal = deal_for(shop, owner)
    later = str(nth_working_day(30))
    lines = [{"offering_id": shop.offering.pk, "quantity": 1}]
    headers: dict[str, str] = {}
    if persona != "anonymous":
        headers["Authorization"] = f"Bearer {api_token_create(user=people[persona])[1]}"
    if action == "decision":
        pending = exception_request(user=owner, deal=deal, requested_date=nth_working_day(3))
    if action == "cancel":
        _promise(shop, deal, owner)
    method, url, body = {
        "quotes": ("post", "/api/quotes", {"deal_id": deal.pk, "lines": lines}),
        "holds": ("post", "/api/holds", {"deal_id": deal.pk, "days": 5}),
        "commits": (
            "post",
            "/api/commits",
            {"deal_id": deal.pk, "lines": lines, "promised_date": later},
        ),
        "exceptions": (
            "post",
            "/api/exceptions",
            {"deal_id": deal.pk, "requested_date": later, "scope_note": "Launch"},
        ),
        "decision": (
            "post",
            f"/api/exceptions/{pending.pk if action == 'decision' else 0}/decision",
            {"decision": "decline", "comment": "No room"},
        ),
        "cancel": ("post", f"/api/deals/{deal.pk}/cancel", {"reason": "Customer withdrew"}),
        "history": ("get", f"/api/deals/{deal.pk}/history", None),
    }[action]
    if action == "commits":
        headers["Idempotency-Key"] = "table-commit"
    before = _written()
    if method == "get":
        response = client.get(url, headers=headers)
    else:
        response = client.post(
            url, json.dumps(body), content_type="application/json", headers=headers
        )
    assert response.status_code == expected
    if expected in (401, 403):
        assert _written() == before
    if expected == 403:
        assert response.json()["message"]
