"""Item 11: repeated wrong passwords lock the login out (django-axes); API tokens are rate-limited.

A locked-out login answers 429 with the login page and a message saying why and for how
long, even with the right password; another user from another address is not affected.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from promisekeeper.api.services import api_token_create
from tests import factories

pytestmark = pytest.mark.django_db


def _login(client, username, password, address="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def user():
    person = factories.UserFactory(username="victim")
    person.set_password("right-password-1")
    person.save()
    return person


def test_thirty_wrong_passwords_then_the_right_one_is_locked_out(client, user):
    for _ in range(30):
        assert _login(client, "victim", "wrong").status_code in (200, 429)
    response = _login(client, "victim", "right-password-1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "Too many failed logins" in response.content.decode()
    assert '<form method="post" action="/login/"' in response.content.decode()


def test_a_few_wrong_passwords_still_let_the_right_one_in(client, user):
    for _ in range(3):
        assert _login(client, "victim", "wrong").status_code == 200
    response = _login(client, "victim", "right-password-1")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_username_is_locked_from_any_address(client, user):
    for k in range(10):
        _login(client, "victim", "wrong", address=f"10.0.1.{k}")
    response = _login(client, "victim", "right-password-1", address="10.9.9.9")
    assert response.status_code == 429


def test_an_address_guessing_many_users_is_locked(client, user):
    for k in range(10):
        _login(client, f"guess{k}", "wrong", address="10.6.6.6")
    response = _login(client, "victim", "right-password-1", address="10.6.6.6")
    assert response.status_code == 429
    assert _login(client, "victim", "right-password-1", address="10.7.7.7").status_code == 302


@override_settings(API_TOKEN_RATE="5/min")
def test_an_api_token_past_its_rate_gets_a_json_429(client, user):
    _, key = api_token_create(user=user)
    _, other = api_token_create(user=user)
    statuses = [
        client.get("/api/me", headers={"Authorization": f"Bearer {key}"}).status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    response = client.get("/api/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["field"] is None and "Too many requests" in response.json()["message"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200
