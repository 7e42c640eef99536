"""Loading the signed-in user together with the role groups every page asks about."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, User
from django.db import connections, router

from promisekeeper.organisation import sql
from promisekeeper.organisation.permissions import GROUPS, remember_group_names


@cache
def _user_with_groups_sql() -> tuple[str, tuple[str, ...]]:
    """The user's columns and role group names, one row per group.

    Written once as SQL rather than built by the ORM per request: compiling the annotated
    queryset cost more than running it, and every request of a signed-in user pays this.
    """
    through = User.groups.through
    attnames = tuple(f.attname for f in User._meta.concrete_fields)
    columns = ", ".join(f"u.{sql.column(User, f.name)}" for f in User._meta.concrete_fields)
    marks = ", ".join(["%s"] * len(GROUPS))
    query = (
        f"SELECT {columns}, g.{sql.column(Group, 'name')} FROM {sql.table(User)} u "  # noqa: S608 - the models' names
        f"LEFT JOIN {sql.table(through)} ug ON ug.{sql.column(through, 'user')} = "
        f"u.{sql.column(User, 'id')} "
        f"LEFT JOIN {sql.table(Group)} g ON g.{sql.column(Group, 'id')} = "
        f"ug.{sql.column(through, 'group')} AND g.{sql.column(Group, 'name')} IN ({marks}) "
        f"WHERE u.{sql.column(User, 'id')} = %s"
    )
    return query, attnames


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
        query, attnames = _user_with_groups_sql()
        with connection.cursor() as cursor:
            cursor.execute(query, [*GROUPS, pk])
            rows = cursor.fetchall()
        if not rows:
            return None
        user = User.from_db(alias, attnames, rows[0][:-1])
        if not self.user_can_authenticate(user):
            return None
        remember_group_names(user, [row[-1] for row in rows if row[-1] is not None])
        return user
