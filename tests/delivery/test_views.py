# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
from __future__ import annotations

import csv
import datetime
import io

import icalendar
import pytest
from django.urls import reverse

from tests.insights.conftest import fresh_snapshot, world  # noqa: F401

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [p.name for p in response.context["projects"]]


def test_project_list_filters_and_sorts(client, world, sales_user):
    client.force_login(sales_user)
    url = reverse("delivery:projects")
    assert set(_names(client.get(url))) == {"Tight", "Easy", "Delivered -10", "Delivered -20"}
    assert _names(client.get(url, {"status": "committed", "sort": "name"})) == ["Easy", "Tight"]
    assert _names(client.get(url, {"status": "committed", "sort": "-name"})) == ["Tight", "Easy"]
    assert set(_names(client.get(url, {"customer": world.alpha.pk}))) == {"Tight", "Delivered -10"}
    assert _names(client.get(url, {"q": "tig"})) == ["Tight"]
    assert _names(client.get(url, {"sort": "promised", "status": "committed"})) == ["Tight", "Easy"]


def test_project_list_rows_link_to_project_pages_and_htmx_gets_the_partial(
    client, world, sales_user
):
    client.force_login(sales_user)
    page = client.get(reverse("delivery:projects")).content.decode()
    assert f'href="/delivery/projects/{world.tight.pk}/"' in page
    partial = client.get(
        reverse("delivery:projects"), {"q": "easy"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in partial and 'id="results"' in partial and "Easy" in partial


def test_project_list_links_each_project_to_its_deal(client, world, sales_user):
    from promisekeeper.sales.models import Deal

    deal = Deal.objects.create(customer=world.tight.customer, name="Tight deal")
    world.tight.deal = deal
    world.tight.save(update_fields=["deal"])
    client.force_login(sales_user)
    page = client.get(reverse("delivery:projects")).content.decode()
    assert f'<a href="/sales/deals/{deal.pk}/">Tight deal</a>' in page
    assert client.get(f"/sales/deals/{deal.pk}/").status_code == 200
    detail = client.get(reverse("delivery:project_detail", args=[world.tight.pk])).content.decode()
    assert f'href="/sales/deals/{deal.pk}/"' in detail


def test_operations_see_the_quote_link_in_the_top_bar(client, world, ops_user, outsider):
    client.force_login(ops_user)
    page = client.get(reverse("delivery:projects")).content.decode()
    assert 'href="/sales/quote/"' in page and 'href="/sales/exceptions/"' in page
    client.force_login(outsider)
    assert 'href="/sales/quote/"' not in client.get(reverse("delivery:projects")).content.decode()


def test_projects_csv_follows_the_filters(client, world, sales_user):
    client.force_login(sales_user)
    response = client.get(reverse("delivery:projects"), {"status": "delivered", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["project"] for r in rows} == {"Delivered -10", "Delivered -20"}
    assert all(r["delivered"] for r in rows)


def test_project_page_shows_plan_and_risk(client, world, sales_user):
    client.force_login(sales_user)
    response = client.get(reverse("delivery:project_detail", args=[world.tight.pk]))
    assert response.context["at_risk"]
    assert "Build" in response.context["reason"]
    assert response.context["planned_people"] == ["Ada Lovelace"]
    easy = client.get(reverse("delivery:project_detail", args=[world.easy.pk]))
    assert not easy.context["at_risk"]
    assert client.get(reverse("delivery:project_detail", args=[9999])).status_code == 404


def test_delivered_project_page_offers_a_thank_you_form(client, world, sales_user):
    client.force_login(sales_user)
    done = client.get(reverse("delivery:project_detail", args=[world.done_on_time.pk]))
    assert "Say thank you" in done.content.decode()
    open_page = client.get(reverse("delivery:project_detail", args=[world.tight.pk]))
    assert "Say thank you" not in open_page.content.decode()


def test_thank_you_via_htmx_returns_the_notes_partial(client, world, sales_user):
    client.force_login(sales_user)
    response = client.post(
        reverse("delivery:project_thank", args=[world.done_on_time.pk]),
        {"text": "Thanks all"},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert "<html" not in page and "Thanks all" in page


def test_project_calendar_has_phases_checkins_and_the_promise(client, world, sales_user):
    from promisekeeper.delivery.checkins import checkins_schedule
    from promisekeeper.organisation.working_days import working_days_get

    checkins_schedule(project=world.easy, today=world.today)
    client.force_login(sales_user)
    response = client.get(reverse("delivery:project_calendar", args=[world.easy.pk]))
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    build = events["Easy: Build"]
    assert build.decoded("DTSTART") >= world.today
    promised = events["Promised delivery: Easy"]
    assert promised.decoded("DTSTART") == world.today + datetime.timedelta(days=60)
    checkins = [e for s, e in events.items() if s.startswith("Check-in with Beta Ltd")]
    # Weekly check-ins up to the promised date, each on a working day (a weekend, holiday or
    # closure moves one on to the next working day, so no two are more than a week apart
    # unless a closure lies between them).
    assert checkins
    days = sorted(e.decoded("DTSTART") for e in checkins)
    working = working_days_get(start=days[0], end=days[-1])
    assert all(working.is_working(day) for day in days)
    assert days[-1] <= world.today + datetime.timedelta(days=60)
    assert "Sales–operations check-in: Easy" in events


def test_delivered_project_calendar_uses_actual_dates(client, world, sales_user):
    from promisekeeper.delivery.models import ProjectPhase

    ProjectPhase.objects.filter(project=world.done_on_time).update(
        actual_start=world.today - datetime.timedelta(days=30),
        actual_end=world.today - datetime.timedelta(days=12),
    )
    client.force_login(sales_user)
    response = client.get(reverse("delivery:project_calendar", args=[world.done_on_time.pk]))
    calendar = icalendar.Calendar.from_ical(response.content)
    done = [e for e in calendar.walk("VEVENT") if "(done)" in str(e["SUMMARY"])]
    assert len(done) == 1
    assert done[0].decoded("DTSTART") == world.today - datetime.timedelta(days=30)


def test_the_project_calendar_needs_a_session(client, world, sales_user):
    url = reverse("delivery:project_calendar", args=[world.easy.pk])
    assert client.get(url, {"token": "anything"}).status_code == 302
    client.force_login(sales_user)
    page = client.get(reverse("delivery:project_detail", args=[world.easy.pk])).content.decode()
    assert "?token=" not in page and reverse("feeds:calendar_feeds") in page
