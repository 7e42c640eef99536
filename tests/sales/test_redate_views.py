"""Re-promising and cancelling from the deal page, through HTTP: the engine checks the new
date, a move we caused waits for operations, the customer notice and the new sheet are
kept, the first promised date stays on record. Every test asserts the database."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from promisekeeper.delivery.models import Project
from promisekeeper.promising.changes import promise_reschedule
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import (
    AuditEvent,
    CapacityReservation,
    CustomerNotice,
    Deal,
    Notification,
    Promise,
    RedateRequest,
)
from promisekeeper.sales.selectors import promise_original, promise_original_date
from tests.sales.conftest import deal_for, nth_working_day

pytestmark = pytest.mark.django_db


def promised(shop, owner, *, day: int = 5) -> Deal:
    """A deal of ``owner``'s with one unit promised ``day`` working days out."""
    deal = deal_for(shop, owner)
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    date = nth_working_day(day)
    result = promise_commit(
        user=owner,
        deal=deal,
        lines=lines,
        promised_date=date,
        idempotency_key=f"commit-{deal.pk}",
        request_fingerprint=commit_fingerprint(
            deal_id=deal.pk, lines=lines, promised_date=date, exception_id=None
        ),
    )
    assert result.status == "committed"
    return deal


def state(deal: Deal) -> dict[str, object]:
    """What a refused or bad request must leave as it was."""
    return {
        "promises": list(Promise.objects.filter(deal=deal).values_list("pk", flat=True)),
        "project_date": Project.objects.get(deal=deal).promised_date,
        "project_status": Project.objects.get(deal=deal).status,
        "stage": Deal.objects.get(pk=deal.pk).stage,
        "reservations": sorted(
            CapacityReservation.objects.filter(project__deal=deal).values_list("day", "minutes")
        ),
        "requests": RedateRequest.objects.count(),
        "notices": CustomerNotice.objects.count(),
        "events": AuditEvent.objects.count(),
    }


def redate(client, deal, date, reason_code="customer_change", note="", key=None):
    return client.post(
        reverse("promising:deal-redate", args=[deal.pk]),
        {
            "promised_date": date.isoformat() if hasattr(date, "isoformat") else date,
            "reason_code": reason_code,
            "note": note,
            "idempotency_key": key or str(uuid.uuid4()),
        },
    )


def decide(client, request, decision, comment="ok"):
    return client.post(
        reverse("promising:redate-decide", args=[request.pk]),
        {"decision": decision, "comment": comment},
    )


def actions(deal: Deal) -> list[str]:
    return list(deal.audit_events.order_by("created_at", "pk").values_list("action", flat=True))


def test_a_customer_change_is_applied_at_once_and_the_notice_and_new_sheet_are_kept(
    client, shop, sales_rep
):
    deal = promised(shop, sales_rep)
    first = deal.promises.get()
    later = nth_working_day(12)
    client.force_login(sales_rep)
    key = str(uuid.uuid4())
    response = redate(client, deal, later, note="They moved their launch", key=key)
    assert response.status_code == 302
    assert Project.objects.get(deal=deal).promised_date == later
    new = deal.promises.order_by("-created_at", "-pk").first()
    assert new.pk != first.pk and new.promised_date == later
    assert promise_original(deal=deal) == first
    assert promise_original(deal=deal).promised_date == nth_working_day(5)
    request = RedateRequest.objects.get()
    assert (request.status, request.reason_code, request.needs_approval) == (
        "applied",
        "customer_change",
        False,
    )
    assert request.promise == new and request.previous_promise == first
    notice = CustomerNotice.objects.get()
    assert notice.kind == "redate" and notice.promise == new
    assert bytes(notice.sheet_pdf).startswith(b"%PDF")
    assert "As you asked" in notice.body and f"{later.day} {later:%B %Y}" in notice.body
    assert new.evidence["reason"] == "Customer change: They moved their launch"
    assert actions(deal)[-2:] == ["promise.date_changed", "notice.created"]
    # The same form again (a double click) makes no second promise or notice.
    assert redate(client, deal, later, note="They moved their launch", key=key).status_code == 302
    assert (Promise.objects.count(), CustomerNotice.objects.count()) == (2, 1)

    page = client.get(reverse("promising:deal", args=[deal.pk])).content.decode()
    assert f'data-original-date="{first.promised_date:%Y-%m-%d}"' in page
    assert f'data-notice="{notice.pk}"' in page
    shown = client.get(reverse("promising:notice", args=[notice.pk]))
    assert shown.status_code == 200 and "As you asked" in shown.content.decode()
    pdf = client.get(reverse("promising:notice-sheet-pdf", args=[notice.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == bytes(notice.sheet_pdf)


def test_a_move_caused_by_our_capacity_waits_for_operations_who_approve_it(
    client, shop, sales_rep, ops_manager, django_capture_on_commit_callbacks
):
    deal = promised(shop, sales_rep)
    first = deal.promises.get()
    later = nth_working_day(10)
    client.force_login(sales_rep)
    before = state(deal)
    with django_capture_on_commit_callbacks(execute=True):
        response = redate(client, deal, later, "our_capacity", "Ana is needed elsewhere")
    assert response.status_code == 302
    request = RedateRequest.objects.get()
    assert (request.status, request.needs_approval, request.promise) == ("requested", True, None)
    # Nothing moved yet: the promise, the project's date and its hours are as they were.
    after = state(deal)
    assert {k: after[k] for k in ("promises", "project_date", "reservations")} == {
        k: before[k] for k in ("promises", "project_date", "reservations")
    }
    assert Notification.objects.filter(user=ops_manager, deal=deal).count() == 1
    assert actions(deal)[-1] == "redate.requested"
    # The seller cannot approve their own move.
    assert decide(client, request, "approve").status_code == 403

    client.force_login(ops_manager)
    with django_capture_on_commit_callbacks(execute=True):
        assert decide(client, request, "approve", "Agreed, we are short").status_code == 302
    request.refresh_from_db()
    new = deal.promises.order_by("-created_at", "-pk").first()
    assert (request.status, request.decided_by, request.promise) == ("applied", ops_manager, new)
    assert request.decision_comment == "Agreed, we are short"
    assert new.promised_date == later and Project.objects.get(deal=deal).promised_date == later
    assert promise_original(deal=deal) == first
    notice = CustomerNotice.objects.get()
    assert notice.promise == new and "our team cannot finish" in notice.body
    assert bytes(notice.sheet_pdf).startswith(b"%PDF")
    assert actions(deal)[-3:] == ["promise.date_changed", "redate.approved", "notice.created"]
    assert Notification.objects.filter(user=sales_rep, deal=deal).count() == 1
    # Decided once: a second decision is refused.
    response = decide(client, request, "decline")
    assert response.status_code == 400 and "already applied" in response.content.decode()


def test_operations_declines_a_move_and_nothing_changes(client, shop, sales_rep, ops_manager):
    deal = promised(shop, sales_rep)
    client.force_login(sales_rep)
    redate(client, deal, nth_working_day(10), "our_capacity")
    request = RedateRequest.objects.get()
    before = state(deal)
    client.force_login(ops_manager)
    assert decide(client, request, "decline", "Find the hours").status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.promise) == ("declined", ops_manager, None)
    after = state(deal)
    assert after["promises"] == before["promises"]
    assert after["project_date"] == nth_working_day(5)
    assert after["notices"] == 0
    assert actions(deal)[-1] == "redate.declined"
    event = deal.audit_events.get(action="redate.declined")
    assert event.actor == ops_manager and event.payload["comment"] == "Find the hours"


@pytest.mark.parametrize("reason_code", ["customer_change", "our_capacity"])
def test_a_date_the_plan_cannot_keep_is_refused_with_the_reason_and_nothing_changes(
    client, shop, sales_rep, reason_code
):
    deal = promised(shop, sales_rep)
    client.force_login(sales_rep)
    before = state(deal)
    # Five working days of work cannot be done in three.
    response = redate(client, deal, nth_working_day(3), reason_code)
    assert response.status_code == 409
    text = response.content.decode()
    assert "not feasible" in text and "earliest date" in text and "Nothing was changed" in text
    assert state(deal) == before


def test_cancel_from_the_page_with_a_reason_releases_the_hours_and_writes_the_notice(
    client, shop, sales_rep
):
    deal = promised(shop, sales_rep)
    client.force_login(sales_rep)
    response = client.post(
        reverse("promising:deal-cancel", args=[deal.pk]), {"reason": "Budget withdrawn"}
    )
    assert response.status_code == 302
    assert Project.objects.get(deal=deal).status == Project.Status.CANCELLED
    assert Deal.objects.get(pk=deal.pk).stage == Deal.Stage.LOST
    assert not CapacityReservation.objects.filter(project__deal=deal).exists()
    event = deal.audit_events.get(action="promise.cancelled")
    assert event.actor == sales_rep and event.payload["reason"] == "Budget withdrawn"
    notice = CustomerNotice.objects.get()
    assert notice.kind == "cancel" and "is cancelled" in notice.body and not notice.sheet_pdf
    assert actions(deal)[-1] == "notice.created"
    page = client.get(reverse("promising:deal", args=[deal.pk])).content.decode()
    assert reverse("promising:deal-cancel", args=[deal.pk]) not in page  # nothing left to cancel
    assert reverse("promising:deal-redate", args=[deal.pk]) not in page


def test_cancel_without_a_reason_is_named_and_changes_nothing(client, shop, sales_rep):
    deal = promised(shop, sales_rep)
    client.force_login(sales_rep)
    before = state(deal)
    response = client.post(reverse("promising:deal-cancel", args=[deal.pk]), {"reason": ""})
    assert response.status_code == 400 and "Reason" in response.content.decode()
    assert state(deal) == before


def test_another_seller_may_not_redate_cancel_or_decide(client, shop, sales_rep, other_rep):
    deal = promised(shop, sales_rep)
    client.force_login(sales_rep)
    redate(client, deal, nth_working_day(10), "our_capacity")
    request = RedateRequest.objects.get()
    before = state(deal)
    client.force_login(other_rep)
    assert redate(client, deal, nth_working_day(12)).status_code == 403
    cancel = client.post(reverse("promising:deal-cancel", args=[deal.pk]), {"reason": "no"})
    assert cancel.status_code == 403
    assert decide(client, request, "approve").status_code == 403
    assert state(deal) == before
    page = client.get(reverse("promising:deal", args=[deal.pk])).content.decode()
    assert "Check and propose" not in page and "Cancel the promise" not in page


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"reason_code": ""}, "Reason"),
        ({"reason_code": "bored"}, "Reason"),
        ({"promised_date": "2027-13-40"}, "New date"),
        ({"promised_date": ""}, "New date"),
        ({"reason_code": "other", "note": " "}, "Note: say why the date changes"),
        ({"promised_date": "2001-01-01"}, "Promised date"),
        ({"idempotency_key": "not-a-uuid"}, "Idempotency key"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(client, shop, sales_rep, data, named):
    deal = promised(shop, sales_rep)
    client.force_login(sales_rep)
    before = state(deal)
    form = {
        "promised_date": nth_working_day(10).isoformat(),
        "reason_code": "customer_change",
        "note": "",
        "idempotency_key": str(uuid.uuid4()),
    } | data
    response = client.post(reverse("promising:deal-redate", args=[deal.pk]), form)
    assert response.status_code == 400
    assert named in response.content.decode()
    assert state(deal) == before


def test_the_date_already_promised_is_not_a_new_date(client, shop, sales_rep):
    deal = promised(shop, sales_rep)
    client.force_login(sales_rep)
    before = state(deal)
    response = redate(client, deal, nth_working_day(5))
    assert response.status_code == 400 and "the date already promised" in response.content.decode()
    assert state(deal) == before


def test_operations_moving_a_date_for_our_capacity_applies_it_themselves(
    client, shop, sales_rep, ops_manager
):
    deal = promised(shop, sales_rep)
    client.force_login(ops_manager)
    assert redate(client, deal, nth_working_day(10), "our_capacity").status_code == 302
    request = RedateRequest.objects.get()
    assert (request.status, request.needs_approval) == ("applied", False)
    assert Project.objects.get(deal=deal).promised_date == nth_working_day(10)


def test_the_project_page_offers_the_same_forms_to_the_owner(client, shop, sales_rep, other_rep):
    deal = promised(shop, sales_rep)
    project = Project.objects.get(deal=deal)
    url = reverse("delivery:project_detail", args=[project.pk])
    client.force_login(sales_rep)
    page = client.get(url).content.decode()
    assert reverse("promising:deal-redate", args=[deal.pk]) in page
    assert reverse("promising:deal-cancel", args=[deal.pk]) in page
    client.force_login(other_rep)
    page = client.get(url).content.decode()
    assert reverse("promising:deal-redate", args=[deal.pk]) not in page


def test_an_applied_request_needs_its_promise_in_the_database(shop, sales_rep):
    deal = promised(shop, sales_rep)
    with pytest.raises(IntegrityError, match="redate_applied_has_promise"), transaction.atomic():
        RedateRequest.objects.create(
            deal=deal,
            previous_promise=deal.promises.get(),
            requested_date=nth_working_day(9),
            reason_code="other",
            status="applied",
            requested_by=sales_rep,
        )


def test_a_declined_request_needs_its_decider_in_the_database(shop, sales_rep):
    deal = promised(shop, sales_rep)
    with pytest.raises(IntegrityError, match="redate_declined_has_decider"), transaction.atomic():
        RedateRequest.objects.create(
            deal=deal,
            previous_promise=deal.promises.get(),
            requested_date=nth_working_day(9),
            reason_code="other",
            status="declined",
            requested_by=sales_rep,
        )


def test_a_date_beyond_capacity_goes_to_operations_who_may_promise_it_as_such(
    client, shop, sales_rep, ops_manager
):
    deal = promised(shop, sales_rep)
    first = deal.promises.get()
    sooner = nth_working_day(3)
    client.force_login(sales_rep)
    before = state(deal)
    response = client.post(
        reverse("promising:deal-redate", args=[deal.pk]),
        {
            "promised_date": sooner.isoformat(),
            "reason_code": "customer_change",
            "note": "Their event moved forward",
            "beyond_capacity": "on",
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    request = RedateRequest.objects.get()
    assert (request.status, request.needs_approval, request.beyond_capacity) == (
        "requested",
        True,
        True,
    )
    after = state(deal)
    assert (after["promises"], after["project_date"]) == (
        before["promises"],
        before["project_date"],
    )

    client.force_login(ops_manager)
    assert decide(client, request, "approve", "We will push").status_code == 302
    request.refresh_from_db()
    new = request.promise
    assert (new.promised_date, new.beyond_capacity, new.confidence) == (sooner, True, None)
    assert new.approval == request.exception
    assert (request.exception.status, request.exception.beyond_capacity) == ("approved", True)
    assert request.exception.used_at is not None
    assert Project.objects.get(deal=deal).promised_date == sooner
    assert promise_original(deal=deal) == first
    notice = CustomerNotice.objects.get()
    assert "Our operations team has agreed to this date" in notice.body
    assert "exception.approved" in actions(deal) and "redate.approved" in actions(deal)


def test_nobody_decides_their_own_request_for_a_new_date(client, shop, sales_rep, ops_manager):
    deal = promised(shop, sales_rep)
    client.force_login(ops_manager)
    response = client.post(
        reverse("promising:deal-redate", args=[deal.pk]),
        {
            "promised_date": nth_working_day(3).isoformat(),
            "reason_code": "customer_change",
            "beyond_capacity": "on",
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    request = RedateRequest.objects.get()
    before = state(deal)
    response = decide(client, request, "approve")
    assert response.status_code == 403 and "their own request" in response.content.decode()
    assert state(deal) == before
    assert RedateRequest.objects.get().status == "requested"


def test_one_request_waits_per_deal_in_the_database(shop, sales_rep):
    deal = promised(shop, sales_rep)
    fields = {
        "deal": deal,
        "previous_promise": deal.promises.get(),
        "requested_date": nth_working_day(9),
        "reason_code": "our_capacity",
        "needs_approval": True,
        "requested_by": sales_rep,
    }
    RedateRequest.objects.create(**fields)
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        RedateRequest.objects.create(**fields)
    # SQLite names the column of a partial unique index, PostgreSQL the index.
    assert "redate_one_waiting_per_deal" in str(error.value) or "deal_id" in str(error.value)
    assert "redate_one_waiting_per_deal" in {c.name for c in RedateRequest._meta.constraints}


def test_a_proposal_sent_twice_waits_once_and_another_one_is_refused(client, shop, sales_rep):
    deal = promised(shop, sales_rep)
    client.force_login(sales_rep)
    assert redate(client, deal, nth_working_day(10), "our_capacity").status_code == 302
    assert redate(client, deal, nth_working_day(10), "our_capacity").status_code == 302
    assert RedateRequest.objects.count() == 1
    before = state(deal)
    response = redate(client, deal, nth_working_day(12))
    assert (
        response.status_code == 400
        and "already has a new date waiting" in response.content.decode()
    )
    assert state(deal) == before


def test_a_redate_committed_without_its_notice_gets_it_when_the_form_is_sent_again(
    client, shop, sales_rep
):
    """The re-date's transaction is durable and the notice is written after it: a crash
    between them leaves a new promise without a request; the same form writes them."""
    deal = promised(shop, sales_rep)
    first = deal.promises.get()
    later = nth_working_day(10)
    key = str(uuid.uuid4())
    result = promise_reschedule(
        user=sales_rep,
        deal=deal,
        promised_date=later,
        idempotency_key=key,
        request_fingerprint=f"redate-page:{deal.pk}:{later}:dependency",
        reason="Dependency",
    )
    assert result.status == "committed" and not RedateRequest.objects.exists()
    client.force_login(sales_rep)
    assert redate(client, deal, later, "dependency", key=key).status_code == 302
    request = RedateRequest.objects.get()
    assert (request.status, request.promise, request.previous_promise) == (
        "applied",
        result.promise,
        first,
    )
    assert CustomerNotice.objects.get().promise == result.promise
    assert Promise.objects.filter(deal=deal).count() == 2


def test_the_first_promised_date_is_queryable_beside_the_current_one(client, shop, sales_rep):
    deal = promised(shop, sales_rep)
    client.force_login(sales_rep)
    redate(client, deal, nth_working_day(10))
    redate(client, deal, nth_working_day(14), "scope_change")
    row = Project.objects.annotate(original=promise_original_date()).get(deal=deal)
    assert (row.original, row.promised_date) == (nth_working_day(5), nth_working_day(14))
    assert RedateRequest.objects.filter(deal=deal, status="applied").count() == 2
    assert CustomerNotice.objects.filter(deal=deal, kind="redate").count() == 2
