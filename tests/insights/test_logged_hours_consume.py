"""Logged hours consume the reservation: hours worked ahead free capacity that a later quote
can promise; hours beyond the reservation re-place the work left for the same promise,
flagging the promise when it no longer fits."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from promisekeeper.api.services import api_token_create
from promisekeeper.delivery.models import ProjectPhase
from promisekeeper.delivery.timesheets import EntryChange, timesheet_save
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.logged_hours import OVERRUN_CAUSE
from promisekeeper.promising.quote import quote_check
from promisekeeper.sales.models import AuditEvent, CapacityReservation, Notification, PersonDayLoad
from tests.insights.forecast_world import build_phase, build_set, promised_site
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import deal_for, nth_working_day

pytestmark = pytest.mark.django_db


def _ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def _log(user: Any, shop: Any, site: Any, *hours_by_days_ago: tuple[int, float]) -> None:
    changes = [
        EntryChange(
            person=shop.person,
            phase=build_phase(site),
            day=_ago(days),
            minutes=round(hours * 60),
        )
        for days, hours in hours_by_days_ago
    ]
    timesheet_save(user=user, changes=changes, today=timezone.localdate())


def _reserved(site: Any) -> dict[datetime.date, int]:
    return dict(
        CapacityReservation.objects.filter(project=site)
        .order_by("day")
        .values_list("day", "minutes")
    )


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
    assert capacity_violations(connection) == []


def _quote_earliest(user: Any, shop: Any) -> datetime.date | None:
    deal = deal_for(shop, user, name="Next site")
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    answer = quote_check(user=user, customer=None, deal=deal, lines=lines, wanted_date=None)
    return answer.earliest_date


def test_hours_logged_ahead_free_the_earliest_reserved_day_for_a_later_quote(sales_user, ops_user):
    shop, site = promised_site(sales_user)
    assert _reserved(site) == {nth_working_day(k): 480 for k in range(1, 6)}
    before = _quote_earliest(sales_user, shop)

    _log(ops_user, shop, site, (1, 8))

    assert _reserved(site) == {nth_working_day(k): 480 for k in range(2, 6)}
    assert build_phase(site).logged_minutes_consumed == 480
    _loads_match_reservations()
    after = _quote_earliest(sales_user, shop)
    assert before is not None and after is not None
    assert after < before


def test_only_newly_logged_minutes_consume_and_a_correction_down_gives_nothing_back(
    sales_user, ops_user
):
    shop, site = promised_site(sales_user)
    _log(ops_user, shop, site, (1, 3))
    assert _reserved(site)[nth_working_day(1)] == 300

    _log(ops_user, shop, site, (1, 3))  # the same hours again: unchanged
    assert _reserved(site)[nth_working_day(1)] == 300
    _log(ops_user, shop, site, (1, 1))  # corrected down
    assert _reserved(site)[nth_working_day(1)] == 300
    assert build_phase(site).logged_minutes_consumed == 180
    _log(ops_user, shop, site, (1, 5))  # 5 logged, 3 consumed already: 2 more

    assert _reserved(site)[nth_working_day(1)] == 180
    assert build_phase(site).logged_minutes_consumed == 300
    _loads_match_reservations()


def test_hours_beyond_the_reservation_re_place_the_work_left_for_the_same_promise(
    sales_user, ops_user
):
    shop, site = promised_site(sales_user)
    promise = CapacityReservation.objects.filter(project=site).first().promise
    assert promise is not None

    _log(ops_user, shop, site, (1, 24), (2, 24))  # 48 h on a 40 h phase

    rows = CapacityReservation.objects.filter(project=site)
    assert rows.exists()
    assert {r.promise_id for r in rows} == {promise.pk}
    assert min(r.day for r in rows) >= timezone.localdate()
    # The work left is what the forecast sees: a progress of 0 says none of the 40 h is done.
    assert sum(r.minutes for r in rows) == 40 * 60
    assert build_phase(site).logged_minutes_consumed == 48 * 60
    _loads_match_reservations()
    event = AuditEvent.objects.get(action=AuditEvent.Action.PROMISE_REPLANNED)
    assert event.payload["cause"] == OVERRUN_CAUSE
    assert event.payload["kept"] is True
    assert not Notification.objects.exists()
    # The new reservation is consumed in turn by the next hours logged.
    left = sum(r.minutes for r in rows)
    _log(ops_user, shop, site, (3, 1))
    assert sum(_reserved(site).values()) == left - 60


def test_an_overrun_whose_work_left_misses_the_promise_is_flagged_to_owner_and_operations(
    sales_user, ops_user
):
    shop, site = promised_site(sales_user, by_working_day=6)
    build_set(site, remaining_hours=Decimal(200), state=ProjectPhase.State.IN_PROGRESS)

    _log(ops_user, shop, site, (1, 24), (2, 20))

    assert sum(_reserved(site).values()) == 200 * 60
    assert max(_reserved(site)) > nth_working_day(6)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PROMISE_REPLANNED)
    assert event.payload["kept"] is False
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"seller", "operator"}
    _loads_match_reservations()


def test_hours_logged_on_a_phase_marked_done_re_place_nothing(sales_user, ops_user):
    shop, site = promised_site(sales_user)
    build_set(site, state=ProjectPhase.State.DONE, progress=Decimal(1))
    CapacityReservation.objects.filter(project=site).delete()
    PersonDayLoad.objects.update(reserved_minutes=0)

    _log(ops_user, shop, site, (1, 8))

    assert not CapacityReservation.objects.filter(project=site).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PROMISE_REPLANNED).exists()


def test_hours_put_through_the_api_consume_the_reservation(client, sales_user, ops_user):
    shop, site = promised_site(sales_user)
    _, key = api_token_create(user=ops_user)
    body = {
        "entries": [
            {
                "person_id": shop.person.pk,
                "phase_id": build_phase(site).pk,
                "date": str(_ago(1)),
                "hours": 10,
            }
        ]
    }

    response = client.put(
        "/api/timesheets",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )

    assert response.status_code == 200, response.content
    assert _reserved(site) == {
        nth_working_day(2): 360,
        **{nth_working_day(k): 480 for k in range(3, 6)},
    }
    _loads_match_reservations()
