"""Approved overtime is a bounded quantity per person-day: approved share × capacity.

Six exceptions approved for the same date, each with 30 % overtime, used to stack: every
commit saw the free grid at zero on days already booked beyond capacity and added 30 %
again, booking the developer at 2.8× her hours. Now overtime already booked counts against
the share (engine), and the load's allowance CHECK refuses more (database).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from promisekeeper.catalog.models import Offering, SopPhase, SopVersion
from promisekeeper.promising.booking import CommitResult
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.exceptions import exception_decide, exception_request
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import Deal, DealLine, ExceptionRequest, PersonDayLoad
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import Shop, nth_working_day
from tests.sales.test_concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.both_databases]

APPROVALS = 6
SHARE = 0.3
DAY_MINUTES = 8 * 60


def _small_fix(shop: Shop) -> Offering:
    """One day of developer work (8 h), so 30 % overtime over four days could hold it."""
    offering = Offering.objects.create(name="Small fix")
    sop = SopVersion.objects.create(offering=offering, version=1)
    SopPhase.objects.create(
        sop_version=sop,
        key="fix",
        name="Fix",
        kind=SopPhase.Kind.EFFORT,
        role=shop.role,
        effort_per_unit_low=Decimal(8),
        effort_per_unit_likely=Decimal(8),
        effort_per_unit_high=Decimal(8),
        max_hours_per_day=Decimal(8),
    )
    return offering


def _deal(shop: Shop, owner: object, name: str, offering: Offering) -> Deal:
    deal = Deal.objects.create(customer=shop.customer, name=name, owner=owner)
    DealLine.objects.create(deal=deal, offering=offering, quantity=1)
    return deal


def _commit(
    user: object, deal: Deal, offering: Offering, when, exception: ExceptionRequest | None = None
) -> CommitResult:
    lines = [QuoteLine(quantity=1, offering_id=offering.pk)]
    return promise_commit(
        user=user,
        deal=deal,
        lines=lines,
        promised_date=when,
        idempotency_key=f"overtime-{deal.pk}",
        request_fingerprint=commit_fingerprint(
            deal_id=deal.pk,
            lines=lines,
            promised_date=when,
            exception_id=exception.pk if exception else None,
        ),
        exception=exception,
    )


def _week_full_and_six_approved(
    shop: Shop, sales_rep: object, ops_manager: object
) -> tuple[list[tuple[Deal, ExceptionRequest]], Offering]:
    """The first five working days fully promised, then six fixes each approved for the
    fifth day with 30 % overtime (each approval alone is feasible)."""
    day_5 = nth_working_day(5)
    full = _deal(shop, sales_rep, "full week", shop.offering)
    assert _commit(sales_rep, full, shop.offering, day_5).status == "committed"
    offering = _small_fix(shop)
    approved = []
    for k in range(APPROVALS):
        deal = _deal(shop, sales_rep, f"fix {k}", offering)
        request = exception_request(user=sales_rep, deal=deal, requested_date=day_5)
        decided = exception_decide(
            user=ops_manager,
            request=request,
            decision="approve",
            comment="ok",
            overtime_share=SHARE,
        )
        assert decided.impact["overtime"]["feasible"] is True
        approved.append((deal, decided))
    return approved, offering


def _assert_overtime_bounded() -> None:
    loads = list(PersonDayLoad.objects.filter(capacity_minutes=DAY_MINUTES))
    assert loads
    allowed = round(DAY_MINUTES * SHARE)
    assert max(load.reserved_minutes for load in loads) <= DAY_MINUTES + allowed
    assert all(load.overtime_minutes <= load.overtime_allowed_minutes <= allowed for load in loads)
    # All the overtime the week had went to the first fix.
    assert sum(load.overtime_minutes for load in loads) == 8 * 60
    assert capacity_violations(connection) == []


def test_six_approved_overtime_commits_in_turn_never_pass_the_approved_share(
    shop, sales_rep, ops_manager
):
    approved, offering = _week_full_and_six_approved(shop, sales_rep, ops_manager)
    results = [
        _commit(sales_rep, deal, offering, nth_working_day(5), decided)
        for deal, decided in approved
    ]
    # The first fix takes the week's overtime; for the others the approved overtime no longer
    # makes the date, so their commits are refused (item 3), never booked over the share.
    assert [r.status for r in results] == ["committed"] + ["taken"] * (APPROVALS - 1)
    assert all("does not make" in r.reason for r in results[1:])
    _assert_overtime_bounded()


def test_six_approved_overtime_commits_racing_never_pass_the_approved_share(
    shop, sales_rep, ops_manager
):
    approved, offering = _week_full_and_six_approved(shop, sales_rep, ops_manager)
    results = race(
        APPROVALS,
        lambda k: _commit(sales_rep, approved[k][0], offering, nth_working_day(5), approved[k][1]),
    )
    assert [r for r in results if not isinstance(r, CommitResult)] == []
    statuses = sorted(r.status for r in results)  # type: ignore[union-attr]
    assert statuses == ["committed"] + ["taken"] * (APPROVALS - 1)
    _assert_overtime_bounded()


def test_the_database_refuses_overtime_beyond_the_allowance(shop, sales_rep, ops_manager):
    approved, offering = _week_full_and_six_approved(shop, sales_rep, ops_manager)
    deal, decided = approved[0]
    assert _commit(sales_rep, deal, offering, nth_working_day(5), decided).status == "committed"
    load = PersonDayLoad.objects.filter(overtime_minutes__gt=0).first()
    assert load.overtime_allowed_minutes == round(DAY_MINUTES * SHARE)
    refused = pytest.raises(IntegrityError, match="person_day_overtime_within_allowance")
    with refused, transaction.atomic():
        PersonDayLoad.objects.filter(pk=load.pk).update(
            overtime_minutes=F("overtime_allowed_minutes") + 1,
            reserved_minutes=F("reserved_minutes") + 1,
        )
    assert capacity_violations(connection) == []
