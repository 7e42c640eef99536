"""The fixed SQL the promising core keeps: additive upserts whose CHECK constraints are the
last word on over-commitment, and the one read every quote and commit starts with (the
ledger version and whether a hold is due; benchmarks/RESULTS.md, "request overhead", has
its cost against the ORM query it replaces)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import IntegrityError, connection, models

from promisekeeper.organisation.models import Ledger
from promisekeeper.sales.models import (
    CapacityReservation,
    Hold,
    PersonDayLoad,
    ProductAvailability,
)

T = TypeVar("T")


def statement_batches(rows: Sequence[T], columns: int) -> list[Sequence[T]]:
    """``rows`` in slices whose parameters fit one statement on this database."""
    size = max(1, (connection.features.max_query_params or 10_000) // columns)
    return [rows[k : k + size] for k in range(0, len(rows), size)]


def rows_insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict: str = "",
) -> None:
    """Insert rows without building model instances (a commit does this inside the lock);
    the table's constraints check every row, and a statement fails whole.

    PostgreSQL gets one statement of column arrays (``UNNEST``): its text stays short, so
    the driver parses it once instead of scanning thousands of placeholders per commit.
    Other databases get VALUES lists that fit their parameter limit.
    """
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    statements: list[tuple[str, list[Any], int]] = []
    if connection.vendor == "postgresql":
        types = [model._meta.get_field(c).db_type(connection) for c in columns]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        statements.append(
            (
                f"INSERT INTO {table} ({names}) SELECT * FROM UNNEST({arrays}) {on_conflict}",  # noqa: S608
                [list(column) for column in zip(*rows, strict=True)],
                len(rows),
            )
        )
    else:
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for batch in statement_batches(rows, len(columns)):
            statements.append(
                (
                    f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(batch))} "  # noqa: S608
                    + on_conflict,
                    [value for row in batch for value in row],
                    len(batch),
                )
            )
    with connection.cursor() as cursor:
        for sql, params, count in statements:
            cursor.execute(sql, params)
            if cursor.rowcount not in (-1, count):
                raise IntegrityError(f"{table}: {cursor.rowcount} of {count} rows written")


def person_day_load_add(
    rows: Sequence[tuple[int, datetime.date, int, int, int, int]],
) -> None:
    """Add (person, day, capacity now, minutes, overtime minutes, overtime allowed) to the
    load rows, in one statement (SQLite: as few as its parameter limit allows).

    Missing rows are created; capacity follows the current calendar (hours added or taken away
    since a row was made), the overtime allowance becomes the larger of the row's and the
    commit's, and the CHECKs then compare all reserved minutes with what the person has today
    plus approved overtime, and that overtime with its allowance: an over-commitment fails
    the statement, and the caller's transaction with it.
    """
    table = connection.ops.quote_name(PersonDayLoad._meta.db_table)
    allowed = f"{table}.overtime_allowed_minutes"
    rows_insert(
        PersonDayLoad,
        (
            "person_id",
            "day",
            "capacity_minutes",
            "reserved_minutes",
            "overtime_minutes",
            "overtime_allowed_minutes",
        ),
        rows,
        on_conflict=(
            "ON CONFLICT (person_id, day) DO UPDATE SET "
            f"reserved_minutes = {table}.reserved_minutes + excluded.reserved_minutes, "
            f"overtime_minutes = {table}.overtime_minutes + excluded.overtime_minutes, "
            f"overtime_allowed_minutes = CASE WHEN {allowed} > excluded.overtime_allowed_minutes "
            f"THEN {allowed} ELSE excluded.overtime_allowed_minutes END, "
            "capacity_minutes = excluded.capacity_minutes"
        ),
    )


def capacity_reservations_insert(
    rows: Sequence[tuple[int, int, str, int, datetime.date, int, int]],
) -> None:
    """Insert (promise, project, phase key, person, day, minutes, overtime minutes) rows.

    A commit writes one row per person-day and phase (tens to hundreds) inside the capacity
    lock; ``bulk_create`` builds a model instance per row first, which cost about a fifth of
    a commit's CPU (benchmarks/RESULTS.md, "request overhead"). The table's CHECKs and its
    unique constraint still judge every row.
    """
    rows_insert(
        CapacityReservation,
        (
            "promise_id",
            "project_id",
            "phase_key",
            "person_id",
            "day",
            "minutes",
            "overtime_minutes",
        ),
        rows,
    )


def product_availability_add(*, product_id: int, supply: int, reserved: int) -> None:
    """Add ``reserved`` units to the product's promised units (creating its row, and setting
    its supply as counted now), in one statement: the row's CHECK (reserved <= supply)
    refuses an over-promise, and the caller's transaction with it."""
    table = connection.ops.quote_name(ProductAvailability._meta.db_table)
    rows_insert(
        ProductAvailability,
        ("product_id", "supply_quantity", "reserved_quantity"),
        [(product_id, supply, reserved)],
        on_conflict=(
            "ON CONFLICT (product_id) DO UPDATE SET "
            "supply_quantity = excluded.supply_quantity, "
            f"reserved_quantity = {table}.reserved_quantity + excluded.reserved_quantity"
        ),
    )


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return connection.ops.quote_name(field.column or name)


def ledger_version_and_holds_due(*, now: datetime.datetime) -> tuple[int, bool]:
    """The capacity ledger version (0 before the first write) and whether an active hold
    has expired by ``now``, in one statement.

    Every quote and commit asks this first. The ORM builds the same query in about 0.6 ms
    on every request (an ``Exists`` annotation on the ledger row); the fixed text costs a
    tenth of that and reads the same two facts.
    """
    ledger = connection.ops.quote_name(Ledger._meta.db_table)
    hold = connection.ops.quote_name(Hold._meta.db_table)
    sql = (
        f"SELECT (SELECT {_column(Ledger, 'version')} FROM {ledger} "  # noqa: S608
        f"ORDER BY {_column(Ledger, 'id')} LIMIT 1), "
        f"EXISTS (SELECT 1 FROM {hold} WHERE {_column(Hold, 'active')} = %s "
        f"AND {_column(Hold, 'expires_at')} <= %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, connection.ops.adapt_datetimefield_value(now)])
        version, due = cursor.fetchone()
    return int(version or 0), bool(due)
