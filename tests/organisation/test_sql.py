"""Fixed SQL helpers: inserts that behave as ``save()`` does for new rows."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from promisekeeper.organisation import sql
from promisekeeper.organisation.models import Ledger
from promisekeeper.sales.models import AuditEvent, Deal
from tests.factories import DealFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_insert_gives_keys_and_stores_what_save_would():
    actor, deal = UserFactory(), DealFactory()
    before = timezone.now()
    rows = [
        AuditEvent(actor=actor, action="a", deal=deal, payload={"n": 1, "when": "2027-01-01"}),
        AuditEvent(actor=None, action="b", payload={"nested": [1, {"x": None}]}),
    ]
    with CaptureQueriesContext(connection) as queries:
        sql.insert(rows)
    assert len(queries.captured_queries) == 1
    assert all(row.pk is not None and not row._state.adding for row in rows)
    assert rows[0].created_at >= before  # auto_now_add, as save() sets it
    stored = {e.pk: e for e in AuditEvent.objects.filter(pk__in=[r.pk for r in rows])}
    first, second = stored[rows[0].pk], stored[rows[1].pk]
    assert (first.actor_id, first.action, first.deal_id) == (actor.pk, "a", deal.pk)
    assert (
        first.payload == {"n": 1, "when": "2027-01-01"} and first.created_at == rows[0].created_at
    )
    assert second.actor_id is None and second.payload == {"nested": [1, {"x": None}]}


def test_insert_splits_batches_at_the_parameter_limit_and_keeps_the_order():
    rows = [AuditEvent(action=f"e{k}", payload={"k": k}) for k in range(450)]  # 2 250 values
    sql.insert(rows)
    stored = dict(
        AuditEvent.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "action")
    )
    assert len(stored) == 450
    assert all(stored[row.pk] == f"e{k}" for k, row in enumerate(rows))


def test_insert_of_nothing_runs_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert sql.insert([]) == []
    assert not queries.captured_queries


def test_fetch_and_quoting_read_the_models_names():
    event = sql.insert([AuditEvent(action="x", payload={})])[0]
    row = sql.fetch_one(
        f"SELECT {sql.column(AuditEvent, 'action')}, {sql.column(AuditEvent, 'deal')} "
        f"FROM {sql.table(AuditEvent)} WHERE {sql.column(AuditEvent, 'id')} = %s",
        [event.pk],
    )
    assert row == ("x", None)
    assert sql.fetch_all(f"SELECT 1 FROM {sql.table(AuditEvent)} WHERE 1 = 0") == []
    with pytest.raises(TypeError):
        sql.column(Deal, "audit_events")  # a reverse relation has no column


def _lock_ledger() -> tuple[object, ...] | None:
    return sql.fetch_one(
        f"SELECT {sql.column(Ledger, 'version')} FROM {sql.table(Ledger)}"  # noqa: S608
        f"{sql.for_update()}"
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_row_read_for_update_stays_locked_until_its_transaction_ends():
    Ledger.objects.get_or_create(singleton=True)
    outcomes: list[str] = []

    def other_transaction() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '200ms'")
                _lock_ledger()
            outcomes.append("locked")
        except OperationalError:
            outcomes.append("waited in vain")
        finally:
            connection.close()

    def in_a_thread() -> None:
        thread = threading.Thread(target=other_transaction)
        thread.start()
        thread.join(timeout=30)

    with transaction.atomic():
        assert _lock_ledger() is not None
        in_a_thread()
    in_a_thread()
    assert outcomes == ["waited in vain", "locked"]
