"""A day off booked over reserved hours: the save shows what moves and what breaks and needs an
explicit confirm; once confirmed the displaced hours are placed again before the promised date
where they fit, and what cannot be kept is flagged to the owner and operations at once.

Through the person page (HTTP), asserting the database afterwards. The shop: one developer
with 8 h on weekdays; one "Website build" unit is 40 h."""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from promisekeeper.people.models import TimeOff
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import (
    AuditEvent,
    CapacityReservation,
    Notification,
    PersonDayLoad,
    Promise,
)
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    deal_for,
    nth_working_day,
    ops_manager,
    sales_rep,
    shop,
)

pytestmark = pytest.mark.django_db


def _promise(shop, user, promised: datetime.date, name: str = "Acme site"):
    deal = deal_for(shop, user, name=name)
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    result = promise_commit(
        user=user,
        deal=deal,
        lines=lines,
        promised_date=promised,
        idempotency_key=f"commit-{deal.pk}",
        request_fingerprint=commit_fingerprint(
            deal_id=deal.pk, lines=lines, promised_date=promised, exception_id=None
        ),
    )
    assert result.status == "committed"
    return deal


def _book_day_off(client, shop, day: datetime.date, **extra):
    return client.post(
        reverse("people:person_detail", args=[shop.person.pk]),
        {
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
            "kind": "sick",
            "status": "approved",
            "action": "save",
            **extra,
        },
    )


def _hours_on(day: datetime.date) -> Decimal:
    minutes = sum(r.minutes for r in CapacityReservation.objects.filter(day=day))
    return Decimal(minutes) / 60


def _load_within_capacity() -> bool:
    within = all(
        load.reserved_minutes <= load.capacity_minutes + load.overtime_minutes
        for load in PersonDayLoad.objects.all()
    )
    return within and capacity_violations(connection) == []


def test_a_day_off_over_reserved_hours_needs_a_confirm_and_saves_nothing_without_it(
    client, shop, sales_rep, ops_manager
):
    _promise(shop, sales_rep, nth_working_day(10))
    day_off = nth_working_day(2)
    assert _hours_on(day_off) == Decimal(8)
    client.force_login(ops_manager)
    response = _book_day_off(client, shop, day_off)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme site" in page and "Confirm" in page
    (cut,) = response.context["cut"]
    assert cut.kept and cut.displaced_hours == pytest.approx(8)
    assert not TimeOff.objects.exists()
    assert _hours_on(day_off) == Decimal(8)


def test_a_confirmed_day_off_moves_the_reserved_hours_and_keeps_the_promise(
    client, shop, sales_rep, ops_manager
):
    deal = _promise(shop, sales_rep, nth_working_day(10))
    promise = Promise.objects.get(deal=deal)
    day_off = nth_working_day(2)
    client.force_login(ops_manager)
    response = _book_day_off(client, shop, day_off, confirm="on")
    assert response.status_code == 302
    assert TimeOff.objects.get().start_date == day_off
    assert _hours_on(day_off) == 0
    reservations = CapacityReservation.objects.filter(project__deal=deal)
    assert sum(r.minutes for r in reservations) == 40 * 60
    assert max(r.day for r in reservations) <= nth_working_day(10)
    assert {r.promise_id for r in reservations} == {promise.pk}  # the same promise, kept
    assert _load_within_capacity()
    assert PersonDayLoad.objects.get(day=day_off).reserved_minutes == 0
    event = AuditEvent.objects.get(action="promise.replanned", deal=deal)
    assert event.actor == ops_manager and event.payload["kept"] is True
    assert not Notification.objects.exists()


def test_a_day_off_that_breaks_a_promise_flags_it_to_the_owner_and_operations(
    client, shop, sales_rep, ops_manager
):
    deal = _promise(shop, sales_rep, nth_working_day(5))
    day_off = nth_working_day(2)
    client.force_login(ops_manager)
    first = _book_day_off(client, shop, day_off)
    (cut,) = first.context["cut"]
    assert not cut.kept and cut.finish_after == nth_working_day(6)
    assert "cannot be kept" in first.content.decode()
    assert not TimeOff.objects.exists()
    response = _book_day_off(client, shop, day_off, confirm="on")
    assert response.status_code == 302
    assert _hours_on(day_off) == 0
    reservations = CapacityReservation.objects.filter(project__deal=deal)
    assert sum(r.minutes for r in reservations) == 40 * 60
    assert max(r.day for r in reservations) == nth_working_day(6)
    assert _load_within_capacity()
    event = AuditEvent.objects.get(action="promise.replanned", deal=deal)
    assert event.payload["kept"] is False
    told = {n.user for n in Notification.objects.filter(deal=deal)}
    assert told == {sales_rep, ops_manager}
    assert "cannot be kept" in Notification.objects.filter(user=sales_rep).get().text


def test_a_day_off_without_reserved_hours_saves_without_a_confirm(
    client, shop, sales_rep, ops_manager
):
    _promise(shop, sales_rep, nth_working_day(10))
    client.force_login(ops_manager)
    response = _book_day_off(client, shop, nth_working_day(30))
    assert response.status_code == 302
    assert TimeOff.objects.count() == 1
    assert not AuditEvent.objects.filter(action="promise.replanned").exists()


def test_the_admin_books_time_off_over_reserved_hours_only_once_confirmed(
    client, shop, sales_rep, ops_manager, superuser
):
    deal = _promise(shop, sales_rep, nth_working_day(5))
    day_off = nth_working_day(2)
    client.force_login(superuser)
    body = {
        "person": shop.person.pk,
        "start_date": day_off.isoformat(),
        "end_date": day_off.isoformat(),
        "kind": "sick",
        "status": "approved",
    }
    url = reverse("admin:people_timeoff_add")
    refused = client.post(url, body)
    assert refused.status_code == 200 and "cannot be kept" in refused.content.decode()
    assert not TimeOff.objects.exists() and _hours_on(day_off) == Decimal(8)
    assert client.post(url, {**body, "confirm": "on"}).status_code == 302
    assert TimeOff.objects.get().start_date == day_off
    assert _hours_on(day_off) == 0 and _load_within_capacity()
    assert {n.user for n in Notification.objects.filter(deal=deal)} == {sales_rep, ops_manager}
