"""Signing in and out: Django's database sessions and model backend, seen through HTTP."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # the factories' password


@pytest.fixture
def page() -> str:
    return reverse("catalog:offerings")  # a plain page that needs a signed-in user


def _seller():
    """A user with a role, so the page is one they may read (a user without one gets 403)."""
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name="sales")[0])
    return user


def _sign_in(client, user) -> None:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)


def _is_sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_signing_in_keeps_the_user_signed_in_across_requests(client, page):
    user = _seller()
    _sign_in(client, user)
    stored = Session.objects.get(session_key=client.session.session_key)
    assert stored.get_decoded()["_auth_user_id"] == str(user.pk)
    for _ in range(2):
        response = client.get(page)
        assert response.status_code == 200 and response.context["user"].pk == user.pk


def test_a_wrong_password_signs_nobody_in(client, page):
    user = _seller()
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not any("_auth_user_id" in s.get_decoded() for s in Session.objects.all())
    assert _is_sent_to_login(client.get(page))


def test_signing_out_deletes_the_session_so_its_cookie_no_longer_signs_in(client, page):
    _sign_in(client, _seller())
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=cookie).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie  # a copy kept from before
    assert _is_sent_to_login(client.get(page))


def test_a_deactivated_user_is_signed_out_on_the_next_request(client, page):
    user = _seller()
    _sign_in(client, user)
    assert client.get(page).status_code == 200
    user.is_active = False
    user.save()
    assert _is_sent_to_login(client.get(page))


def test_changing_the_password_signs_out_the_other_sessions(client, page):
    user = _seller()
    _sign_in(client, user)
    user.set_password("another-pass-word-456")
    user.save()
    assert _is_sent_to_login(client.get(page))


def test_a_session_lasts_the_cookie_age_and_not_past_its_expiry(client, page):
    before = timezone.now()
    _sign_in(client, _seller())
    session = Session.objects.get()
    age = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert before + age <= session.expire_date <= timezone.now() + age

    Session.objects.update(expire_date=timezone.now() + datetime.timedelta(minutes=1))
    assert client.get(page).status_code == 200
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert _is_sent_to_login(client.get(page))
