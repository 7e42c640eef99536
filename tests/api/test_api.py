from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from promisekeeper.api.auth import api_token_mark_used
from promisekeeper.api.models import ApiToken
from promisekeeper.api.services import api_token_create
from promisekeeper.organisation.models import CompanyClosure

pytestmark = pytest.mark.django_db


def test_health_needs_no_token_and_reports_ledger_version(client):
    CompanyClosure.objects.create(
        name="Inventory", start_date=datetime.date(2030, 1, 2), end_date=datetime.date(2030, 1, 2)
    )
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "ledger_version": 1}


def test_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn." not in page


def test_me_without_token_is_unauthorised(client):
    assert client.get("/api/me").status_code == 401


def test_me_with_bearer_token_returns_its_user(client, sales_user):
    _, key = api_token_create(user=sales_user)
    response = client.get("/api/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.json() == {"username": "seller"}


def test_only_the_hash_of_a_token_is_stored(sales_user):
    token, key = api_token_create(user=sales_user)
    assert key not in token.key_hash
    assert ApiToken.objects.get().key_hash == token.key_hash


def test_inactive_users_token_is_refused(client, sales_user):
    _, key = api_token_create(user=sales_user)
    sales_user.is_active = False
    sales_user.save()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_api_token_command_prints_a_working_key(client, sales_user, capsys):
    call_command("api_token", "seller")
    key = capsys.readouterr().out.strip()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def _me(client, key):
    return client.get("/api/me", headers={"Authorization": f"Bearer {key}"})


def test_the_first_use_of_a_token_records_when_it_was_used(client, sales_user):
    token, key = api_token_create(user=sales_user)
    assert token.last_used is None
    before = timezone.now()
    assert _me(client, key).status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None and before <= token.last_used <= timezone.now()


def test_a_burst_of_requests_writes_last_used_once(client, sales_user):
    token, key = api_token_create(user=sales_user)
    assert _me(client, key).status_code == 200
    token.refresh_from_db()
    first = token.last_used
    with CaptureQueriesContext(connection) as queries:
        assert _me(client, key).status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used == first


NINE = datetime.datetime(2027, 3, 1, 9, 0, tzinfo=datetime.UTC)


def test_last_used_changes_a_minute_after_the_last_write_and_not_before(sales_user):
    token, _ = api_token_create(user=sales_user)
    api_token_mark_used(token=token, now=NINE)
    api_token_mark_used(token=token, now=NINE + datetime.timedelta(seconds=59))
    assert ApiToken.objects.get(pk=token.pk).last_used == NINE
    api_token_mark_used(token=token, now=NINE + datetime.timedelta(minutes=1))
    assert ApiToken.objects.get(pk=token.pk).last_used == NINE + datetime.timedelta(minutes=1)


def test_a_request_that_loaded_the_token_before_another_wrote_it_writes_nothing(sales_user):
    token, _ = api_token_create(user=sales_user)
    loaded_early = ApiToken.objects.get(pk=token.pk)  # last_used still empty
    api_token_mark_used(token=token, now=NINE)
    api_token_mark_used(token=loaded_early, now=NINE + datetime.timedelta(seconds=10))
    assert ApiToken.objects.get(pk=token.pk).last_used == NINE
