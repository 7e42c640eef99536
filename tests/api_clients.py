"""API calls as a token holder makes them, for tests: ``as_rep`` and ``as_ops`` fixtures
(a bearer token of the sales rep or the operations manager) and ``api_send`` itself."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from promisekeeper.api.services import api_token_create


def api_send(
    client: Client, key: str, method: str, url: str, body: Any, headers: dict[str, str]
) -> Any:
    """GET ``url``, or POST ``body`` as JSON (a string is sent as it is), with the token."""
    headers = {"Authorization": f"Bearer {key}", **headers}
    if method == "get":
        return client.get(url, headers=headers)
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data, content_type="application/json", headers=headers)


def _caller(client: Client, user: Any) -> Any:
    _, key = api_token_create(user=user)
    return lambda method, url, body=None, **headers: api_send(
        client, key, method, url, body, headers
    )


@pytest.fixture
def as_rep(client, sales_rep):
    return _caller(client, sales_rep)


@pytest.fixture
def as_ops(client, ops_manager):
    return _caller(client, ops_manager)
