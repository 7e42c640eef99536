"""An approval is tied to what was approved, used once, and re-checked by the engine.

An exception request covers its deal's lines and quantities as they were asked about, the
date, and the measure operations approved (overtime, reshuffle); a commit of anything else
is refused, naming the field, and changes nothing. Under the lock the approved measure is
applied and the engine re-checks the finish: still late, the date is refused unless
operations approved it "beyond capacity", and such a promise has no confidence and says so
on the sheet, the PDF and the dashboard. A re-date whose plan cache is behind the ledger
rebuilds it and retries, like a commit.

Through HTTP (API, deal page, operations page) and the public services, asserting the
database afterwards. The shop: one developer with 8 h on weekdays; one "Website build" unit
is 40 h (five working days); one "Brand identity" unit is 8 h (one day).
"""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from promisekeeper.catalog.models import Offering, SopPhase, SopVersion
from promisekeeper.delivery.models import Project
from promisekeeper.insights.selectors.history import delivered_rows
from promisekeeper.insights.selectors.plan_facts import plan_facts_get
from promisekeeper.insights.selectors.risk import at_risk_list
from promisekeeper.insights.selectors.tiles import history_tiles
from promisekeeper.promising.pdf import promise_sheet_pdf
from promisekeeper.promising.sheet import promise_sheet_build
from promisekeeper.sales.models import CapacityReservation, DealLine, ExceptionRequest, Promise
from tests.api_clients import api_send, as_ops, as_rep  # noqa: F401  (fixtures)
from tests.factories import TimeOffFactory
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    deal_for,
    nth_working_day,
    ops_manager,
    sales_rep,
    shop,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand(shop) -> Offering:
    """A second offering: one unit is a day of the developer's work."""
    offering = Offering.objects.create(name="Brand identity")
    sop = SopVersion.objects.create(offering=offering, version=1)
    SopPhase.objects.create(
        sop_version=sop,
        key="design",
        name="Design",
        kind=SopPhase.Kind.EFFORT,
        role=shop.role,
        effort_per_unit_low=Decimal(8),
        effort_per_unit_likely=Decimal(8),
        effort_per_unit_high=Decimal(8),
        max_hours_per_day=Decimal(8),
    )
    return offering


def _approved(as_rep, as_ops, deal, day: datetime.date, **decision) -> int:
    """Sales asks for ``day`` on the deal as it is; operations approves (API); the id."""
    asked = as_rep("post", "/api/exceptions", {"deal_id": deal.pk, "requested_date": str(day)})
    assert asked.status_code == 201, asked.content
    pk = asked.json()["id"]
    body = {"decision": "approve", "comment": "ok", **decision}
    decided = as_ops("post", f"/api/exceptions/{pk}/decision", body)
    assert decided.status_code == 200, decided.content
    return pk


def _commit(as_rep, deal, lines, day: datetime.date, exception_id: int, key: str = "c-1"):
    body = {"deal_id": deal.pk, "lines": lines, "promised_date": str(day)}
    body["exception_id"] = exception_id
    return as_rep("post", "/api/commits", body, **{"Idempotency-Key": key})


def _site(shop, quantity: int = 1) -> list[dict[str, int]]:
    return [{"offering_id": shop.offering.pk, "quantity": quantity}]


def _written() -> tuple[int, int, int]:
    return (
        Promise.objects.count(),
        Project.objects.count(),
        CapacityReservation.objects.count(),
    )


def _unused(exception_id: int) -> bool:
    return ExceptionRequest.objects.get(pk=exception_id).used_at is None


# --- an approval covers one deal, its lines and quantities ------------------------------------


def test_an_approval_for_one_brand_identity_does_not_cover_four_website_builds(
    as_rep, as_ops, shop, brand, sales_rep
):
    deal = deal_for(shop, sales_rep, name="launch")
    DealLine.objects.filter(deal=deal).update(offering=brand)  # 1 × Brand identity
    day_3 = nth_working_day(3)
    exception_id = _approved(as_rep, as_ops, deal, day_3)
    before = _written()

    response = _commit(as_rep, deal, _site(shop, quantity=4), day_3, exception_id)

    assert response.status_code == 400
    error = response.json()
    assert error["field"] == "exception"
    assert "covers 1 × Brand identity, not 4 × Website build" in error["message"]
    assert _written() == before
    assert list(DealLine.objects.filter(deal=deal).values_list("offering", "quantity")) == [
        (brand.pk, 1)
    ]
    approval = ExceptionRequest.objects.get(pk=exception_id)
    assert approval.scope_lines == [[brand.pk, None, 1]] and approval.used_at is None


def test_the_approved_lines_are_committed_with_it(as_rep, as_ops, shop, brand, sales_rep):
    deal = deal_for(shop, sales_rep, name="launch")
    DealLine.objects.filter(deal=deal).update(offering=brand)
    day_1 = nth_working_day(1)
    exception_id = _approved(as_rep, as_ops, deal, day_1)

    lines = [{"offering_id": brand.pk, "quantity": 1}]
    response = _commit(as_rep, deal, lines, day_1, exception_id)

    assert response.status_code == 201, response.content
    promise = Promise.objects.get(deal=deal)
    assert promise.approval_id == exception_id and promise.confidence == "P80"
    assert ExceptionRequest.objects.get(pk=exception_id).used_at is not None


def test_the_deal_page_refuses_an_approval_after_the_deal_quantities_changed(
    client, as_rep, as_ops, shop, sales_rep
):
    deal = deal_for(shop, sales_rep)
    day_4 = nth_working_day(4)
    exception_id = _approved(as_rep, as_ops, deal, day_4, overtime_share=0.25)
    DealLine.objects.filter(deal=deal).update(quantity=3)  # asked for 1, now 3
    before = _written()
    client.force_login(sales_rep)

    response = client.post(
        f"/sales/deals/{deal.pk}/commit/",
        {
            "promised_date": day_4.isoformat(),
            "exception": str(exception_id),
            "idempotency_key": str(uuid.uuid4()),
        },
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "Exception: covers 1 × Website build, not 3 × Website build" in page
    assert _written() == before and _unused(exception_id)


def test_an_approval_of_another_deal_is_refused(as_rep, as_ops, shop, sales_rep):
    approved_deal = deal_for(shop, sales_rep, name="approved")
    other = deal_for(shop, sales_rep, name="other")
    day_4 = nth_working_day(4)
    exception_id = _approved(as_rep, as_ops, approved_deal, day_4, overtime_share=0.25)
    before = _written()

    response = _commit(as_rep, other, _site(shop), day_4, exception_id)

    assert response.status_code == 400
    assert response.json() == {"field": "exception", "message": "belongs to another deal"}
    assert _written() == before and _unused(exception_id)


# --- an approval is used once -----------------------------------------------------------------


def test_an_approval_is_used_once_a_re_date_cannot_use_it_again(as_rep, as_ops, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    day_4 = nth_working_day(4)
    exception_id = _approved(as_rep, as_ops, deal, day_4, overtime_share=0.25)
    assert _commit(as_rep, deal, _site(shop), day_4, exception_id).status_code == 201
    before = (_written(), list(Promise.objects.values_list("pk", "promised_date")))

    response = as_rep(
        "post",
        f"/api/deals/{deal.pk}/reschedule",
        {"promised_date": str(nth_working_day(8)), "reason": "asked", "exception_id": exception_id},
        **{"Idempotency-Key": "redate-1"},
    )

    assert response.status_code == 400
    assert response.json()["field"] == "exception"
    assert "already used" in response.json()["message"]
    assert (_written(), list(Promise.objects.values_list("pk", "promised_date"))) == before
    assert not _unused(exception_id)


def test_the_database_refuses_a_second_promise_on_one_approval(as_rep, as_ops, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    day_4 = nth_working_day(4)
    exception_id = _approved(as_rep, as_ops, deal, day_4, overtime_share=0.25)
    assert _commit(as_rep, deal, _site(shop), day_4, exception_id).status_code == 201
    first = Promise.objects.get(deal=deal)

    with pytest.raises(IntegrityError) as error, transaction.atomic():
        Promise.objects.create(
            deal=deal,
            promised_date=first.promised_date,
            confidence="P80",
            created_by=sales_rep,
            approval_id=exception_id,
        )

    # PostgreSQL names the index, SQLite the column it covers.
    assert "promise_approval_used_once" in str(error.value) or "approval_id" in str(error.value)
    assert Promise.objects.filter(approval_id=exception_id).count() == 1
    assert "promise_approval_used_once" in {c.name for c in Promise._meta.constraints}


# --- the approved measure is applied and re-checked ------------------------------------------


def test_approved_overtime_that_is_still_late_is_refused_and_changes_nothing(
    as_rep, as_ops, shop, sales_rep
):
    deal = deal_for(shop, sales_rep)
    day_2 = nth_working_day(2)  # 40 h at 10 h a day (25 % overtime) needs four days
    exception_id = _approved(as_rep, as_ops, deal, day_2, overtime_share=0.25)
    assert ExceptionRequest.objects.get(pk=exception_id).impact["overtime"]["feasible"] is False
    before = _written()

    response = _commit(as_rep, deal, _site(shop), day_2, exception_id)

    assert response.status_code == 409
    answer = response.json()
    assert answer["status"] == "taken" and answer["promise"] is None
    assert f"the work would finish {nth_working_day(4):%d %b %Y}" in answer["reason"]
    assert "beyond capacity" in answer["reason"]
    assert _written() == before and _unused(exception_id)


def test_ops_page_offers_approval_beyond_capacity_in_its_own_words(
    client, as_rep, shop, sales_rep, ops_manager
):
    deal = deal_for(shop, sales_rep)
    asked = as_rep(
        "post", "/api/exceptions", {"deal_id": deal.pk, "requested_date": str(nth_working_day(2))}
    )
    pk = asked.json()["id"]
    client.force_login(ops_manager)

    page = client.get("/sales/exceptions/").content.decode()

    assert 'value="approve_beyond_capacity"' in page
    assert "Approve beyond capacity" in page
    assert "Covers exactly: <strong>1 × Website build</strong>" in page
    response = client.post(
        f"/sales/exceptions/{pk}/decide/",
        {f"x{pk}-decision": "approve_beyond_capacity", f"x{pk}-comment": "customer event"},
    )
    assert response.status_code == 302
    decided = ExceptionRequest.objects.get(pk=pk)
    assert decided.status == "approved" and decided.beyond_capacity is True


def test_a_promise_beyond_capacity_has_no_confidence_and_says_so_everywhere(
    client, as_rep, as_ops, shop, sales_rep
):
    deal = deal_for(shop, sales_rep)
    day_2 = nth_working_day(2)
    exception_id = _approved(
        as_rep, as_ops, deal, day_2, decision="approve_beyond_capacity", overtime_share=0.25
    )

    response = _commit(as_rep, deal, _site(shop), day_2, exception_id)

    assert response.status_code == 201, response.content
    assert response.json()["promise"]["confidence"] is None
    assert response.json()["promise"]["beyond_capacity"] is True
    promise = Promise.objects.get(deal=deal)
    assert promise.confidence is None and promise.beyond_capacity is True
    # The approved overtime is applied all the same: the work ends on day 4, not 5.
    assert promise.evidence["approval_applied"] == {
        "overtime_share": 0.25,
        "beyond_capacity": {"planned_finish": nth_working_day(4).isoformat()},
    }
    reserved = CapacityReservation.objects.filter(promise=promise)
    assert max(r.day for r in reserved) == nth_working_day(4)
    assert sum(r.overtime_minutes for r in reserved) == 8 * 60
    # The sheet and the PDF say what stands behind the date, and no confidence level.
    client.force_login(sales_rep)
    sheet_page = client.get(f"/sales/promises/{promise.pk}/sheet/").content.decode()
    assert "beyond capacity, agreed by operations" in sheet_page
    assert "P80" not in sheet_page
    pdf = promise_sheet_pdf(promise_sheet_build(promise=promise), compress=False)
    assert b"beyond capacity, agreed by operations" in pdf
    assert b"Confidence behind this date" not in pdf and b"P80" not in pdf
    deal_page = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert "beyond capacity, agreed by operations" in deal_page
    # The dashboard counts it apart and lists it at risk from the day it is made.
    facts = plan_facts_get()
    project = Project.objects.get(deal=deal)
    [row] = [r for r in at_risk_list(facts=facts, threshold_days=0) if r.project.pk == project.pk]
    assert row.reason.startswith("Promised beyond capacity, agreed by operations")
    on_time = next(t for t in history_tiles(today=timezone.localdate()) if t.key == "on_time")
    assert ("open beyond capacity", "1") in on_time.details


def test_a_delivered_promise_beyond_capacity_is_counted_apart_from_on_time_promises(
    as_rep, as_ops, shop, sales_rep
):
    deal = deal_for(shop, sales_rep)
    day_2 = nth_working_day(2)
    exception_id = _approved(as_rep, as_ops, deal, day_2, decision="approve_beyond_capacity")
    assert _commit(as_rep, deal, _site(shop), day_2, exception_id).status_code == 201
    today = timezone.localdate()
    Project.objects.filter(deal=deal).update(
        status=Project.Status.DELIVERED, delivered_date=today + datetime.timedelta(days=7)
    )

    rows = delivered_rows(since=today)
    tiles = history_tiles(today=today + datetime.timedelta(days=7), rows=rows)
    on_time = next(t for t in tiles if t.key == "on_time")

    assert [r.beyond_capacity for r in rows] == [True]
    assert on_time.value == "no data"
    assert ("delivered beyond capacity", "1") in on_time.details
    assert ("deliveries", "0") in on_time.details


# --- a re-date rebuilds a plan cache that is behind the ledger -------------------------------


def test_re_dating_when_the_plan_cache_is_behind_the_ledger_rebuilds_and_retries(
    as_rep, shop, sales_rep
):
    deal = deal_for(shop, sales_rep)
    committed = as_rep(
        "post",
        "/api/commits",
        {"deal_id": deal.pk, "lines": _site(shop), "promised_date": str(nth_working_day(5))},
        **{"Idempotency-Key": "commit-1"},
    )
    assert committed.status_code == 201
    far = nth_working_day(60)
    # Not a booking: the journal cannot replay it, so the cached plan needs a rebuild.
    TimeOffFactory(person=shop.person, start_date=far, end_date=far)
    later = nth_working_day(15)

    response = as_rep(
        "post",
        f"/api/deals/{deal.pk}/reschedule",
        {"promised_date": str(later), "reason": "customer asked"},
        **{"Idempotency-Key": "redate-1"},
    )

    assert response.status_code == 201, response.content
    assert response.json()["promise"]["promised_date"] == str(later)
    assert Project.objects.get(deal=deal).promised_date == later
    assert Promise.objects.filter(deal=deal).count() == 2


def _uncertain(shop) -> None:
    """A Website build is likely 40 h but may take up to 80 h (a right tail)."""
    SopPhase.objects.filter(sop_version=shop.sop).update(effort_per_unit_high=Decimal(80))


def test_approved_overtime_that_makes_the_date_only_if_all_goes_well_is_refused(
    as_rep, as_ops, shop, sales_rep
):
    _uncertain(shop)
    deal = deal_for(shop, sales_rep)
    # 40 h at 10 h a day end on day 4; half the simulated efforts need day 6 or later.
    day_4 = nth_working_day(4)
    exception_id = _approved(as_rep, as_ops, deal, day_4, overtime_share=0.25)
    before = _written()

    response = _commit(as_rep, deal, _site(shop), day_4, exception_id)

    assert response.status_code == 409
    assert "fewer than half of the simulated outcomes" in response.json()["reason"]
    assert _written() == before and _unused(exception_id)


def test_an_approved_date_is_stored_with_the_confidence_it_has_not_the_usual_one(
    as_rep, as_ops, shop, sales_rep
):
    _uncertain(shop)
    deal = deal_for(shop, sales_rep)
    # With 25 % overtime, half the efforts finish by day 6, but not four in five.
    day_6 = nth_working_day(6)
    exception_id = _approved(as_rep, as_ops, deal, day_6, overtime_share=0.25)

    response = _commit(as_rep, deal, _site(shop), day_6, exception_id)

    assert response.status_code == 201, response.content
    promise = Promise.objects.get(deal=deal)
    assert promise.confidence == "P50" and not promise.beyond_capacity
    assert response.json()["promise"]["confidence"] == "P50"
