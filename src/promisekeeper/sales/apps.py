from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _append_only_enforced() -> int:
    return 1


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give every SQLite connection pk_append_only(), which the append-only triggers call."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("pk_append_only", 0, _append_only_enforced)


class SalesConfig(AppConfig):
    name = "promisekeeper.sales"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        connection_created.connect(register_sqlite_functions, dispatch_uid="pk_sqlite_functions")
