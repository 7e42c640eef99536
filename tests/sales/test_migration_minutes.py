"""Migration 0010 turns booked hours into whole minutes and back, keeping every load exactly
the sum of its reservations and the reservation table's ledger triggers, on both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.promising.changes import promise_cancel
from promisekeeper.sales.models import CapacityReservation, PersonDayLoad
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import deal_for, nth_working_day, shop_create
from tests.sales.test_services import commit, one_site

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.both_databases]

HOURS = [("sales", "0012_audit_admin_actions")]
MINUTES = [("sales", "0013_hours_as_minutes")]


def _migrate(target: list[tuple[str, str]]):
    """Migrate the test database to ``target``; returns the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


def _migrate_to_latest() -> None:
    """Bring every app back to its newest migration: the schema outlives this test, and the
    tests after it need the tables newer migrations add."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _reservation_write_bumps_the_ledger() -> bool:
    before = ledger_version_get()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sales_capacityreservation SET day = day")
    return ledger_version_get() > before


def test_hours_become_minutes_and_back_with_loads_equal_to_their_reservations(sales_rep):
    shop = shop_create()
    deal = deal_for(shop, sales_rep)
    assert commit(sales_rep, deal, one_site(shop), nth_working_day(5)).status == "committed"
    first_day = nth_working_day(1)
    try:
        old = _migrate(HOURS)
        assert _reservation_write_bumps_the_ledger()
        OldReservation = old.get_model("sales", "CapacityReservation")
        OldLoad = old.get_model("sales", "PersonDayLoad")
        assert set(OldReservation.objects.values_list("hours", flat=True)) == {Decimal(8)}
        # The old data at its worst: half an hour of approved overtime on a 7.5 h day, and
        # loads that drifted below their reservations (SQLite kept them as floats).
        OldReservation.objects.filter(day=first_day).update(overtime_hours=Decimal("0.5"))
        OldLoad.objects.filter(day=first_day).update(
            capacity_hours=Decimal("7.5"), overtime_hours=Decimal("0.5")
        )
        with connection.cursor() as cursor:
            cursor.execute("UPDATE sales_persondayload SET reserved_hours = 7.99999999")

        _migrate(MINUTES)

        assert set(CapacityReservation.objects.values_list("minutes", flat=True)) == {480}
        assert list(
            CapacityReservation.objects.filter(overtime_minutes__gt=0).values_list(
                "day", "overtime_minutes"
            )
        ) == [(first_day, 30)]
        loads = {
            load.day: (
                load.capacity_minutes,
                load.reserved_minutes,
                load.overtime_minutes,
                load.overtime_allowed_minutes,
            )
            for load in PersonDayLoad.objects.all()
        }
        assert loads.pop(first_day) == (450, 480, 30, 30)
        assert set(loads.values()) == {(480, 480, 0, 0)}
        # The loads are whole again; only the overtime made up above has no approval.
        assert [v.split(":")[0] for v in capacity_violations(connection)] == [
            "overtime over the approved share"
        ]
        assert _reservation_write_bumps_the_ledger()

        back = _migrate(HOURS)
        assert _reservation_write_bumps_the_ledger()
        OldLoad = back.get_model("sales", "PersonDayLoad")
        assert OldLoad.objects.get(day=first_day).capacity_hours == Decimal("7.5")
        assert set(OldLoad.objects.values_list("reserved_hours", "overtime_hours")) == {
            (Decimal(8), Decimal("0.5")),
            (Decimal(8), Decimal(0)),
        }
    finally:
        _migrate_to_latest()

    assert _reservation_write_bumps_the_ledger()
    promise_cancel(user=sales_rep, deal=deal, reason="customer withdrew")
    assert set(
        PersonDayLoad.objects.values_list(
            "reserved_minutes", "overtime_minutes", "overtime_allowed_minutes"
        )
    ) == {(0, 0, 0)}
    assert capacity_violations(connection) == []
