"""The session store: Django's database sessions, read with one plain statement."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from promisekeeper.organisation.sessions import SessionStore
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_saved_session_loads_in_one_query():
    store = SessionStore()
    store["answer"] = {"date": "2027-03-01", "ok": True}
    store.save()
    with CaptureQueriesContext(connection) as queries:
        loaded = SessionStore(session_key=store.session_key).load()
    assert loaded == {"answer": {"date": "2027-03-01", "ok": True}}
    assert len(queries.captured_queries) == 1


def test_an_expired_or_unknown_session_loads_empty_and_gets_a_new_key():
    store = SessionStore()
    store["x"] = 1
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = SessionStore(session_key=store.session_key)
    assert expired.load() == {} and expired.session_key is None
    unknown = SessionStore(session_key="x" * 32)
    assert unknown.load() == {} and unknown.session_key is None


def test_a_signed_in_user_stays_signed_in_until_the_session_expires(client):
    user = UserFactory()
    client.force_login(user)
    page = reverse("promising:quote")
    assert client.get(page).status_code != 302  # signed in: not sent to the login page
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(page)
    assert response.status_code == 302 and reverse("login") in response["Location"]
