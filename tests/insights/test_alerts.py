"""The risk check stores each promise's forecast state and alerts the sales owner and
operations (in the app and by e-mail) only when that state changes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from decimal import Decimal
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group

from promisekeeper.delivery.models import ProjectForecast
from promisekeeper.insights.alerts import risk_check
from promisekeeper.insights.models import RiskStateChange
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.sales.models import Notification
from tests import factories
from tests.insights.forecast_world import build_set, promised_site
from tests.sales.conftest import nth_working_day

pytestmark = pytest.mark.django_db

State = ProjectForecast.State


@pytest.fixture
def owner(groups: dict[str, Group]) -> Any:
    user = factories.UserFactory(username="owner", email="owner@example.com")
    user.groups.add(groups["sales"])
    return user


@pytest.fixture
def operator(groups: dict[str, Group]) -> Any:
    user = factories.UserFactory(username="ops", email="ops@example.com")
    user.groups.add(groups["operations"])
    return user


def _overrun(site: Any) -> None:
    """Build is half done after 400 h of 40 estimated: 400 h more at that pace, 50 working
    days, past the promise in 30."""
    build_set(site, progress=Decimal("0.5"), effort_actual_hours=Decimal(400))


def test_a_first_check_on_track_records_the_state_and_alerts_no_one(
    owner, operator, mailoutbox, django_capture_on_commit_callbacks
):
    _, site = promised_site(owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert risk_check() == []
    forecast = ProjectForecast.objects.get(project=site)
    assert forecast.state == State.ON_TRACK
    assert forecast.finish_date == nth_working_day(5)
    assert forecast.promised_date == nth_working_day(30)
    assert "before the promised" in forecast.reason
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_going_late_alerts_the_owner_and_operations_once(
    owner, operator, mailoutbox, django_capture_on_commit_callbacks
):
    _, site = promised_site(owner)
    risk_check()
    first_checked = ProjectForecast.objects.get(project=site).changed_at
    _overrun(site)

    with django_capture_on_commit_callbacks(execute=True):
        (change,) = risk_check()

    assert (change.project_pk, change.before, change.after) == (site.pk, "on_track", "late")
    forecast = ProjectForecast.objects.get(project=site)
    assert forecast.state == State.LATE and forecast.changed_at > first_checked
    assert forecast.finish_date > forecast.promised_date
    assert "Build waits" in forecast.reason or "Build (developer)" in forecast.reason
    notes = Notification.objects.order_by("user__username")
    assert [(n.user.username, n.deal_id) for n in notes] == [
        ("ops", site.deal_id),
        ("owner", site.deal_id),
    ]
    assert notes[0].text.startswith("Site is now late, was on track")
    assert sorted(m.to[0] for m in mailoutbox) == ["ops@example.com", "owner@example.com"]
    assert mailoutbox[0].subject == "Promise late: Site"
    assert "days after the promised" in mailoutbox[0].body

    # The same state again: stored as checked, nothing announced.
    with django_capture_on_commit_callbacks(execute=True):
        assert risk_check() == []
    assert Notification.objects.count() == 2
    assert len(mailoutbox) == 2
    assert ProjectForecast.objects.get(project=site).changed_at == forecast.changed_at


def test_coming_back_on_track_is_a_change_too(owner, operator):
    _, site = promised_site(owner)
    _overrun(site)
    (first,) = risk_check()
    assert (first.before, first.after) == (None, "late")  # a first check that is not on track
    build_set(site, remaining_hours=Decimal(8))
    (back,) = risk_check()
    assert (back.before, back.after) == ("late", "on_track")
    assert Notification.objects.filter(user=owner).count() == 2


def test_every_change_of_state_is_kept_in_the_risk_history(owner, operator):
    _, site = promised_site(owner)
    risk_check()  # on track at the first check
    _overrun(site)
    risk_check()  # late
    risk_check()  # still late: no change, nothing new
    build_set(site, remaining_hours=Decimal(8))
    risk_check()  # back on track

    history = RiskStateChange.objects.filter(project=site).order_by("changed_at", "pk")
    assert [(c.before, c.after) for c in history] == [
        ("", "on_track"),
        ("on_track", "late"),
        ("late", "on_track"),
    ]


def test_little_slack_is_at_risk(owner, operator):
    _, site = promised_site(owner, by_working_day=7)  # five days of work, two spare
    (change,) = risk_check()
    assert change.after == "at_risk"
    assert "under 5" in ProjectForecast.objects.get(project=site).reason


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[_Inbox]:
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "alerts@promisekeeper.test"
    try:
        yield inbox
    finally:
        controller.stop()


def test_the_alert_e_mails_go_through_an_smtp_server(
    owner, operator, smtp_server, django_capture_on_commit_callbacks
):
    _, site = promised_site(owner)
    _overrun(site)
    with django_capture_on_commit_callbacks(execute=True):
        risk_check()
    received = sorted(smtp_server.messages, key=lambda m: m[1])
    assert [(sender, to) for sender, to, _ in received] == [
        ("alerts@promisekeeper.test", ["ops@example.com"]),
        ("alerts@promisekeeper.test", ["owner@example.com"]),
    ]
    mail = message_from_bytes(received[0][2])
    assert mail["Subject"] == "Promise late: Site"
    assert "Site is late." in mail.get_payload(decode=True).decode()


def test_an_smtp_server_that_is_down_leaves_the_in_app_alert(
    owner, operator, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    _, site = promised_site(owner)
    _overrun(site)
    with django_capture_on_commit_callbacks(execute=True):
        (change,) = risk_check()
    assert change.after == "late"
    assert Notification.objects.count() == 2
    assert ProjectForecast.objects.get(project=site).state == State.LATE


def test_a_re_check_of_some_projects_leaves_the_others_as_they_were(owner, operator):
    _, site = promised_site(owner)
    _overrun(site)
    assert risk_check(project_pks=[]) == []
    assert not ProjectForecast.objects.exists()
    (change,) = risk_check(project_pks=[site.pk])
    assert change.project_pk == site.pk


def test_a_risk_check_changes_no_plan(owner, operator):
    # Forecasts are not a table the snapshot reads: writing them must not make every
    # process rebuild its plan.
    _, site = promised_site(owner)
    _overrun(site)
    before = ledger_version_get()
    risk_check()
    assert ledger_version_get() == before
