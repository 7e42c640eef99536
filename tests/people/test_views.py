# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
from __future__ import annotations

import csv
import datetime
import io

import icalendar
import pytest
from django.urls import reverse

from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.people.models import Person, TimeOff
from tests.insights.conftest import fresh_snapshot, world  # noqa: F401

pytestmark = pytest.mark.django_db


def test_people_list_shows_the_skills_matrix_and_filters(client, world, ops_user):
    client.force_login(ops_user)
    url = reverse("people:people")
    response = client.get(url)
    assert response.context["roles"] == ["designer", "developer"]
    matrix = {person.name: effs for person, effs in response.context["matrix"]}
    assert matrix["Ada Lovelace"] == [None, 1]
    assert [p.name for p, _ in client.get(url, {"role": "designer"}).context["matrix"]] == [
        "Ben Design"
    ]
    assert [p.name for p, _ in client.get(url, {"team": world.digital.pk}).context["matrix"]] == [
        "Ada Lovelace"
    ]
    assert [p.name for p, _ in client.get(url, {"sort": "-name"}).context["matrix"]] == [
        "Ben Design",
        "Ada Lovelace",
    ]


def test_people_csv_has_a_column_per_role(client, world, ops_user):
    client.force_login(ops_user)
    response = client.get(reverse("people:people"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    ada = next(r for r in rows if r["name"] == "Ada Lovelace")
    assert ada["developer"] == "1.00" and ada["designer"] == "" and ada["team"] == "Digital"


def test_person_page_shows_week_calendar_and_planned_work(client, world, sales_user):
    # The person themselves (here a seller too) reads their own page, and may not edit it.
    world.ada.user = sales_user
    world.ada.save()
    client.force_login(sales_user)
    response = client.get(reverse("people:person_detail", args=[world.ada.pk]))
    assert response.status_code == 200
    assert {b.project_name for b in response.context["blocks"]} == {"Tight", "Easy"}
    assert len(response.context["months"]) == 3
    assert not response.context["can_edit"]
    assert "Book time off" not in response.content.decode()


def test_time_off_preview_lists_affected_promises_without_saving(client, world, ops_user):
    client.force_login(ops_user)
    version = ledger_version_get()
    response = client.post(
        reverse("people:person_detail", args=[world.ada.pk]),
        {
            "start_date": world.today.isoformat(),
            "end_date": (world.today + datetime.timedelta(days=30)).isoformat(),
            "kind": "vacation",
            "status": "approved",
            "action": "preview",
        },
    )
    assert response.status_code == 200
    affected = {a.name: a for a in response.context["affected"]}
    assert set(affected) == {"Tight", "Easy"}
    assert affected["Easy"].finish_after > affected["Easy"].finish_before
    page = response.content.decode()
    assert "This change moves 2 promised projects" in page
    assert f"({affected['Easy'].days_moved} days later)" in page
    assert not TimeOff.objects.exists()
    assert ledger_version_get() == version


def test_time_off_save_goes_through_the_service_and_bumps_the_ledger(client, world, ops_user):
    client.force_login(ops_user)
    version = ledger_version_get()
    response = client.post(
        reverse("people:person_detail", args=[world.ada.pk]),
        {
            "start_date": "2031-01-06",
            "end_date": "2031-01-10",
            "kind": "training",
            "status": "tentative",
            "action": "save",
        },
    )
    assert response.status_code == 302
    off = TimeOff.objects.get()
    assert (off.person, off.kind, off.status) == (world.ada, "training", "tentative")
    assert ledger_version_get() == version + 1


def test_time_off_with_end_before_start_is_rejected(client, world, ops_user):
    client.force_login(ops_user)
    response = client.post(
        reverse("people:person_detail", args=[world.ada.pk]),
        {
            "start_date": "2031-01-10",
            "end_date": "2031-01-06",
            "kind": "vacation",
            "status": "approved",
            "action": "save",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["end_date"]
    assert not TimeOff.objects.exists()


def test_sales_cannot_change_capacity(client, world, sales_user):
    client.force_login(sales_user)
    response = client.post(
        reverse("people:person_detail", args=[world.ada.pk]),
        {
            "start_date": "2031-01-06",
            "end_date": "2031-01-10",
            "kind": "vacation",
            "status": "approved",
            "action": "save",
        },
    )
    assert response.status_code == 403
    assert client.get(reverse("people:person_new")).status_code == 403


def _new_person(**extra: str) -> dict[str, str]:
    data = {
        "name": "Cleo New",
        "email": "cleo@example.com",
        "role": "",
        "efficiency": "1.00",
        "start_date": "2020-01-01",
        "delivery_share": "1.00",
        "hours_mon": "8",
        "hours_tue": "8",
        "hours_wed": "8",
        "hours_thu": "8",
        "hours_fri": "8",
        "hours_sat": "0",
        "hours_sun": "0",
    }
    data.update(extra)
    return data


def test_adding_a_developer_previews_earlier_finishes_then_saves(client, world, ops_user):
    client.force_login(ops_user)
    url = reverse("people:person_new")
    preview = client.post(url, _new_person(role=str(world.developer.pk), action="preview"))
    assert preview.status_code == 200
    affected = {a.name: a for a in preview.context["affected"]}
    assert "Tight" in affected or "Easy" in affected
    assert all(a.finish_after <= a.finish_before for a in affected.values())
    assert not Person.objects.filter(email="cleo@example.com").exists()
    saved = client.post(url, _new_person(role=str(world.developer.pk), action="save"))
    cleo = Person.objects.get(email="cleo@example.com")
    assert saved.status_code == 302 and saved["Location"] == f"/people/{cleo.pk}/"
    assert [s.role.name for s in cleo.skills.all()] == ["developer"]


def test_htmx_save_redirects_the_whole_page(client, world, ops_user):
    client.force_login(ops_user)
    response = client.post(
        reverse("people:person_new"),
        _new_person(role=str(world.designer.pk), action="save"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/people/")


def test_person_calendar_feed_parses_with_work_and_time_off(client, world, ops_user):
    TimeOff.objects.create(
        person=world.ada,
        start_date=world.today + datetime.timedelta(days=90),
        end_date=world.today + datetime.timedelta(days=94),
    )
    client.force_login(ops_user)
    response = client.get(reverse("people:person_calendar", args=[world.ada.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert any(s.startswith("Tight: Build") for s in summaries)
    assert any(s.startswith("Easy: Build") for s in summaries)
    assert any("Vacation" in s for s in summaries)
    for event in calendar.walk("VEVENT"):
        assert event.decoded("DTEND") > event.decoded("DTSTART")


@pytest.mark.parametrize("name", ["people:people", "people:person_new"])
def test_people_pages_require_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def _booked(world) -> TimeOff:
    return TimeOff.objects.create(
        person=world.ada,
        start_date=world.today + datetime.timedelta(days=200),
        end_date=world.today + datetime.timedelta(days=201),
    )


def test_changing_time_off_previews_then_updates_the_same_entry(client, world, ops_user):
    booked = _booked(world)
    client.force_login(ops_user)
    url = reverse("people:person_detail", args=[world.ada.pk])
    page = client.get(url, {"edit": booked.pk})
    assert page.context["editing"] == booked
    assert page.context["form"].initial["start_date"] == booked.start_date
    moved = {
        "time_off": booked.pk,
        "start_date": world.today.isoformat(),
        "end_date": (world.today + datetime.timedelta(days=14)).isoformat(),
        "kind": "vacation",
        "status": "approved",
    }
    preview = client.post(url, {**moved, "action": "preview"})
    assert {a.name for a in preview.context["affected"]} >= {"Easy"}
    booked.refresh_from_db()
    assert booked.start_date == world.today + datetime.timedelta(days=200)
    version = ledger_version_get()
    assert client.post(url, {**moved, "action": "save"}).status_code == 302
    booked.refresh_from_db()
    assert booked.start_date == world.today and TimeOff.objects.count() == 1
    assert ledger_version_get() == version + 1


def test_time_off_of_someone_else_cannot_be_changed_through_this_page(client, world, ops_user):
    theirs = TimeOff.objects.create(person=world.ben, start_date=world.today, end_date=world.today)
    client.force_login(ops_user)
    client.post(
        reverse("people:person_detail", args=[world.ada.pk]),
        {
            "time_off": theirs.pk,
            "start_date": "2031-01-06",
            "end_date": "2031-01-07",
            "kind": "vacation",
            "status": "approved",
            "action": "save",
        },
    )
    theirs.refresh_from_db()
    assert theirs.start_date == world.today
    assert TimeOff.objects.filter(person=world.ada).count() == 1


def test_the_person_calendar_needs_a_session_and_the_page_links_to_calendar_links(
    client, world, ops_user
):
    url = reverse("people:person_calendar", args=[world.ada.pk])
    client.force_login(ops_user)
    page = client.get(reverse("people:person_detail", args=[world.ada.pk])).content.decode()
    assert "?token=" not in page and reverse("feeds:calendar_feeds") in page
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url, {"token": "anything"}).status_code == 302
