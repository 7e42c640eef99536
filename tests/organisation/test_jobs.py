"""Periodic jobs: slots, one enqueue per job and slot, and the registry."""

from __future__ import annotations

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from promisekeeper.organisation.jobs import (
    DailyAt,
    Every,
    PeriodicJob,
    periodic_job,
    periodic_jobs,
    periodic_jobs_enqueue_due,
)
from promisekeeper.organisation.models import PeriodicJobRun
from promisekeeper.organisation.services import organisation_settings_update

UTC = datetime.UTC
BERLIN = ZoneInfo("Europe/Berlin")


@task()
def probe_task() -> str:
    """A job for these tests: it only has to be enqueued."""
    return "ran"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    """A moment in March 2026 (UTC); Berlin is one hour ahead until the 29th."""
    return datetime.datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


FIVE_MINUTES = PeriodicJob(
    name="probe", task=probe_task, schedule=Every(datetime.timedelta(minutes=5))
)


def test_every_slots_are_aligned_to_the_epoch():
    every = Every(datetime.timedelta(minutes=5))
    assert every.slot_at(at(2, 10, 7, 30), tz=UTC) == at(2, 10, 5)
    assert every.slot_at(at(2, 10, 5), tz=UTC) == at(2, 10, 5)
    assert every.slot_at(at(2, 10, 4, 59), tz=UTC) == at(2, 10, 0)


def test_a_daily_slot_begins_at_the_local_time_of_day():
    seven = DailyAt(datetime.time(7))
    assert seven.slot_at(at(2, 6), tz=BERLIN) == at(2, 6), "07:00 in Berlin is 06:00 UTC"
    assert seven.slot_at(at(2, 5, 59), tz=BERLIN) == at(1, 6), "before it, yesterday's slot"
    assert seven.slot_at(at(30, 5), tz=BERLIN) == at(30, 5), "summer time: 05:00 UTC"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Every(datetime.timedelta(0)), "interval must be positive"),
        (lambda: DailyAt(datetime.time(7, tzinfo=UTC)), "without tzinfo"),
        (lambda: PeriodicJob(name="", task=probe_task, schedule=DailyAt(datetime.time(7))), "name"),
        (
            lambda: PeriodicJob(name="x" * 101, task=probe_task, schedule=DailyAt(datetime.time())),
            "name",
        ),
    ],
)
def test_a_schedule_or_job_that_cannot_work_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_second_job_under_a_registered_name_is_refused():
    registered = periodic_jobs()[0]
    with pytest.raises(ImproperlyConfigured, match=registered.name):
        periodic_job(name=registered.name, schedule=DailyAt(datetime.time(7)))(probe_task)
    assert periodic_jobs()[0] == registered


@pytest.mark.django_db
def test_a_due_job_is_enqueued_once_per_slot():
    first = periodic_jobs_enqueue_due(jobs=[FIVE_MINUTES], now=at(2, 10, 1))
    assert [(run.job, run.slot) for run in first] == [("probe", at(2, 10))]
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "tests.organisation.test_jobs.probe_task"
    assert queued.status == TaskResultStatus.READY
    assert str(queued.id) == first[0].task_result_id

    assert periodic_jobs_enqueue_due(jobs=[FIVE_MINUTES], now=at(2, 10, 4, 59)) == []
    assert DBTaskResult.objects.count() == 1, "the slot is taken: not due again"

    assert len(periodic_jobs_enqueue_due(jobs=[FIVE_MINUTES], now=at(2, 10, 5))) == 1
    assert list(PeriodicJobRun.objects.values_list("slot", flat=True)) == [
        at(2, 10, 5),
        at(2, 10),
    ]
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_a_daily_job_is_due_at_its_time_in_the_organisations_time_zone():
    organisation_settings_update(name="Northwind", time_zone="Europe/Berlin")
    job = PeriodicJob(name="digest", task=probe_task, schedule=DailyAt(datetime.time(7)))
    # A scheduler that starts after yesterday's 07:00 enqueues that slot once.
    assert [r.slot for r in periodic_jobs_enqueue_due(jobs=[job], now=at(2, 5))] == [at(1, 6)]
    assert periodic_jobs_enqueue_due(jobs=[job], now=at(2, 5, 59)) == []
    assert [r.slot for r in periodic_jobs_enqueue_due(jobs=[job], now=at(2, 6))] == [at(2, 6)]
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_a_slot_can_be_claimed_only_once():
    PeriodicJobRun.objects.create(job="probe", slot=at(2, 10), task_result_id="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        PeriodicJobRun.objects.create(job="probe", slot=at(2, 10), task_result_id="b")
    PeriodicJobRun.objects.create(job="other", slot=at(2, 10), task_result_id="c")
    assert PeriodicJobRun.objects.count() == 2


@pytest.mark.django_db
def test_runs_more_than_a_week_before_the_current_slot_are_deleted():
    for now in (at(2, 10), at(2, 10, 5), at(9, 10, 5)):
        periodic_jobs_enqueue_due(jobs=[FIVE_MINUTES], now=now)
    assert list(PeriodicJobRun.objects.values_list("slot", flat=True)) == [
        at(9, 10, 5),
        at(2, 10, 5),
    ]
    assert DBTaskResult.objects.count() == 3, "the task results are django-tasks' to prune"


@pytest.mark.django_db
def test_the_admin_shows_the_runs_but_never_edits_a_claim(client, superuser):
    (run,) = periodic_jobs_enqueue_due(jobs=[FIVE_MINUTES], now=at(2, 10))
    client.force_login(superuser)
    changelist = client.get(reverse("admin:organisation_periodicjobrun_changelist"))
    assert changelist.status_code == 200 and run.task_result_id in changelist.text
    page = reverse("admin:organisation_periodicjobrun_change", args=[run.pk])
    assert client.get(page).status_code == 200
    assert client.post(page, {"job": "probe", "slot": "2026-03-02 11:00"}).status_code == 403
    assert client.get(reverse("admin:organisation_periodicjobrun_add")).status_code == 403
    assert PeriodicJobRun.objects.get().slot == at(2, 10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.both_databases
def test_schedulers_racing_for_one_slot_enqueue_it_once():
    schedulers = 4
    barrier = threading.Barrier(schedulers)
    outcomes: list[object] = [None] * schedulers

    def tick(k: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[k] = periodic_jobs_enqueue_due(jobs=[FIVE_MINUTES], now=at(2, 10, 1))
        except Exception as error:  # reported by the assertion below, never swallowed
            outcomes[k] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=tick, args=(k,)) for k in range(schedulers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(isinstance(outcome, list) for outcome in outcomes), outcomes
    assert sorted(len(outcome) for outcome in outcomes) == [0, 0, 0, 1]  # type: ignore[arg-type]
    assert PeriodicJobRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1
