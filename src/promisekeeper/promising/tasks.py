"""Background tasks (django-tasks): hold housekeeping, run as periodic jobs by
`promisekeeper scheduler` and `promisekeeper db_worker`. The services stay correct without
them: quote and commit expire holds lazily, so a missing worker only delays the audit and
warnings."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task

from promisekeeper.organisation.jobs import Every, periodic_job
from promisekeeper.promising.holds import holds_expire, holds_warn_expiring


# Quotes and commits release expired holds themselves; this bounds how long a deal nobody
# looks at stays "held" (and its audit event waits) to five minutes.
@periodic_job(name="holds-expire", schedule=Every(datetime.timedelta(minutes=5)))
@task()
def holds_expire_task() -> int:
    """Release expired holds; returns how many."""
    return holds_expire(now=timezone.now())


# Hourly, so each owner hears 23 to 24 hours before the hold expires; a daily run would warn
# some owners only an hour ahead.
@periodic_job(name="holds-warn-expiring", schedule=Every(datetime.timedelta(hours=1)))
@task()
def holds_warn_expiring_task() -> int:
    """Notify owners of holds expiring within a day; returns how many."""
    return holds_warn_expiring(now=timezone.now())
