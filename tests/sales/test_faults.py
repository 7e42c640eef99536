"""Faults on PostgreSQL: a commit's session killed mid-transaction, the server restarted under load.

Nothing partial may remain, no acknowledged promise may be lost, and retrying with the same
idempotency key must give exactly one promise. PostgreSQL only (marked postgres_only: the
SQLite run deselects and reports them).
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Sum

from promisekeeper.delivery.models import Project
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.promising.booking import CommitResult
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import CapacityReservation, Deal, PersonDayLoad, Promise
from tests import postgres
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import deal_for, nth_working_day, shop_create

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _raw() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=connection.settings_dict["NAME"]
    )


def _commit(user, deal: Deal, lines: list[QuoteLine], date, key: str) -> CommitResult:
    return promise_commit(
        user=user,
        deal=deal,
        lines=lines,
        promised_date=date,
        idempotency_key=key,
        request_fingerprint=commit_fingerprint(deal_id=deal.pk, lines=lines, promised_date=date),
    )


def _wait_for(query: str, params: tuple[object, ...], timeout: float = 30.0) -> object:
    """Poll another session until ``query`` returns a row (a lock wait, not a sleep-and-hope)."""
    deadline = time.monotonic() + timeout
    with _raw() as probe:
        probe.autocommit = True
        while time.monotonic() < deadline:
            row = probe.execute(query, params).fetchone()
            if row is not None:
                return row[0]
            time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {query}")


def test_killed_session_mid_commit_leaves_nothing_and_the_retry_commits_once(sales_rep):
    shop = shop_create()
    deal = deal_for(shop, sales_rep)
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    date = nth_working_day(5)
    first_day = nth_working_day(1)
    PersonDayLoad.objects.create(person=shop.person, day=first_day, capacity_minutes=8 * 60)
    version = ledger_version_get()
    outcome: list[object] = []

    # Hold the first person-day's load row, so the commit blocks *after* writing its
    # promise, project and reservations, still inside its transaction and holding the ledger.
    blocker = _raw()
    blocker.execute(
        "SELECT 1 FROM sales_persondayload WHERE person_id = %s AND day = %s FOR UPDATE",
        (shop.person.pk, first_day),
    )

    def victim() -> None:
        try:
            outcome.append(_commit(sales_rep, deal, lines, date, "fault-kill"))
        except DatabaseError as error:
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=victim)
    thread.start()
    pid = _wait_for(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query ILIKE %s AND pid <> pg_backend_pid()",
        ("%sales_persondayload%",),
    )
    with _raw() as killer:
        killer.autocommit = True
        assert killer.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    thread.join(timeout=60)
    blocker.rollback()
    blocker.close()

    assert len(outcome) == 1 and isinstance(outcome[0], DatabaseError)
    assert Promise.objects.count() == 0
    assert Project.objects.count() == 0
    assert CapacityReservation.objects.count() == 0
    assert PersonDayLoad.objects.aggregate(total=Sum("reserved_minutes"))["total"] == 0
    assert ledger_version_get() == version
    deal.refresh_from_db()
    assert deal.stage == Deal.Stage.LEAD
    assert capacity_violations(connection) == []

    retried = _commit(sales_rep, deal, lines, date, "fault-kill")
    again = _commit(sales_rep, deal, lines, date, "fault-kill")
    assert (retried.status, again.status) == ("committed", "replayed")
    assert again.promise.pk == retried.promise.pk
    assert Promise.objects.count() == 1
    assert capacity_violations(connection) == []


def test_server_restart_under_load_loses_no_acknowledged_promise(sales_rep):
    cluster = postgres.ACTIVE
    assert cluster is not None
    shop = shop_create()
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    date = nth_working_day(70)
    deals = [deal_for(shop, sales_rep, name=f"load {k}") for k in range(12)]
    acknowledged: dict[str, int] = {}
    failures: list[object] = []
    first_ack = threading.Event()
    lock = threading.Lock()

    def client(mine: list[Deal]) -> None:
        try:
            for deal in mine:
                key = f"restart-{deal.pk}"
                for _attempt in range(200):
                    try:
                        result = _commit(sales_rep, deal, lines, date, key)
                    except DatabaseError:
                        connection.close()  # the server went away: reconnect and retry
                        time.sleep(0.05)
                        continue
                    with lock:
                        if result.promise is not None:
                            acknowledged[key] = result.promise.pk
                        else:
                            failures.append(result)
                    first_ack.set()
                    break
                else:
                    failures.append(f"{key}: never got an answer")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(deals[k::4],)) for k in range(4)]
    for thread in threads:
        thread.start()
    assert first_ack.wait(timeout=60)
    cluster.restart()
    for thread in threads:
        thread.join(timeout=120)
    connection.close()

    assert failures == []
    assert len(acknowledged) == len(deals)
    promises = dict(Promise.objects.values_list("idempotency_key", "pk"))
    assert promises == acknowledged
    for deal in deals:
        replay = _commit(sales_rep, deal, lines, date, f"restart-{deal.pk}")
        assert (replay.status, replay.promise.pk) == (
            "replayed",
            acknowledged[f"restart-{deal.pk}"],
        )
    loads = list(PersonDayLoad.objects.all())
    assert all(load.reserved_minutes <= load.capacity_minutes for load in loads)
    reserved = CapacityReservation.objects.aggregate(total=Sum("minutes"))["total"]
    assert reserved == sum(load.reserved_minutes for load in loads) == 40 * 60 * len(deals)
    assert capacity_violations(connection) == []
