"""Reserved time is stored in whole minutes, so loads are exactly the sum of reservations.

On SQLite decimals were floating point: thirty 0.46 h promises on one day left loads that
were not the sum of their reservations, and cancelling them went below zero and failed the
CHECK (HTTP 500), keeping the hours booked forever. Both databases now add integers.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from promisekeeper.api.services import api_token_create
from promisekeeper.catalog.models import Offering, SopPhase, SopVersion
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import CapacityReservation, Deal, DealLine, PersonDayLoad
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import Shop, nth_working_day

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.both_databases]

PROMISES = 30


def _tiny_fix(shop: Shop) -> Offering:
    offering = Offering.objects.create(name="Tiny fix")
    sop = SopVersion.objects.create(offering=offering, version=1)
    SopPhase.objects.create(
        sop_version=sop,
        key="fix",
        name="Fix",
        kind=SopPhase.Kind.EFFORT,
        role=shop.role,
        effort_per_unit_low=Decimal("0.46"),
        effort_per_unit_likely=Decimal("0.46"),
        effort_per_unit_high=Decimal("0.46"),
        max_hours_per_day=Decimal(8),
    )
    return offering


def _promise_tiny_fixes(shop: Shop, sales_rep: object) -> list[Deal]:
    offering = _tiny_fix(shop)
    lines = [QuoteLine(quantity=1, offering_id=offering.pk)]
    when = nth_working_day(10)
    deals = []
    for k in range(PROMISES):
        deal = Deal.objects.create(customer=shop.customer, name=f"tiny {k}", owner=sales_rep)
        DealLine.objects.create(deal=deal, offering=offering, quantity=1)
        result = promise_commit(
            user=sales_rep,
            deal=deal,
            lines=lines,
            promised_date=when,
            idempotency_key=f"tiny-{k}",
            request_fingerprint=commit_fingerprint(
                deal_id=deal.pk, lines=lines, promised_date=when
            ),
        )
        assert result.status == "committed"
        deals.append(deal)
    return deals


def _reserved_by_day() -> dict[object, int]:
    return {
        row["day"]: row["total"]
        for row in CapacityReservation.objects.values("day").annotate(total=Sum("minutes"))
    }


def test_many_fractional_hours_sum_exactly_and_every_cancel_gives_them_back(
    shop, sales_rep, client
):
    deals = _promise_tiny_fixes(shop, sales_rep)

    by_day = _reserved_by_day()
    loads = {load.day: load.reserved_minutes for load in PersonDayLoad.objects.all()}
    assert loads == by_day
    assert max(by_day.values()) <= 8 * 60
    assert sum(by_day.values()) >= PROMISES * 27.6  # 0.46 h each, never rounded away
    assert capacity_violations(connection) == []

    _, key = api_token_create(user=sales_rep)
    for deal in deals:
        response = client.post(
            f"/api/deals/{deal.pk}/cancel",
            {"reason": "withdrawn"},
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.content
    assert CapacityReservation.objects.count() == 0
    assert set(PersonDayLoad.objects.values_list("reserved_minutes", "overtime_minutes")) == {
        (0, 0)
    }
    assert capacity_violations(connection) == []
