"""Background tasks (django-tasks) of delivery, run as periodic jobs by `promisekeeper
scheduler` and `promisekeeper db_worker`."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task

from promisekeeper.delivery.checkins import checkins_schedule_all
from promisekeeper.organisation.jobs import DailyAt, periodic_job


# Daily, before the working day starts, so a closure or a new promised date added yesterday
# has moved today's check-ins before anyone looks at them.
@periodic_job(name="checkins-schedule", schedule=DailyAt(datetime.time(5)))
@task()
def checkins_schedule_task() -> int:
    """Bring every project's coming check-ins in line with its cadence; returns the changes."""
    return checkins_schedule_all(today=timezone.localdate())
