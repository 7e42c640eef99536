"""The daily digest: opted in on the user's notifications page, one e-mail a day through a
real SMTP server listing the unread notifications of the last day, none when there are none,
and a due job that sends it end to end."""

# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)

from __future__ import annotations

import datetime
from email import message_from_bytes
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from promisekeeper.organisation.jobs import DailyAt, periodic_jobs
from promisekeeper.sales.digests import digest_daily_set, digests_send
from promisekeeper.sales.models import Notification, NotificationDigest
from promisekeeper.sales.services import notification_send
from tests import factories
from tests.insights.test_alerts import smtp_server  # noqa: F401  (a fixture)
from tests.test_tasks_backend import signals_kept  # noqa: F401  (a fixture)


def _user(name: str, *, email: str | None = None) -> Any:
    return factories.UserFactory(
        username=name, email=f"{name}@example.com" if email is None else email
    )


def _note(user: Any, text: str, *, hours_ago: float = 1, read: bool = False) -> Notification:
    note = notification_send(user, None, text)
    Notification.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=hours_ago), read=read
    )
    return note


def _body(raw: bytes) -> str:
    mail = message_from_bytes(raw)
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


@pytest.mark.django_db
def test_a_user_turns_the_daily_digest_on_and_off_on_their_notifications_page(client):
    ana = _user("ana")
    notification_send(ana, None, "Your hold on Acme ends tomorrow.")
    client.force_login(ana)
    url = reverse("promising:notifications")

    page = client.get(url).content.decode()
    assert "Your hold on Acme ends tomorrow." in page
    assert 'name="daily" checked' not in page

    response = client.post(url, {"daily": "on"})
    assert response.status_code == 302
    assert NotificationDigest.objects.get(user=ana).daily is True
    assert 'name="daily" checked' in client.get(url).content.decode()

    client.post(url, {})
    assert NotificationDigest.objects.get(user=ana).daily is False


@pytest.mark.django_db
def test_the_notifications_page_needs_a_login(client):
    response = client.get(reverse("promising:notifications"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_the_digest_lists_the_unread_notifications_of_the_last_day_once_a_day(smtp_server):
    ana = _user("ana")
    digest_daily_set(user=ana, daily=True)
    _note(ana, "Site is at risk.", hours_ago=2)
    _note(ana, "Shop was promised for 1 March.", hours_ago=1)
    _note(ana, "Old news.", hours_ago=30)
    _note(ana, "Already read.", hours_ago=1, read=True)
    bob = _user("bob")  # not opted in
    _note(bob, "Bob's news.")

    assert digests_send(now=timezone.now()) == 1

    ((sender, to, raw),) = smtp_server.messages
    assert (sender, to) == ("alerts@promisekeeper.test", ["ana@example.com"])
    assert message_from_bytes(raw)["Subject"].startswith("Promisekeeper: 2 new notifications")
    body = _body(raw)
    assert body.index("Site is at risk.") < body.index("Shop was promised for 1 March.")
    assert "Old news." not in body and "Already read." not in body
    assert NotificationDigest.objects.get(user=ana).last_sent_on == timezone.localdate()

    # The same day again: nothing more.
    assert digests_send(now=timezone.now()) == 0
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_no_digest_on_a_day_with_nothing_unread_or_without_an_address(smtp_server):
    quiet = _user("quiet")
    digest_daily_set(user=quiet, daily=True)
    _note(quiet, "Read already.", read=True)
    nomail = _user("nomail", email="")
    digest_daily_set(user=nomail, daily=True)
    _note(nomail, "Something new.")

    assert digests_send(now=timezone.now()) == 0

    assert smtp_server.messages == []
    assert NotificationDigest.objects.get(user=quiet).last_sent_on is None


@pytest.mark.django_db
def test_a_mail_server_that_is_down_leaves_the_day_unmarked_for_the_next_run(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard: nothing listens
    ana = _user("ana")
    digest_daily_set(user=ana, daily=True)
    _note(ana, "Site is at risk.")

    assert digests_send(now=timezone.now()) == 0

    assert NotificationDigest.objects.get(user=ana).last_sent_on is None


def test_the_digest_is_a_daily_job_after_the_risk_check():
    schedules = {job.name: job.schedule for job in periodic_jobs()}
    assert schedules["digests-send"] == DailyAt(datetime.time(7, 0))
    assert schedules["risk-check"] == DailyAt(datetime.time(6, 0))


@pytest.mark.django_db(transaction=True)  # the worker claims each task in its own transaction
def test_a_due_digest_job_runs_end_to_end_through_scheduler_and_worker(signals_kept, smtp_server):
    ana = _user("ana")
    digest_daily_set(user=ana, daily=True)
    _note(ana, "Site is at risk.")

    call_command("scheduler", "--once")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    results = {
        r.task_path.rsplit(".", 1)[1]: (r.status, r.return_value)
        for r in DBTaskResult.objects.all()
    }
    assert results["digests_send_task"] == (TaskResultStatus.SUCCESSFUL, 1)
    assert [to for _, to, _ in smtp_server.messages] == [["ana@example.com"]]
    assert "Site is at risk." in _body(smtp_server.messages[0][2])
