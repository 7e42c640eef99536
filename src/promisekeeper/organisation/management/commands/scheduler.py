from __future__ import annotations

import logging
import signal
import threading
from argparse import ArgumentTypeError
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django_tasks_db import DatabaseBackend

from promisekeeper.organisation.jobs import periodic_jobs, periodic_jobs_enqueue_due

logger = logging.getLogger("promisekeeper.organisation.jobs")


def _positive_seconds(value: str) -> float:
    seconds = float(value)
    if not 0 < seconds < float("inf"):
        raise ArgumentTypeError(f"must be a positive number of seconds, not {value!r}")
    return seconds


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs (hold expiry, hold warnings, ...) when they are due, for "
        "`promisekeeper db_worker` to run. Any number may run: each slot is enqueued once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick, then exit.")
        parser.add_argument(
            "--interval",
            type=_positive_seconds,
            default=30.0,
            help="Seconds between ticks, so how late a job may start (default: 30).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = periodic_jobs()
        for job in jobs:
            backend = job.task.get_backend()
            if not isinstance(backend, DatabaseBackend):
                raise CommandError(
                    f"The periodic job {job.name} runs on the tasks backend {backend.alias!r}, "
                    "which is not django_tasks_db.DatabaseBackend: the scheduler enqueues a "
                    "job in the same transaction that claims its slot."
                )
        if options["once"]:
            runs = periodic_jobs_enqueue_due(jobs=jobs, now=timezone.now())
            self.stdout.write(
                f"Enqueued {', '.join(run.job for run in runs)}." if runs else "Nothing was due."
            )
            return

        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            logger.info("Scheduler received %s; stopping.", signal.strsignal(signum))
            stop.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        logger.info(
            "Scheduler started, ticking every %g s: %s",
            options["interval"],
            "; ".join(str(job) for job in jobs),
        )
        while not stop.is_set():
            periodic_jobs_enqueue_due(jobs=jobs, now=timezone.now())
            # Like a request's end: drop connections past CONN_MAX_AGE or broken meanwhile.
            close_old_connections()
            stop.wait(options["interval"])
        logger.info("Scheduler stopped.")
