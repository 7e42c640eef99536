"""Calendar feeds by secret link: no session needed, revocable, and only what the link's user
may see."""

# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
from __future__ import annotations

import datetime

import icalendar
import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from promisekeeper.delivery.checkins import checkins_schedule
from promisekeeper.insights.feeds import feed_token_issue, feed_token_revoke
from promisekeeper.insights.models import CalendarFeedToken
from promisekeeper.organisation.models import OrganisationSettings
from promisekeeper.people.models import TimeOff
from tests import factories
from tests.insights.conftest import fresh_snapshot, world  # noqa: F401

pytestmark = pytest.mark.django_db


def _events(response) -> dict[str, icalendar.Event]:
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


@pytest.fixture
def sick_ada(world):
    return TimeOff.objects.create(
        person=world.ada,
        start_date=world.today + datetime.timedelta(days=3),
        end_date=world.today + datetime.timedelta(days=4),
        kind=TimeOff.Kind.SICK,
    )


def test_a_project_feed_opens_without_a_session_and_parses(world, sales_user):
    checkins_schedule(project=world.easy, today=world.today)
    secret = feed_token_issue(user=sales_user)
    events = _events(Client().get(reverse("feeds:project", args=[secret, world.easy.pk])))
    assert "Promised delivery: Easy" in events
    assert "Check-in with Beta Ltd: Easy" in events


def test_the_person_feed_has_the_users_checkins_work_and_own_time_off_reasons(world, groups):
    user = factories.UserFactory(username="ada")
    user.groups.add(groups["sales"])
    world.ada.user = user
    world.ada.save()
    TimeOff.objects.create(
        person=world.ada,
        start_date=world.today + datetime.timedelta(days=3),
        end_date=world.today + datetime.timedelta(days=3),
        kind=TimeOff.Kind.SICK,
    )
    world.easy.sales_owner = user
    world.easy.save()
    checkins_schedule(project=world.easy, today=world.today)
    events = _events(Client().get(reverse("feeds:person", args=[feed_token_issue(user=user)])))
    assert "Ada Lovelace: Sick (approved)" in events
    assert "Check-in with Beta Ltd: Easy" in events
    assert "Sales–operations check-in: Easy" in events
    assert any(summary.endswith(": Build") for summary in events), "planned work"


def test_a_sellers_team_feed_says_away_never_why(world, sales_user, sick_ada):
    secret = feed_token_issue(user=sales_user)
    response = Client().get(reverse("feeds:team", args=[secret, world.developer.pk]))
    events = _events(response)
    assert "Ada Lovelace: Away (approved)" in events
    assert b"Sick" not in response.content
    assert not any(summary.endswith(": Build") for summary in events), "no one's load"


def test_operations_team_feed_shows_why_and_planned_work(world, ops_user, sick_ada):
    secret = feed_token_issue(user=ops_user)
    events = _events(Client().get(reverse("feeds:team", args=[secret, world.developer.pk])))
    assert "Ada Lovelace: Sick (approved)" in events
    assert any(summary.endswith(": Build") for summary in events)


def test_a_revoked_or_replaced_or_unknown_secret_is_not_found(world, sales_user):
    first = feed_token_issue(user=sales_user)
    url = reverse("feeds:person", args=[first])
    assert Client().get(url).status_code == 200
    second = feed_token_issue(user=sales_user)
    assert Client().get(url).status_code == 404, "a new link ends the old"
    assert Client().get(reverse("feeds:person", args=[second])).status_code == 200
    assert feed_token_revoke(user=sales_user)
    assert Client().get(reverse("feeds:person", args=[second])).status_code == 404
    assert Client().get(reverse("feeds:person", args=["made-up"])).status_code == 404


def test_a_deactivated_users_links_stop_working(world, sales_user):
    secret = feed_token_issue(user=sales_user)
    sales_user.is_active = False
    sales_user.save()
    assert Client().get(reverse("feeds:person", args=[secret])).status_code == 404


def test_a_link_opens_only_what_its_user_may_read(world, groups):
    no_role = factories.UserFactory(username="no-role")
    secret = feed_token_issue(user=no_role)
    assert Client().get(reverse("feeds:person", args=[secret])).status_code == 200
    project = reverse("feeds:project", args=[secret, world.easy.pk])
    assert Client().get(project).status_code == 403
    team = reverse("feeds:team", args=[secret, world.developer.pk])
    assert Client().get(team).status_code == 403


def test_only_the_digest_of_the_secret_is_stored(sales_user):
    secret = feed_token_issue(user=sales_user)
    stored = CalendarFeedToken.objects.get(user=sales_user)
    assert secret not in stored.digest and len(stored.digest) == 64


def test_the_feeds_page_shows_new_links_once_and_revokes_them(client, world, sales_user):
    client.force_login(sales_user)
    url = reverse("feeds:calendar_feeds")
    assert "no calendar links yet" in client.get(url).content.decode()
    page = client.post(url, {"action": "issue"}).content.decode()
    assert "/calendar/" in page and "/person.ics" in page and "Easy" in page
    again = client.get(url).content.decode()
    assert "/person.ics" not in again and "You have calendar links" in again
    assert client.post(url, {"action": "revoke"}).status_code == 302
    assert not CalendarFeedToken.objects.filter(user=sales_user).exists()


def test_the_database_refuses_a_digest_of_the_wrong_length_or_twice(sales_user, ops_user):
    refused = pytest.raises(IntegrityError, match="calendar_feed_token_digest_length")
    with refused, transaction.atomic():
        CalendarFeedToken.objects.create(user=sales_user, digest="abc")
    CalendarFeedToken.objects.create(user=sales_user, digest="a" * 64)
    with pytest.raises(IntegrityError, match="(?i)unique"), transaction.atomic():
        CalendarFeedToken.objects.create(user=ops_user, digest="a" * 64)


def test_operations_feeds_hold_every_sales_operations_checkin_at_the_set_time(
    world, ops_user, sales_user
):
    world.easy.sales_owner = sales_user
    world.easy.save()
    OrganisationSettings.objects.update(
        internal_checkin_time=datetime.time(15, 0), internal_checkin_minutes=45
    )
    checkins_schedule(project=world.easy, today=world.today)
    events = _events(Client().get(reverse("feeds:person", args=[feed_token_issue(user=ops_user)])))
    meeting = events["Sales–operations check-in: Easy"]
    start, end = meeting["DTSTART"].dt, meeting["DTEND"].dt
    assert isinstance(start, datetime.datetime)
    assert (start.hour, start.minute) == (15, 0)
    assert end - start == datetime.timedelta(minutes=45)
    assert "with operations" in str(meeting["DESCRIPTION"])
    assert "seller (sales) with operations" in str(meeting["DESCRIPTION"])
    # The customer check-ins stay with their owner: operations did not take them.
    assert "Check-in with Beta Ltd: Easy" not in events
