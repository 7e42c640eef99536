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
