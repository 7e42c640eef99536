from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command

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
