"""Fixed SQL for the few reads on the hottest paths: every request, and a commit's lock.

The ORM compiles a query afresh on every call; for these small lookups compiling cost more
than the database's answer, and a commit pays it while every other commit waits. Table and
column names still come from the models, so a rename reaches these statements too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


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
