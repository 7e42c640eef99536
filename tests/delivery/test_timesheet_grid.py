"""The weekly timesheet grid through HTTP, and the database afterwards."""

# ruff: noqa: F811  (pytest injects the imported `company` fixture by parameter name)

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from promisekeeper.delivery.models import TimesheetEntry
from promisekeeper.delivery.timesheets import EntryChange, timesheet_save
from promisekeeper.sales.models import CapacityReservation
from tests import factories
from tests.delivery.timesheet_world import company  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _url(person, monday: datetime.date, **query: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return f"{reverse('delivery:timesheet', args=[person.pk])}?week={monday.isoformat()}{extra}"


def _log(company, person, phase, day: int, minutes: int, note: str = "") -> None:
    """Hours logged beforehand, as operations would."""
    timesheet_save(
        user=_ops(),
        changes=[EntryChange(person, phase, company.day(day), minutes, note)],
        today=company.day(6),
    )


def _ops():
    user = factories.UserFactory(username="ops-setup")
    user.groups.add(Group.objects.get_or_create(name="operations")[0])
    return user


def _grid(response):
    return response.context["grid"]


def _errors(response) -> dict[tuple[str, int], str]:
    """Each refused cell's message, keyed by (row label, day index)."""
    return {
        (row.label, d): cell.error
        for row in _grid(response).rows
        for d, cell in enumerate(row.cells)
        if cell.error
    }


def test_a_person_logs_their_week_and_sees_the_totals(client, company):
    client.force_login(company.ada.user)
    page = client.get(_url(company.ada, company.last_monday))
    assert page.status_code == 200
    assert [row.label for row in _grid(page).rows] == ["New row"]
    assert f'<option value="{company.build.pk}">Build</option>' in page.content.decode()
    assert f'value="{company.install.pk}"' not in page.content.decode(), "not a skill of Ada's"

    response = client.post(
        _url(company.ada, company.last_monday),
        {
            "rows": "1",
            "phase-0": str(company.build.pk),
            "hours-0-0": "7.5",
            "hours-0-1": "8:15",
            "hours-0-2": "",
            "note-0-0": "Kick-off",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == _url(company.ada, company.last_monday)
    assert company.entries() == [
        ("Ada", company.day(0), "Build", 450, "Kick-off"),
        ("Ada", company.day(1), "Build", 495, ""),
    ]
    assert TimesheetEntry.objects.filter(entered_by=company.ada.user).count() == 2
    company.build.refresh_from_db()
    assert company.build.effort_actual_hours == Decimal("15.75")
    page = client.get(response["Location"])
    grid = _grid(page)
    assert [row.label for row in grid.rows] == ["Acme site: Build", "New row"]
    assert [cell.value for cell in grid.rows[0].cells[:3]] == ["7.5", "8.25", ""]
    assert grid.rows[0].total == "15.75" and grid.total == "15.75"
    assert [total for total, _ in grid.day_totals][:3] == ["7.5", "8.25", "0"]
    assert "Hours saved: 2 new." in page.content.decode()


def test_every_bad_cell_says_why_and_nothing_is_saved(client, company):
    _log(company, company.ada, company.build, 0, 8 * 60, "Design")
    before = company.entries()
    client.force_login(company.ada.user)

    response = client.post(
        _url(company.ada, company.last_monday),
        {
            "rows": "3",
            "phase-0": str(company.build.pk),
            "hours-0-0": "9",  # a change that would be saved on its own
            "hours-0-1": "-2",
            "hours-0-2": "lots",
            "hours-0-3": "25",
            "hours-0-4": "20",
            "phase-1": str(company.install.pk),
            "hours-1-4": "6",
            "phase-2": str(company.cancelled_build.pk),
            "hours-2-5": "1",
        },
    )

    assert response.status_code == 200
    errors = _errors(response)
    assert errors[("Acme site: Build", 1)] == "Hours cannot be negative."
    assert errors[("Acme site: Build", 2)].startswith("Write hours as a number")
    assert errors[("Acme site: Build", 3)] == "No more than 24 h in a day."
    assert errors[("Acme site: Install", 4)] == (
        "Ada has no skill as installer, which Install needs."
    )
    assert errors[("Old site: Build", 5)] == "Old site is cancelled: no hours can be logged on it."
    assert ("Acme site: Build", 0) not in errors
    assert "Nothing was saved" in response.content.decode()
    assert 'aria-invalid="true" aria-describedby="hours-0-1-error"' in response.content.decode()
    assert company.entries() == before
    company.build.refresh_from_db()
    assert company.build.effort_actual_hours == Decimal("8.00")


def test_a_day_over_24_hours_in_all_is_refused_on_the_cells_that_add_to_it(client, company):
    other = factories.ProjectPhaseFactory(
        project=company.site, key="test", name="Test", role=company.developer, order=3
    )
    _log(company, company.ada, other, 2, 20 * 60)
    client.force_login(company.ada.user)

    response = client.post(
        _url(company.ada, company.last_monday),
        {"rows": "2", "phase-0": str(company.build.pk), "hours-0-2": "5", "phase-1": str(other.pk)},
    )

    assert response.status_code == 200
    assert _errors(response) == {
        ("Acme site: Build", 2): (
            f"Ada would have 25 h on {company.day(2):%d %b %Y} in all: no more than 24 h a day."
        )
    }
    assert TimesheetEntry.objects.filter(phase=company.build).count() == 0


def test_days_still_to_come_cannot_be_logged(client, company):
    next_monday = company.last_monday + datetime.timedelta(days=14)
    client.force_login(company.ada.user)
    page = client.get(_url(company.ada, next_monday)).content.decode()
    assert page.count(" disabled") >= 7

    response = client.post(
        _url(company.ada, next_monday),
        {"rows": "1", "phase-0": str(company.build.pk), "hours-0-0": "4"},
    )

    assert response.status_code == 200
    assert "is still to come" in _errors(response)[("Acme site: Build", 0)]
    assert not TimesheetEntry.objects.exists()


def test_hours_without_a_phase_are_refused_on_their_row(client, company):
    client.force_login(company.ada.user)
    response = client.post(
        _url(company.ada, company.last_monday), {"rows": "1", "phase-0": "", "hours-0-0": "4"}
    )
    assert response.status_code == 200
    assert _grid(response).rows[0].error == "Choose the project phase these hours are for."
    assert not TimesheetEntry.objects.exists()


def test_saving_the_same_week_again_changes_nothing(client, company):
    client.force_login(company.ada.user)
    data = {"rows": "1", "phase-0": str(company.build.pk), "hours-0-0": "3", "note-0-0": "x"}
    client.post(_url(company.ada, company.last_monday), data)
    stamp = TimesheetEntry.objects.get().updated_at

    response = client.post(_url(company.ada, company.last_monday), data, follow=True)

    assert "Nothing had changed." in response.content.decode()
    assert TimesheetEntry.objects.get().updated_at == stamp


def test_emptying_a_cell_removes_its_hours_from_the_phase(client, company):
    _log(company, company.ada, company.build, 0, 120)
    _log(company, company.ada, company.build, 1, 60)
    client.force_login(company.ada.user)

    response = client.post(
        _url(company.ada, company.last_monday),
        {"rows": "1", "phase-0": str(company.build.pk), "hours-0-0": "", "hours-0-1": "1"},
    )

    assert response.status_code == 302
    assert company.entries() == [("Ada", company.day(1), "Build", 60, "")]
    company.build.refresh_from_db()
    assert company.build.effort_actual_hours == Decimal("1.00")


def test_copy_last_week_fills_the_empty_days_and_saves_only_when_saved(client, company):
    two_weeks_ago = company.last_monday - datetime.timedelta(days=7)
    for day, minutes in ((0, 240), (2, 300)):
        timesheet_save(
            user=_ops(),
            changes=[
                EntryChange(
                    company.ada,
                    company.build,
                    two_weeks_ago + datetime.timedelta(days=day),
                    minutes,
                    "Sprint",
                )
            ],
            today=company.day(6),
        )
    _log(company, company.ada, company.build, 2, 60)
    before = company.entries()
    client.force_login(company.ada.user)

    page = client.get(_url(company.ada, company.last_monday, copy="last-week"))

    row = _grid(page).rows[0]
    assert [c.value for c in row.cells[:3]] == ["4", "", "1"], "a logged day is kept"
    assert [c.copied for c in row.cells[:3]] == [True, False, False]
    assert row.cells[0].note == "Sprint"
    assert "nothing is saved until you press Save" in page.content.decode()
    assert company.entries() == before

    response = client.post(
        _url(company.ada, company.last_monday),
        {
            "rows": "2",
            "phase-0": str(company.build.pk),
            "hours-0-0": "4",
            "hours-0-2": "1",
            "note-0-0": "Sprint",
        },
    )
    assert response.status_code == 302
    assert company.entries()[-2:] == [
        ("Ada", company.day(0), "Build", 240, "Sprint"),
        ("Ada", company.day(2), "Build", 60, ""),
    ]


def test_planned_hours_show_in_the_empty_cells(client, company):
    promise = factories.PromiseFactory()
    CapacityReservation.objects.create(
        promise=promise,
        project=company.site,
        phase_key="build",
        person=company.ada,
        day=company.day(3),
        minutes=360,
    )
    client.force_login(company.ada.user)
    page = client.get(_url(company.ada, company.last_monday))
    row = _grid(page).rows[0]
    assert row.label == "Acme site: Build"
    assert row.cells[3].planned == "6" and row.cells[3].value == ""
    assert 'placeholder="6" title="6 h planned"' in page.content.decode()


def test_operations_log_hours_for_anyone(client, company, ops_user):
    client.force_login(ops_user)
    assert client.get(reverse("delivery:timesheets")).status_code == 200

    response = client.post(
        _url(company.bob, company.last_monday),
        {"rows": "1", "phase-0": str(company.build.pk), "hours-0-4": "6"},
    )

    assert response.status_code == 302
    entry = TimesheetEntry.objects.get()
    assert (entry.person, entry.minutes, entry.entered_by) == (company.bob, 360, ops_user)


def test_another_person_cannot_open_or_change_someone_elses_week(client, company):
    client.force_login(company.bob.user)
    assert client.get(_url(company.ada, company.last_monday)).status_code == 403
    response = client.post(
        _url(company.ada, company.last_monday),
        {"rows": "1", "phase-0": str(company.build.pk), "hours-0-0": "8"},
    )
    assert response.status_code == 403
    assert not TimesheetEntry.objects.exists()


def test_the_timesheets_link_takes_a_person_to_their_own_week(client, company, sales_user):
    client.force_login(company.ada.user)
    response = client.get(reverse("delivery:timesheets"))
    assert response.status_code == 302
    assert response["Location"] == reverse("delivery:timesheet", args=[company.ada.pk])
    client.force_login(sales_user)
    refused = client.get(reverse("delivery:timesheets"))
    assert refused.status_code == 403
    assert "No person is linked to your account" in refused.content.decode()


@pytest.mark.parametrize("week", ["0001-01-01", "9999-12-31", "not-a-date"])
def test_a_week_at_the_end_of_the_calendar_or_no_date_at_all_opens_this_week(client, company, week):
    client.force_login(company.ada.user)
    response = client.get(reverse("delivery:timesheet", args=[company.ada.pk]), {"week": week})
    assert response.status_code == 200
    assert _grid(response).monday == company.last_monday + datetime.timedelta(days=7)
