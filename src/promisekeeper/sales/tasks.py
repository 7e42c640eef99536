"""Background tasks (django-tasks) of sales: the daily digest of notifications, run as a
periodic job by `promisekeeper scheduler` and `promisekeeper db_worker`."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task

from promisekeeper.organisation.jobs import DailyAt, periodic_job
from promisekeeper.sales.digests import digests_send


# At 07:00, after the risk check (06:00), so the morning's alerts are in the digest.
@periodic_job(name="digests-send", schedule=DailyAt(datetime.time(7, 0)))
@task()
def digests_send_task() -> int:
    """E-mail each opted-in user their unread notifications of the last day; returns how many."""
    return digests_send(now=timezone.now())
