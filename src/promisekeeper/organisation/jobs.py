"""Periodic jobs: django-tasks tasks that run on a schedule.

An app makes one of its tasks periodic with :func:`periodic_job` in its ``tasks.py``, and
:func:`periodic_jobs` finds them all. ``promisekeeper scheduler`` calls
:func:`periodic_jobs_enqueue_due` every few seconds; that enqueues each due job onto the
database tasks backend, where ``promisekeeper db_worker`` runs it.

A job's schedule cuts time into slots: ``Every(interval)`` slots are aligned to the Unix epoch
(every 5 minutes: :00, :05, ...), ``DailyAt(time)`` slots begin at that time of day in the
organisation's time zone. A job is due while its current slot has not been enqueued, so a
scheduler that was down enqueues the slot it missed once when it is back, never a backlog.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks.base import Task

from promisekeeper.organisation.models import PeriodicJobRun
from promisekeeper.organisation.selectors import organisation_settings_get

logger = logging.getLogger(__name__)

T = TypeVar("T")

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

RUNS_KEPT = datetime.timedelta(days=7)
"""How long before its current slot a job's past runs are deleted (django-tasks keeps the
task results themselves)."""


@dataclass(frozen=True)
class Every:
    """Slots of a fixed length, aligned to the Unix epoch so that every scheduler agrees."""

    interval: datetime.timedelta

    def __post_init__(self) -> None:
        if self.interval <= datetime.timedelta(0):
            raise ValueError(f"interval must be positive, not {self.interval}.")

    def slot_at(self, now: datetime.datetime, *, tz: datetime.tzinfo) -> datetime.datetime:
        """The start of the slot that ``now`` falls in."""
        return now - (now - _EPOCH) % self.interval

    def __str__(self) -> str:
        return f"every {self.interval}"


@dataclass(frozen=True)
class DailyAt:
    """One slot a day, beginning at ``time`` (a local time, without tzinfo) in ``tz``."""

    time: datetime.time

    def __post_init__(self) -> None:
        if self.time.tzinfo is not None:
            raise ValueError("time is a local time of day: give it without tzinfo.")

    def slot_at(self, now: datetime.datetime, *, tz: datetime.tzinfo) -> datetime.datetime:
        """The start of the slot that ``now`` falls in: the latest ``time`` in ``tz`` not after it."""
        today = now.astimezone(tz).date()
        start = datetime.datetime.combine(today, self.time, tzinfo=tz)
        if start > now:
            start = datetime.datetime.combine(
                today - datetime.timedelta(days=1), self.time, tzinfo=tz
            )
        return start.astimezone(datetime.UTC)

    def __str__(self) -> str:
        return f"daily at {self.time:%H:%M}"


Schedule = Every | DailyAt


@dataclass(frozen=True)
class PeriodicJob:
    """A task without arguments that is enqueued once per slot of its schedule."""

    name: str
    task: Task[[], Any]
    schedule: Schedule

    def __post_init__(self) -> None:
        max_length = PeriodicJobRun._meta.get_field("job").max_length or 0
        if not 0 < len(self.name) <= max_length:
            raise ValueError(f"name must have 1 to {max_length} characters, not {self.name!r}.")

    def __str__(self) -> str:
        return f"{self.name} ({self.schedule})"


_registry: dict[str, PeriodicJob] = {}


def periodic_job(*, name: str, schedule: Schedule) -> Callable[[Task[[], T]], Task[[], T]]:
    """Register the decorated task as the periodic job ``name``; returns the task unchanged.

    Put it above ``@task()`` in an app's ``tasks.py``::

        @periodic_job(name="digest-send", schedule=DailyAt(datetime.time(7)))
        @task()
        def digest_send_task() -> int: ...
    """

    def register(task: Task[[], T]) -> Task[[], T]:
        job = PeriodicJob(name=name, task=task, schedule=schedule)
        if _registry.setdefault(name, job) != job:
            raise ImproperlyConfigured(f"Two periodic jobs are called {name!r}.")
        return task

    return register


def periodic_jobs() -> list[PeriodicJob]:
    """Every registered periodic job by name, after importing each installed app's tasks."""
    autodiscover_modules("tasks")
    return [_registry[name] for name in sorted(_registry)]


def periodic_jobs_enqueue_due(
    *, jobs: Iterable[PeriodicJob], now: datetime.datetime
) -> list[PeriodicJobRun]:
    """Enqueue each job whose current slot has not been enqueued; returns the runs it made.

    At most one enqueue per job and slot however many schedulers run: the run row's unique
    (job, slot) decides, and the task is enqueued in the same transaction, so the tasks
    backend must keep its tasks in this database (django-tasks-db's DatabaseBackend).
    """
    organisation = organisation_settings_get()
    tz = ZoneInfo(organisation.time_zone) if organisation else timezone.get_default_timezone()
    runs = []
    for job in jobs:
        run = _slot_enqueue(job, job.schedule.slot_at(now, tz=tz))
        if run is not None:
            runs.append(run)
    return runs


def _slot_enqueue(job: PeriodicJob, slot: datetime.datetime) -> PeriodicJobRun | None:
    # A plain read first: nearly every tick finds the slot taken, and on SQLite a write
    # transaction takes the database's write lock just to learn that. The insert decides.
    if PeriodicJobRun.objects.filter(job=job.name, slot=slot).exists():
        return None
    try:
        with transaction.atomic(durable=True):
            run = PeriodicJobRun.objects.create(job=job.name, slot=slot, task_result_id="")
            run.task_result_id = str(job.task.enqueue().id)
            run.save(update_fields=["task_result_id"])
            PeriodicJobRun.objects.filter(job=job.name, slot__lt=slot - RUNS_KEPT).delete()
    except IntegrityError:
        logger.info("%s: another scheduler took the slot of %s", job.name, slot.isoformat())
        return None
    logger.info(
        "%s: enqueued for the slot of %s as task %s", job.name, slot.isoformat(), run.task_result_id
    )
    return run
