"""Item 15: every API error is JSON in one documented shape, ``{"field", "message"}``.

``field`` names the input to blame (a body field, a header, a path parameter) or is null
when no one input is (not signed in, not allowed, too many requests).
"""

from __future__ import annotations

import pytest

from promisekeeper.api.services import api_token_create
from tests.sales.conftest import deal_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(sales_rep):
    return api_token_create(user=sales_rep)[1]


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"field", "message"}, body
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_a_validation_error_is_a_422_naming_the_field(client, shop, sales_rep, key):
    deal = deal_for(shop, sales_rep)
    response = client.post(
        "/api/holds",
        {"deal_id": deal.pk, "days": "many"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 422
    assert _error(response)["field"] == "days"


def test_a_missing_header_is_a_422_naming_it(client, shop, key):
    response = client.post(
        "/api/commits",
        {"deal_id": 1, "lines": [], "promised_date": "2030-01-01"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 422
    assert _error(response)["field"] == "Idempotency-Key"


def test_no_token_is_a_401_in_the_error_shape(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert _error(response)["field"] is None


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(client, key):
    response = client.post(
        "/api/holds",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code in (400, 422)
    _error(response)


def test_a_5_mb_body_is_a_413_in_the_error_shape(client, key):
    response = client.post(
        "/api/exceptions",
        '{"scope_note": "' + "x" * (5 * 1024 * 1024) + '"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 413
    _error(response)


def test_a_refusal_is_a_403_in_the_error_shape(client, shop, sales_rep, other_rep):
    deal = deal_for(shop, sales_rep)
    _, other_key = api_token_create(user=other_rep)
    response = client.post(
        "/api/holds",
        {"deal_id": deal.pk, "days": 3},
        content_type="application/json",
        headers={"Authorization": f"Bearer {other_key}"},
    )
    assert response.status_code == 403
    _error(response)


def test_an_unknown_exception_request_is_a_404_in_the_error_shape(client, ops_manager):
    _, ops_key = api_token_create(user=ops_manager)
    response = client.post(
        "/api/exceptions/12345/decision",
        {"decision": "decline"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {ops_key}"},
    )
    assert response.status_code == 404
    _error(response)


def test_the_schema_documents_every_error_status_in_the_one_shape(client):
    schema = client.get("/api/openapi.json").json()
    assert "ApiError" in schema["components"]["schemas"]
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            needed = {"422", "413", "429"} | ({"401"} if operation.get("security") else set())
            for status in needed:
                if status not in responses:
                    missing.append(f"{method.upper()} {path} {status}")
            for status, response in responses.items():
                if int(status) >= 400:
                    ref = response["content"]["application/json"]["schema"].get("$ref", "")
                    if not ref.endswith("/ApiError"):
                        missing.append(f"{method.upper()} {path} {status} not ApiError")
    assert missing == []


def test_the_schema_names_each_status_once(client):
    """Swagger UI (js-yaml) refuses a schema whose JSON repeats a key, such as "422"."""
    import json

    def no_duplicates(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    json.loads(client.get("/api/openapi.json").content, object_pairs_hook=no_duplicates)


def test_a_body_nested_too_deeply_is_a_400_not_a_crash(client, key):
    response = client.post(
        "/api/holds",
        "[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 400
    assert _error(response)["field"] == "body"
