"""Background jobs: django-tasks' database backend, and the periodic hold jobs running end
to end through `promisekeeper scheduler` and `promisekeeper db_worker`."""

from __future__ import annotations

import datetime
import signal
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command, get_commands
from django.utils import timezone
from django_tasks import TaskResultStatus, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from promisekeeper.organisation.jobs import DailyAt, Every, periodic_jobs
from promisekeeper.organisation.models import PeriodicJobRun
from promisekeeper.sales.models import AuditEvent, Deal, Hold, Notification
from tests import factories


def test_background_tasks_are_stored_in_the_database():
    assert isinstance(task_backends["default"], DatabaseBackend)


def test_db_worker_and_scheduler_commands_are_available():
    assert get_commands()["db_worker"] == "django_tasks_db"
    assert get_commands()["scheduler"] == "promisekeeper.organisation"


def test_the_hold_and_checkin_jobs_are_registered():
    schedules = {job.name: job.schedule for job in periodic_jobs()}
    assert schedules["checkins-schedule"] == DailyAt(datetime.time(5))
    assert schedules["holds-expire"] == Every(datetime.timedelta(minutes=5))
    assert schedules["holds-warn-expiring"] == Every(datetime.timedelta(hours=1))


@pytest.fixture
def signals_kept() -> Iterator[None]:
    """db_worker installs its own SIGINT/SIGTERM/SIGQUIT handlers; give pytest its own back."""
    kept = {
        signum: signal.getsignal(signum)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
    }
    yield
    for signum, handler in kept.items():
        signal.signal(signum, handler)


@pytest.mark.django_db(transaction=True)  # the worker claims each task in its own transaction
def test_a_scheduler_tick_enqueues_the_hold_jobs_and_the_worker_runs_them(signals_kept, capsys):
    now = timezone.now()
    expired = Hold.objects.create(
        deal=factories.DealFactory(stage=Deal.Stage.HELD),
        created_by=factories.UserFactory(username="expired-owner"),
        expires_at=now - datetime.timedelta(minutes=1),
    )
    tomorrow = Hold.objects.create(
        deal=factories.DealFactory(stage=Deal.Stage.HELD),
        created_by=factories.UserFactory(username="tomorrow-owner"),
        expires_at=now + datetime.timedelta(hours=12),
    )

    call_command("scheduler", "--once")
    assert capsys.readouterr().out == (
        "Enqueued checkins-schedule, digests-send, holds-expire, holds-warn-expiring, risk-check.\n"
    )
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 5

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    expired.refresh_from_db()
    assert not expired.active
    assert Deal.objects.get(pk=expired.deal_id).stage == Deal.Stage.PROPOSAL
    assert AuditEvent.objects.filter(action="hold.expired", deal=expired.deal_id).exists()
    tomorrow.refresh_from_db()
    assert tomorrow.active and tomorrow.warned_at is not None
    assert Notification.objects.get(user=tomorrow.created_by).deal_id == tomorrow.deal_id
    results = {
        result.task_path.rsplit(".", 1)[1]: (result.status, result.return_value)
        for result in DBTaskResult.objects.all()
    }
    failures = {r.task_path: r.traceback for r in DBTaskResult.objects.exclude(traceback="")}
    assert not failures
    assert results == {
        "checkins_schedule_task": (TaskResultStatus.SUCCESSFUL, 0),
        "digests_send_task": (TaskResultStatus.SUCCESSFUL, 0),
        "holds_expire_task": (TaskResultStatus.SUCCESSFUL, 1),
        "holds_warn_expiring_task": (TaskResultStatus.SUCCESSFUL, 1),
        "risk_check_task": (TaskResultStatus.SUCCESSFUL, 0),
    }
    assert set(PeriodicJobRun.objects.values_list("task_result_id", flat=True)) == {
        str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)
    }


@pytest.mark.django_db
def test_the_scheduler_refuses_a_tasks_backend_outside_the_database(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="checkins-schedule runs on the tasks backend 'default'"):
        call_command("scheduler", "--once")
    assert not PeriodicJobRun.objects.exists()
