"""The phases page: operations and the people on a project report each phase's state, dates
and hours left; done gives back what is left of the phase's reservation."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from promisekeeper.delivery.models import ProjectAssignment, ProjectPhase, TimesheetEntry
from promisekeeper.insights.alerts import risk_check
from promisekeeper.promising.integrity import person_day_overcommitted
from promisekeeper.sales.models import CapacityReservation, PersonDayLoad
from tests import factories
from tests.insights.forecast_world import build_phase, forecast_of, promised_site
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import nth_working_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sales_user: Any) -> Any:
    shop, site = promised_site(sales_user)
    return shop, site


def _url(site: Any) -> str:
    return reverse("delivery:project_phases", args=[site.pk])


def _post(client: Any, site: Any, **data: Any) -> Any:
    return client.post(_url(site), {"phase": build_phase(site).pk, **data})


def _reserved_minutes(site: Any) -> int:
    total = CapacityReservation.objects.filter(project=site).aggregate(m=Sum("minutes"))["m"]
    return int(total or 0)


def _loads_match_reservations() -> None:
    per_day = {
        (r["person_id"], r["day"]): r["m"]
        for r in CapacityReservation.objects.values("person_id", "day").annotate(m=Sum("minutes"))
    }
    loads = {
        (p, d): m
        for p, d, m in PersonDayLoad.objects.filter(reserved_minutes__gt=0).values_list(
            "person_id", "day", "reserved_minutes"
        )
    }
    assert loads == per_day
    assert person_day_overcommitted() == []
    assert capacity_violations(connection) == []


def test_operations_mark_a_phase_done_and_its_reservation_from_today_is_released(
    client, ops_user, world
):
    _, site = world
    assert _reserved_minutes(site) == 40 * 60
    client.force_login(ops_user)

    response = _post(client, site, state="done")

    assert response.status_code == 302
    build = build_phase(site)
    today = timezone.localdate()
    assert (build.state, build.progress, build.actual_start, build.actual_end) == (
        "done",
        Decimal(1),
        today,
        today,
    )
    assert not CapacityReservation.objects.filter(project=site, day__gte=today).exists()
    _loads_match_reservations()
    page = client.get(_url(site))
    assert "40 reserved hours released" in page.content.decode()
    # Nothing is left to plan: the forecast finishes today at the latest.
    assert forecast_of(site).finish <= nth_working_day(1)


def test_an_estimate_of_the_hours_left_moves_the_forecast(client, ops_user, world):
    _, site = world
    client.force_login(ops_user)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = _post(
        client, site, state="in_progress", actual_start=yesterday.isoformat(), remaining_hours="80"
    )
    assert response.status_code == 302
    build = build_phase(site)
    assert (build.state, build.actual_start, build.remaining_hours) == (
        "in_progress",
        yesterday,
        Decimal("80.00"),
    )
    assert _reserved_minutes(site) == 40 * 60  # only done gives hours back
    assert forecast_of(site).finish == nth_working_day(10)
    risk_check()
    page = client.get(_url(site)).content.decode()
    assert "On track" in page and "days before the promised" in page


def test_a_person_on_the_project_may_report_and_a_seller_may_only_read(
    client, sales_user, groups: dict[str, Group], world
):
    shop, site = world
    worker = factories.UserFactory(username="ana")  # no group: only on the project
    shop.person.user = worker
    shop.person.save()
    client.force_login(sales_user)
    page = client.get(_url(site))
    assert page.status_code == 200 and b"<select" not in page.content
    assert _post(client, site, state="in_progress").status_code == 403

    client.force_login(worker)
    assert client.get(_url(site)).status_code == 403  # not on it yet
    ProjectAssignment.objects.create(project=site, person=shop.person)
    page = client.get(_url(site))
    assert page.status_code == 200 and b"<select" in page.content
    assert _post(client, site, state="in_progress", remaining_hours="12").status_code == 302
    assert build_phase(site).remaining_hours == Decimal("12.00")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"state": "in_progress", "actual_end": "2020-01-02"}, "A phase in progress has no end"),
        ({"state": "done", "actual_start": "2099-01-01"}, "cannot be in the future"),
        ({"state": "in_progress", "remaining_hours": "-1"}, "greater than or equal to 0"),
        ({"state": "finished"}, "Select a valid choice"),
    ],
)
def test_a_report_that_cannot_be_true_is_refused_and_nothing_changes(
    client, ops_user, world, data, field
):
    _, site = world
    client.force_login(ops_user)
    response = _post(client, site, **data)
    assert response.status_code == 400
    assert field in response.content.decode()
    build = build_phase(site)
    assert (build.state, build.actual_start, build.remaining_hours) == ("not_started", None, None)
    assert _reserved_minutes(site) == 40 * 60


def test_a_phase_with_hours_logged_cannot_go_back_to_not_started(client, ops_user, world):
    shop, site = world
    day = timezone.localdate() - datetime.timedelta(days=7)
    TimesheetEntry.objects.create(person=shop.person, phase=build_phase(site), day=day, minutes=60)
    client.force_login(ops_user)
    response = _post(client, site, state="not_started")
    assert response.status_code == 400 and "it has started" in response.content.decode()
    # Done with blank dates takes them from the hours logged.
    assert _post(client, site, state="done").status_code == 302
    build = build_phase(site)
    assert (build.actual_start, build.actual_end) == (day, day)


def test_reopening_a_finished_phase_needs_the_hours_left(client, ops_user, world):
    _, site = world
    client.force_login(ops_user)
    assert _post(client, site, state="done").status_code == 302
    response = _post(client, site, state="in_progress")
    assert response.status_code == 400 and "hours are left" in response.content.decode()
    assert _post(client, site, state="in_progress", remaining_hours="16").status_code == 302
    build = build_phase(site)
    assert (build.state, build.actual_end, build.remaining_hours) == (
        ProjectPhase.State.IN_PROGRESS,
        None,
        Decimal("16.00"),
    )
    assert forecast_of(site).finish == nth_working_day(2)
