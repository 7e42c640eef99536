"""The audit trail and promises are append-only in the database; one event per business action."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.exceptions import exception_decide, exception_request
from promisekeeper.promising.holds import hold_place
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.quote import quote_check
from promisekeeper.sales.models import AuditEvent, Promise
from tests.sales.conftest import deal_for, nth_working_day

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def _rejected(sql: str, params: list[object]) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def _committed_promise(shop, user) -> Promise:
    deal = deal_for(shop, user)
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    date = nth_working_day(5)
    return promise_commit(
        user=user,
        deal=deal,
        lines=lines,
        promised_date=date,
        idempotency_key="audit-1",
        request_fingerprint=commit_fingerprint(deal_id=deal.pk, lines=lines, promised_date=date),
    ).promise


def test_audit_event_update_fails_at_the_database(shop, sales_rep):
    event = AuditEvent.objects.create(action="test.event", actor=sales_rep)
    _rejected("UPDATE sales_auditevent SET action = %s WHERE id = %s", ["forged", event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    event.refresh_from_db()
    assert event.action == "test.event"


def test_audit_event_delete_fails_at_the_database(shop, sales_rep):
    event = AuditEvent.objects.create(action="test.event", actor=sales_rep)
    _rejected("DELETE FROM sales_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_promise_update_and_delete_fail_at_the_database(shop, sales_rep):
    promise = _committed_promise(shop, sales_rep)
    _rejected("UPDATE sales_promise SET promised_date = promised_date WHERE id = %s", [promise.pk])
    _rejected("DELETE FROM sales_promise WHERE id = %s", [promise.pk])
    assert Promise.objects.get(pk=promise.pk).promised_date == promise.promised_date


def test_each_business_action_is_exactly_one_event(shop, sales_rep, ops_manager):
    deal = deal_for(shop, sales_rep)
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    start = AuditEvent.objects.count()
    quote_check(user=sales_rep, customer=None, deal=deal, lines=lines, wanted_date=None)
    assert AuditEvent.objects.count() == start  # a quote alone is not a business action
    hold_place(user=sales_rep, deal=deal)
    request = exception_request(user=sales_rep, deal=deal, requested_date=nth_working_day(3))
    exception_decide(user=ops_manager, request=request, decision="decline", comment="no")
    date = nth_working_day(5)
    promise_commit(
        user=sales_rep,
        deal=deal,
        lines=lines,
        promised_date=date,
        idempotency_key="audit-2",
        request_fingerprint=commit_fingerprint(deal_id=deal.pk, lines=lines, promised_date=date),
    )
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)[start:])
    assert actions == [
        "hold.placed",
        "exception.requested",
        "exception.declined",
        "promise.committed",
    ]
    committed = AuditEvent.objects.get(action="promise.committed")
    quote = committed.payload["quote"]
    assert quote["promise_date"] == date.isoformat()
    assert (quote["load"], quote["options"]) == (None, None)  # the picture, not the evidence
    assert quote["lines"] == [{"quantity": 1, "offering_id": shop.offering.pk, "product_id": None}]
    promise = Promise.objects.get(deal=deal)
    assert promise.evidence["promise_date"] == date.isoformat()
    assert promise.evidence["ledger_version"] == quote["ledger_version"]
