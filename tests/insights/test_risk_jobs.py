"""The risk check runs as a background job: daily from the scheduler, and once more after
hours are logged, both through `promisekeeper db_worker`."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from promisekeeper.delivery.models import ProjectForecast
from promisekeeper.delivery.timesheets import EntryChange, TimesheetInvalid, timesheet_save
from promisekeeper.insights.tasks import risk_check_task
from promisekeeper.organisation.jobs import DailyAt, periodic_jobs
from promisekeeper.sales.models import Notification
from tests import factories
from tests.insights.forecast_world import build_phase, build_set, promised_site
from tests.test_tasks_backend import signals_kept  # noqa: F401  (a fixture)


def _worker_runs() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def _results() -> dict[str, tuple[str, Any]]:
    return {
        r.task_path.rsplit(".", 1)[1]: (r.status, r.return_value)
        for r in DBTaskResult.objects.all()
    }


def test_the_risk_check_is_a_daily_job():
    schedules = {job.name: job.schedule for job in periodic_jobs()}
    assert schedules["risk-check"] == DailyAt(datetime.time(6, 0))


@pytest.mark.django_db(transaction=True)  # the worker claims each task in its own transaction
def test_a_due_risk_check_runs_and_alerts_once(signals_kept, groups, mailoutbox):  # noqa: F811
    owner = factories.UserFactory(username="owner", email="owner@example.com")
    owner.groups.add(groups["sales"])
    _, site = promised_site(owner)
    build_set(site, progress=Decimal("0.5"), effort_actual_hours=Decimal(400))

    call_command("scheduler", "--once")
    _worker_runs()

    assert _results()["risk_check_task"] == (TaskResultStatus.SUCCESSFUL, 1)
    assert ProjectForecast.objects.get(project=site).state == ProjectForecast.State.LATE
    assert Notification.objects.get(user=owner).text.startswith("Site is late.")
    assert [m.to for m in mailoutbox] == [["owner@example.com"]]

    # The check again (as tomorrow's slot would run it): the same state, nothing said.
    DBTaskResult.objects.all().delete()
    call_command("scheduler", "--once")
    assert not DBTaskResult.objects.exists()  # today's slot was enqueued already
    risk_check_task.enqueue()
    _worker_runs()
    assert _results()["risk_check_task"] == (TaskResultStatus.SUCCESSFUL, 0)
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_logging_hours_enqueues_a_risk_check_that_the_worker_runs(
    signals_kept,  # noqa: F811
    groups,
):
    owner = factories.UserFactory(username="owner")
    owner.groups.add(groups["sales"])
    shop, site = promised_site(owner)
    worker = factories.UserFactory(username="ana")
    shop.person.user = worker
    shop.person.save()
    last_week = timezone.localdate() - datetime.timedelta(days=7)

    timesheet_save(
        user=worker,
        changes=[EntryChange(shop.person, build_phase(site), last_week, 6 * 60)],
        today=timezone.localdate(),
    )

    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path.endswith("risk_recheck_task")
    assert queued.status == TaskResultStatus.READY
    assert queued.args_kwargs["kwargs"] == {"project_ids": [site.pk]}
    _worker_runs()
    assert _results()["risk_recheck_task"] == (TaskResultStatus.SUCCESSFUL, 0)
    forecast = ProjectForecast.objects.get(project=site)
    assert forecast.state == ProjectForecast.State.ON_TRACK
    build = build_phase(site)
    assert (build.effort_actual_hours, build.state, build.actual_start) == (
        Decimal("6.00"),
        "in_progress",
        last_week,
    )


@pytest.mark.django_db
def test_a_refused_timesheet_enqueues_nothing(groups, django_capture_on_commit_callbacks):
    owner = factories.UserFactory(username="owner")
    owner.groups.add(groups["sales"])
    shop, site = promised_site(owner)
    worker = factories.UserFactory(username="ana")
    shop.person.user = worker
    shop.person.save()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TimesheetInvalid):
        timesheet_save(
            user=worker,
            changes=[EntryChange(shop.person, build_phase(site), timezone.localdate(), 25 * 60)],
            today=timezone.localdate(),
        )
    assert not DBTaskResult.objects.exists()
