"""Loading the signed-in user together with the role groups every page asks about."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, User
from django.db import connections, router

from promisekeeper.organisation.permissions import GROUPS, remember_group_names


@cache
def _user_with_groups_sql() -> tuple[str, tuple[str, ...]]:
    """The user's columns and role group names, one row per group (standard SQL quoting).

    Written once as SQL rather than built by the ORM per request: compiling the annotated
    queryset cost more than running it, and every request of a signed-in user pays this.
    """
    attnames = tuple(f.attname for f in User._meta.concrete_fields)
    columns = ", ".join(f'u."{f.column}"' for f in User._meta.concrete_fields)
    through = User.groups.through._meta.db_table
    marks = ", ".join(["%s"] * len(GROUPS))
    sql = (
        f'SELECT {columns}, g."name" FROM "{User._meta.db_table}" u '  # noqa: S608 - names are the models'
        f'LEFT JOIN "{through}" ug ON ug."user_id" = u."id" '
        f'LEFT JOIN "{Group._meta.db_table}" g ON g."id" = ug."group_id" AND g."name" IN ({marks}) '
        'WHERE u."id" = %s'
    )
    return sql, attnames


class RoleAwareBackend(ModelBackend):
    """Django's model backend, but a session's user arrives with its role groups.

    Every request checks whether the user is in sales, operations or admin; reading that
    in the same query as the user saves a database round trip per request.
    """

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        alias = router.db_for_read(User)
        connection = connections[alias]
        sql, attnames = _user_with_groups_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, [*GROUPS, pk])
            rows = cursor.fetchall()
        if not rows:
            return None
        user = User.from_db(alias, attnames, rows[0][:-1])
        if not self.user_can_authenticate(user):
            return None
        remember_group_names(user, [row[-1] for row in rows if row[-1] is not None])
        return user
