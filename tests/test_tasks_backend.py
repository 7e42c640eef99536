from __future__ import annotations

import pytest
from django.core.management import get_commands
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend


def test_background_tasks_are_stored_in_the_database():
    assert isinstance(task_backends["default"], DatabaseBackend)


def test_db_worker_command_is_available():
    assert get_commands()["db_worker"] == "django_tasks_db"


@pytest.mark.django_db
def test_task_tables_exist():
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.count() == 0
