"""The timesheet API through HTTP: the grid's rules, errors naming the entry, DB unchanged."""

# ruff: noqa: F811  (pytest injects the imported `company` fixture by parameter name)

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from promisekeeper.api.services import api_token_create
from promisekeeper.delivery.models import ProjectPhase, TimesheetEntry
from tests.delivery.timesheet_world import company  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _caller(client, user):
    _, key = api_token_create(user=user)
    headers = {"Authorization": f"Bearer {key}"}

    def call(method: str, body=None, query=None):
        if method == "get":
            return client.get("/api/timesheets", query or {}, headers=headers)
        return client.put(
            "/api/timesheets", json.dumps(body), content_type="application/json", headers=headers
        )

    return call


def _entry(company, day: int, hours, **fields):
    return {"phase_id": company.build.pk, "date": str(company.day(day)), "hours": hours, **fields}


def test_a_person_sets_their_hours_and_sending_them_again_changes_nothing(client, company):
    as_ada = _caller(client, company.ada.user)
    body = {"entries": [_entry(company, 0, 7.5, note="Kick-off"), _entry(company, 1, 0.25)]}

    first = as_ada("put", body)

    assert first.status_code == 200, first.content
    assert [r["status"] for r in first.json()] == ["new", "new"]
    assert first.json()[0]["entry"]["minutes"] == 450
    assert first.json()[0]["entry"]["project"] == "Acme site"
    assert company.entries() == [
        ("Ada", company.day(0), "Build", 450, "Kick-off"),
        ("Ada", company.day(1), "Build", 15, ""),
    ]
    assert ProjectPhase.objects.get(pk=company.build.pk).effort_actual_hours == Decimal("7.75")
    again = as_ada("put", body)
    assert [r["status"] for r in again.json()] == ["unchanged", "unchanged"]

    changed = as_ada("put", {"entries": [_entry(company, 0, 6), _entry(company, 1, 0)]})
    assert [r["status"] for r in changed.json()] == ["update", "update"]
    assert changed.json()[1]["entry"] is None
    assert company.entries() == [("Ada", company.day(0), "Build", 360, "Kick-off")]


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        ({"hours": -1}, "entries[1].hours", "Hours cannot be negative."),
        ({"hours": 25}, "entries[1].hours", "No more than 24 h in a day."),
        ({"phase": "install"}, "entries[1].phase_id", "Ada has no skill as installer"),
        ({"phase": "cancelled"}, "entries[1].phase_id", "Old site is cancelled"),
        ({"phase_id": 999_999}, "entries[1].phase_id", "no such phase"),
        ({"person_id": 999_999}, "entries[1].person_id", "no such person"),
        ({"date": "2999-01-01"}, "entries[1].date", "is still to come"),
        ({"date": "2001-01-01"}, "entries[1].date", "Ada did not work here on 01 Jan 2001."),
        ({"note": "x" * 501}, "entries[1].note", "at most 500 characters"),
    ],
)
def test_one_bad_entry_refuses_the_batch_naming_it(client, company, entry, field, message):
    phase = {"install": company.install, "cancelled": company.cancelled_build}.get(
        entry.pop("phase", ""), company.build
    )
    bad = {**_entry(company, 2, 1), "phase_id": phase.pk, **entry}

    response = _caller(client, company.ada.user)("put", {"entries": [_entry(company, 1, 2), bad]})

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert message in response.json()["message"]
    assert not TimesheetEntry.objects.exists()


def test_a_person_cannot_set_or_read_someone_elses_hours(client, company):
    as_bob = _caller(client, company.bob.user)
    refused = as_bob("put", {"entries": [_entry(company, 0, 8, person_id=company.ada.pk)]})
    assert refused.status_code == 403
    assert refused.json() == {
        "field": None,
        "message": "Only the person themselves and operations can log these hours.",
    }
    assert as_bob("get", query={"person_id": company.ada.pk}).status_code == 403
    assert not TimesheetEntry.objects.exists()


def test_operations_set_and_read_anyones_hours(client, company, ops_user):
    as_ops = _caller(client, ops_user)
    put = as_ops(
        "put",
        {
            "entries": [
                _entry(company, 0, 4, person_id=company.ada.pk),
                _entry(company, 0, 3, person_id=company.bob.pk),
            ]
        },
    )
    assert put.status_code == 200, put.content

    listed = as_ops("get", query={"date_from": str(company.day(0)), "date_to": str(company.day(6))})
    assert [(e["person_email"], e["hours"]) for e in listed.json()] == [
        ("ada@example.com", 4.0),
        ("bob@example.com", 3.0),
    ]
    only_bob = as_ops(
        "get", query={"person_id": company.bob.pk, "date_from": str(company.day(0))}
    ).json()
    assert [e["person_id"] for e in only_bob] == [company.bob.pk]
    assert TimesheetEntry.objects.get(person=company.bob).entered_by == ops_user


def test_a_person_lists_only_their_own_hours(client, company, ops_user):
    _caller(client, ops_user)(
        "put",
        {
            "entries": [
                _entry(company, 0, 4, person_id=company.ada.pk),
                _entry(company, 0, 3, person_id=company.bob.pk),
            ]
        },
    )
    mine = _caller(client, company.ada.user)("get", query={"date_from": str(company.day(0))})
    assert [e["person_email"] for e in mine.json()] == ["ada@example.com"]


def test_a_date_range_that_runs_backwards_is_refused(client, company, ops_user):
    response = _caller(client, ops_user)(
        "get", query={"date_from": str(company.day(3)), "date_to": str(company.day(0))}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "date_from"


def test_the_schema_documents_the_timesheet_operations_with_api_errors(client):
    schema = client.get("/api/openapi.json").json()
    operations = schema["paths"]["/api/timesheets"]
    assert set(operations) == {"get", "put"}
    error = operations["put"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ApiError"}


def test_the_first_day_of_the_calendar_is_a_date_range_like_any_other(client, company, ops_user):
    response = _caller(client, ops_user)("get", query={"date_to": "0001-01-01"})
    assert response.status_code == 200
    assert response.json() == []
