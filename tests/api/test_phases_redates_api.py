# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""The phase and re-date APIs through HTTP: the same rules as the pages, errors naming the
field, and the database checked afterwards (changed when allowed, untouched when not)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from promisekeeper.api.services import api_token_create
from promisekeeper.delivery.models import Project, ProjectPhase
from promisekeeper.sales.models import CapacityReservation, Promise, RedateRequest
from tests.insights.forecast_world import build_phase, promised_site
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    deal_for,
    nth_working_day,
    ops_manager,
    other_rep,
    sales_rep,
    shop_create,
)
from tests.sales.test_redate_views import promised, state

pytestmark = pytest.mark.django_db


def _api(client: Any, user: Any):
    _, key = api_token_create(user=user)
    headers = {"Authorization": f"Bearer {key}"}

    def call(method: str, path: str, body: Any = None, **extra: str) -> Any:
        if method == "get":
            return client.get(f"/api{path}", headers=headers)
        return client.post(
            f"/api{path}",
            json.dumps(body),
            content_type="application/json",
            headers={**headers, **extra},
        )

    return call


def _reserved_minutes(project: Any) -> int:
    total = CapacityReservation.objects.filter(project=project).aggregate(m=Sum("minutes"))["m"]
    return int(total or 0)


def test_operations_read_the_phases_and_mark_one_done_releasing_its_hours(
    client, sales_user, ops_user
):
    _, site = promised_site(sales_user)
    build = build_phase(site)
    api = _api(client, ops_user)

    listed = api("get", f"/projects/{site.pk}/phases")
    assert listed.status_code == 200, listed.content
    assert [(p["id"], p["state"]) for p in listed.json()] == [
        (p.pk, p.state) for p in site.phases.order_by("order", "pk")
    ]
    before = _reserved_minutes(site)
    assert before > 0

    done = api("post", f"/phases/{build.pk}/report", {"state": "done"})

    assert done.status_code == 200, done.content
    body = done.json()
    assert body["phase"]["state"] == "done" and body["released_hours"] > 0
    build.refresh_from_db()
    today = timezone.localdate()
    assert (build.state, build.actual_start, build.actual_end) == ("done", today, today)
    assert _reserved_minutes(site) == before - round(body["released_hours"] * 60)


@pytest.mark.parametrize(
    ("report", "field"),
    [
        ({"state": "finished"}, "state"),
        ({"state": "in_progress", "remaining_hours": "-3"}, "remaining_hours"),
        ({"state": "not_started", "actual_end": "2026-01-05"}, "actual_end"),
    ],
)
def test_a_bad_phase_report_names_the_field_and_changes_nothing(
    client, sales_user, ops_user, report, field
):
    _, site = promised_site(sales_user)
    build = build_phase(site)
    before = (ProjectPhase.objects.filter(pk=build.pk).values().get(), _reserved_minutes(site))

    response = _api(client, ops_user)("post", f"/phases/{build.pk}/report", report)

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert (ProjectPhase.objects.filter(pk=build.pk).values().get(), _reserved_minutes(site)) == (
        before
    )


def test_a_seller_reads_the_phases_but_may_not_report_them(client, sales_user):
    _, site = promised_site(sales_user)
    build = build_phase(site)
    api = _api(client, sales_user)
    assert api("get", f"/projects/{site.pk}/phases").status_code == 200

    refused = api("post", f"/phases/{build.pk}/report", {"state": "done"})

    assert refused.status_code == 403
    assert ProjectPhase.objects.get(pk=build.pk).state == build.state
    assert api("get", "/projects/999999/phases").status_code == 404
    assert api("post", "/phases/999999/report", {"state": "done"}).status_code == 404


def test_a_customer_change_is_applied_and_sent_again_gives_the_same_answer(client, sales_rep):
    shop = shop_create()
    deal = promised(shop, sales_rep)
    later = nth_working_day(12)
    api = _api(client, sales_rep)
    key = str(uuid.uuid4())
    body = {"promised_date": later.isoformat(), "reason_code": "customer_change"}

    first = api("post", f"/deals/{deal.pk}/redates", body, **{"Idempotency-Key": key})
    again = api("post", f"/deals/{deal.pk}/redates", body, **{"Idempotency-Key": key})

    assert first.status_code == 200, first.content
    assert first.json()["status"] == "applied" and first.json()["promised_date"] == str(later)
    assert again.json() == first.json()
    assert Project.objects.get(deal=deal).promised_date == later
    assert Promise.objects.filter(deal=deal).count() == 2
    assert RedateRequest.objects.get().status == "applied"


def test_a_move_we_caused_waits_for_operations_who_approve_it_through_the_api(
    client, sales_rep, ops_manager
):
    shop = shop_create()
    deal = promised(shop, sales_rep)
    later = nth_working_day(10)
    body = {"promised_date": later.isoformat(), "reason_code": "our_capacity", "note": "Short"}

    asked = _api(client, sales_rep)("post", f"/deals/{deal.pk}/redates", body, **_key())
    assert asked.status_code == 200, asked.content
    assert asked.json()["status"] == "requested"
    request_id = asked.json()["request_id"]
    assert Project.objects.get(deal=deal).promised_date == nth_working_day(5)
    own = _api(client, sales_rep)(
        "post", f"/redates/{request_id}/decision", {"decision": "approve"}
    )
    assert own.status_code == 403

    decided = _api(client, ops_manager)(
        "post", f"/redates/{request_id}/decision", {"decision": "approve", "comment": "Agreed"}
    )

    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "applied"
    request = RedateRequest.objects.get(pk=request_id)
    assert (request.status, request.decided_by, request.decision_comment) == (
        "applied",
        ops_manager,
        "Agreed",
    )
    assert Project.objects.get(deal=deal).promised_date == later


def test_a_date_the_plan_cannot_make_is_refused_with_the_earliest_and_nothing_changes(
    client, sales_rep
):
    shop = shop_create()
    deal = promised(shop, sales_rep)
    before = state(deal)
    body = {"promised_date": nth_working_day(3).isoformat(), "reason_code": "customer_change"}

    refused = _api(client, sales_rep)("post", f"/deals/{deal.pk}/redates", body, **_key())

    assert refused.status_code == 409, refused.content
    assert refused.json()["status"] == "refused"
    assert refused.json()["earliest"] is not None and refused.json()["reason"]
    assert state(deal) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"promised_date": "2026-01-01", "reason_code": "whim"}, "reason_code"),
        ({"promised_date": "2026-01-01", "reason_code": "other"}, "note"),
    ],
)
def test_a_bad_redate_names_the_field_and_changes_nothing(client, sales_rep, body, field):
    shop = shop_create()
    deal = promised(shop, sales_rep)
    before = state(deal)

    response = _api(client, sales_rep)("post", f"/deals/{deal.pk}/redates", body, **_key())

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert state(deal) == before


def test_another_seller_may_not_redate_and_an_unknown_deal_is_named(client, sales_rep, other_rep):
    shop = shop_create()
    deal = promised(shop, sales_rep)
    unpromised = deal_for(shop, other_rep)
    before = state(deal)
    body = {"promised_date": nth_working_day(12).isoformat(), "reason_code": "customer_change"}
    api = _api(client, other_rep)

    assert api("post", f"/deals/{deal.pk}/redates", body, **_key()).status_code == 403
    unknown = api("post", "/deals/999999/redates", body, **_key())
    assert unknown.status_code == 400 and unknown.json()["field"] == "deal_id"
    nothing = api("post", f"/deals/{unpromised.pk}/redates", body, **_key())
    assert nothing.status_code == 400 and nothing.json()["field"] == "deal"
    assert state(deal) == before
    assert api("post", "/redates/999999/decision", {"decision": "approve"}).status_code == 404


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}
