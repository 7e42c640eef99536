"""Fixed SQL for the promising path only: a commit's locks and new rows, stock to promise,
and the journal a snapshot replays.

The ORM compiles a query afresh on every call; a commit pays that while every other commit
waits for the capacity lock. Everything else, sessions and sign-in included, uses the ORM.
Table and column names still come from the models, so a rename reaches these statements too.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection, connections, models


def table(model: type[models.Model]) -> str:
    """The model's table, quoted for this database."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], field: str) -> str:
    """The column of ``field`` (a field name, ``deal`` for ``deal_id``), quoted."""
    found = model._meta.get_field(field)
    if not isinstance(found, models.Field) or not found.column:
        raise TypeError(f"{model.__name__}.{field} has no column")
    return connection.ops.quote_name(found.column)


def for_update() -> str:
    """`` FOR UPDATE`` where the database locks rows (SQLite's BEGIN IMMEDIATE locks all)."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def fetch_one(sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
    """The first row of ``sql``, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else tuple(row)


def fetch_all(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of ``sql``."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


M = TypeVar("M", bound=models.Model)


@cache
def _insert_statement(
    model: type[models.Model], rows: int, alias: str
) -> tuple[str, tuple[models.Field[Any, Any], ...], bool]:
    """The INSERT of ``rows`` new rows of ``model`` (``alias`` keys the cache per database)."""
    ops, features = connections[alias].ops, connections[alias].features
    pk = model._meta.pk
    assert pk is not None
    fields = tuple(f for f in model._meta.concrete_fields if f is not pk)
    names = ", ".join(ops.quote_name(str(f.column)) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = features.can_return_rows_from_bulk_insert
    sql = (
        f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({names}) "  # noqa: S608 - the model's names
        f"VALUES {', '.join([one] * rows)}"
        + (f" RETURNING {ops.quote_name(str(pk.column))}" if returning else "")
    )
    return sql, fields, returning


def insert(rows: Sequence[M]) -> Sequence[M]:
    """Insert new rows of one model and give them their primary keys: one statement, or as
    few as the database's parameter limit allows.

    What ``save()`` does for a new row, minus compiling the statement each time: fields
    prepare their values (``auto_now_add`` included) exactly as Django's insert does. There
    are no save signals here; this project connects none.
    """
    if not rows:
        return rows
    model = type(rows[0])
    per_row = len(model._meta.concrete_fields)
    size = max(1, (connection.features.max_query_params or 10_000) // per_row)
    if not connection.features.can_return_rows_from_bulk_insert:
        size = 1
    for start in range(0, len(rows), size):
        _insert_batch(rows[start : start + size])
    return rows


def _insert_batch(rows: Sequence[models.Model]) -> None:
    sql, fields, returning = _insert_statement(type(rows[0]), len(rows), connection.alias)
    params = [f.get_db_prep_save(f.pre_save(row, True), connection) for row in rows for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [r[0] for r in cursor.fetchall()] if returning else [cursor.lastrowid]
    for row, key in zip(rows, keys, strict=True):
        row.pk = key
        row._state.adding = False
        row._state.db = connection.alias
