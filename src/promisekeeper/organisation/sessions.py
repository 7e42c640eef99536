"""Django's database sessions, loaded with one plain statement.

Every request of a signed-in user loads its session first. The ORM spent longer building
that lookup than the database spent answering it; storage, expiry and saving are Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        key = self.session_key
        if not key:
            return {}
        model = self.model
        connection = connections[router.db_for_read(model)]
        ops = connection.ops
        table = ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {ops.quote_name('session_data')} FROM {table} "  # noqa: S608 - names are the model's
                f"WHERE {ops.quote_name('session_key')} = %s "
                f"AND {ops.quote_name('expire_date')} > %s",
                [key, ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # expired or unknown: a new session, as Django's store does
            return {}
        decoded: dict[str, Any] = self.decode(row[0])
        return decoded
