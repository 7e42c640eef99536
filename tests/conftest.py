from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group

from tests import factories


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
) -> Iterator[None]:
    """With PK_TEST_POSTGRES=1, point the default database at a throwaway local cluster."""
    if os.environ.get("PK_TEST_POSTGRES") != "1":
        yield
        return
    from django.conf import settings
    from django.db import connections

    from tests.postgres import cluster_start

    cluster = cluster_start()
    connections.close_all()
    # Update in place: the connection handler holds this very dict.
    settings.DATABASES["default"].update(
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "promisekeeper",
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": str(cluster.port),
            "OPTIONS": {},
            "CONN_MAX_AGE": 0,
        }
    )
    # Drop the already-created SQLite wrapper so the next access builds a PostgreSQL one.
    del connections["default"]
    try:
        yield
    finally:
        connections.close_all()
        cluster.stop()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres_only: needs PostgreSQL; deselected (and reported) without it"
    )
    config.addinivalue_line("markers", "both_databases: runs in the SQLite and PostgreSQL runs")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without PK_TEST_POSTGRES=1, deselect postgres_only tests and say how many."""
    if os.environ.get("PK_TEST_POSTGRES") == "1":
        return
    deselected = [item for item in items if item.get_closest_marker("postgres_only")]
    if not deselected:
        return
    items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]
    config.hook.pytest_deselected(items=deselected)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"postgres_only: deselected {len(deselected)} test(s); they run with PK_TEST_POSTGRES=1"
        )


@pytest.fixture(autouse=True)
def _fresh_snapshot_cache() -> Iterator[None]:
    """Every test has a new database whose ledger may reach a version another test's had."""
    from promisekeeper.promising.cache import plan_cache_clear

    plan_cache_clear()
    yield
    plan_cache_clear()


@pytest.fixture(autouse=True, scope="session")
def _flush_past_append_only_triggers() -> Iterator[None]:
    """Let the test runner's flush (DELETE FROM every table on SQLite) empty audit/promise rows.

    Production SQLite connections get pk_append_only() = 1, so the triggers reject
    deletes; only this flush, between transactional tests, swaps in 0 while it runs.
    """
    from django.core.management.commands import flush
    from django.db import connections

    original = flush.Command.handle

    def handle(self: flush.Command, **options: object) -> None:
        connection = connections[str(options.get("database") or "default")]
        if connection.vendor != "sqlite":
            return original(self, **options)
        connection.ensure_connection()
        connection.connection.create_function("pk_append_only", 0, lambda: 0)
        try:
            return original(self, **options)
        finally:
            connection.connection.create_function("pk_append_only", 0, lambda: 1)

    flush.Command.handle = handle  # type: ignore[method-assign]
    yield
    flush.Command.handle = original  # type: ignore[method-assign]


@pytest.fixture
def groups(db: None) -> dict[str, Group]:
    return {
        name: Group.objects.get_or_create(name=name)[0] for name in ("sales", "operations", "admin")
    }


@pytest.fixture
def sales_user(groups: dict[str, Group]) -> object:
    user = factories.UserFactory(username="seller")
    user.groups.add(groups["sales"])
    return user


@pytest.fixture
def ops_user(groups: dict[str, Group]) -> object:
    user = factories.UserFactory(username="operator", is_staff=True)
    user.groups.add(groups["operations"])
    return user


@pytest.fixture
def outsider(db: None) -> object:
    return factories.UserFactory(username="outsider")


@pytest.fixture
def superuser(db: None) -> object:
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)
