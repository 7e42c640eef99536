"""Sixteen clients race for capacity that fits only some of them.

The harness first proves it can fail: a naive check-then-insert path (read free hours,
wait for everyone else to read too, then insert) over-commits, and the detector sees it.
Then the real promise_commit runs under the same race and must not. Runs on SQLite (file
database, WAL, busy timeout) and, with PK_TEST_POSTGRES=1, on PostgreSQL.
"""

from __future__ import annotations

import datetime
import threading
from collections import defaultdict
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from promisekeeper.catalog.models import StockReservation
from promisekeeper.delivery.models import Project
from promisekeeper.promising.booking import CommitResult
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import (
    CapacityReservation,
    Deal,
    PersonDayLoad,
    ProductAvailability,
    Promise,
)
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import Shop, deal_for, nth_working_day, shop_create, working_days_through

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.both_databases]

CLIENTS = 16


def race(clients: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(k)`` in ``clients`` threads, each on its own connection, all at once."""
    barrier = threading.Barrier(clients)
    results: list[object] = [None] * clients

    def run(k: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[k] = work(k)
        except Exception as error:  # reported below, never swallowed
            results[k] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def overcommitted(shop: Shop) -> list[tuple[datetime.date, int]]:
    """Person-days with more reserved minutes than the person works (8 h on weekdays)."""
    totals = CapacityReservation.objects.values("day").annotate(total=Sum("minutes"))
    return [
        (row["day"], row["total"])
        for row in totals
        if row["total"] > (8 * 60 if row["day"].weekday() < 5 else 0)
    ]


def naive_commit(shop: Shop, deal: Deal, gate: threading.Barrier) -> str:
    """Deliberately wrong: check free hours, let everyone else check, then insert. No lock."""
    booked: dict[datetime.date, int] = defaultdict(int)
    for day, minutes in CapacityReservation.objects.values_list("day", "minutes"):
        booked[day] += minutes
    plan: list[tuple[datetime.date, int]] = []
    need = 40 * 60
    day = timezone.localdate()
    while need > 0:
        free = (8 * 60 if day.weekday() < 5 else 0) - booked[day]
        if free > 0:
            take = min(free, need)
            plan.append((day, take))
            need -= take
        day += datetime.timedelta(days=1)
    gate.wait(timeout=30)
    with transaction.atomic():
        promise = Promise.objects.create(
            deal=deal, promised_date=plan[-1][0], confidence="P80", created_by=deal.owner
        )
        project = Project.objects.create(
            deal=deal,
            name=deal.name,
            customer=deal.customer,
            sop_version=shop.sop,
            release_date=timezone.localdate(),
        )
        CapacityReservation.objects.bulk_create(
            CapacityReservation(
                promise=promise,
                project=project,
                phase_key="build",
                person=shop.person,
                day=d,
                minutes=m,
            )
            for d, m in plan
        )
    return "committed"


def test_the_harness_detects_over_commitment_by_a_naive_check_then_insert(sales_rep):
    shop = shop_create()
    deals = [deal_for(shop, sales_rep, name=f"naive {k}") for k in range(4)]
    gate = threading.Barrier(len(deals))
    results = race(len(deals), lambda k: naive_commit(shop, deals[k], gate))
    assert results == ["committed"] * len(deals)
    assert overcommitted(shop), "the harness must be able to see over-commitment"


def _commit(user: object, deal: Deal, lines: list[QuoteLine], by: datetime.date) -> CommitResult:
    return promise_commit(
        user=user,
        deal=deal,
        lines=lines,
        promised_date=by,
        idempotency_key=f"race-{deal.pk}",
        request_fingerprint=commit_fingerprint(deal_id=deal.pk, lines=lines, promised_date=by),
    )


def test_sixteen_clients_racing_for_capacity_never_over_commit(sales_rep):
    shop = shop_create()
    by = nth_working_day(20)
    allowed = working_days_through(by) // 5  # one unit is five full working days
    deals = [deal_for(shop, sales_rep, name=f"race {k}") for k in range(CLIENTS)]
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]

    results = race(CLIENTS, lambda k: _commit(sales_rep, deals[k], lines, by))

    errors = [r for r in results if not isinstance(r, CommitResult)]
    assert errors == []
    statuses = sorted(r.status for r in results)  # type: ignore[union-attr]
    assert statuses == ["committed"] * allowed + ["taken"] * (CLIENTS - allowed)
    for result in results:
        if result.status == "taken":  # type: ignore[union-attr]
            assert result.earliest_date > by  # type: ignore[union-attr]
    assert Promise.objects.count() == allowed
    assert overcommitted(shop) == []
    loads = PersonDayLoad.objects.all()
    assert all(load.reserved_minutes <= load.capacity_minutes for load in loads)
    reserved = CapacityReservation.objects.aggregate(total=Sum("minutes"))["total"]
    assert reserved == 40 * 60 * allowed == sum(load.reserved_minutes for load in loads)
    assert capacity_violations(connection) == []


def test_sixteen_clients_racing_for_stock_never_over_reserve(sales_rep):
    shop = shop_create(stock=5)
    by = nth_working_day(3)
    deals = [
        Deal.objects.create(customer=shop.customer, name=f"kit {k}", owner=sales_rep)
        for k in range(CLIENTS)
    ]
    lines = [QuoteLine(quantity=1, product_id=shop.product.pk)]

    results = race(CLIENTS, lambda k: _commit(sales_rep, deals[k], lines, by))

    assert [r for r in results if not isinstance(r, CommitResult)] == []
    statuses = sorted(r.status for r in results)  # type: ignore[union-attr]
    assert statuses == ["committed"] * 5 + ["taken"] * (CLIENTS - 5)
    assert StockReservation.objects.aggregate(total=Sum("quantity"))["total"] == 5
    availability = ProductAvailability.objects.get(product=shop.product)
    assert (availability.reserved_quantity, availability.supply_quantity) == (5, 5)
    assert capacity_violations(connection) == []
