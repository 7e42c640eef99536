"""Schemathesis over the whole API (/api/openapi.json): no input makes a 5xx.

Runs on SQLite and, with PK_TEST_POSTGRES=1, on PostgreSQL, where a NUL in text used to
reach the database. Every error answer must also match the documented ApiError shape,
which schemathesis checks against the schema (``response_schema_conformance``).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from promisekeeper.api.services import api_token_create
from tests import factories
from tests.sales.conftest import deal_for, shop_create

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: the WSGI handler must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(keep_test_connection, groups):
    user = factories.UserFactory(username="fuzzer")
    user.groups.add(groups["sales"], groups["operations"])
    shop = shop_create()
    deal_for(shop, user)
    _, key = api_token_create(user=user)
    return key


@pytest.mark.django_db
@pytest.mark.both_databases
@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_api_input_makes_a_server_error(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(
        response,
        checks=(not_a_server_error, status_code_conformance, response_schema_conformance),
    )
