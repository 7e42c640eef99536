"""Background tasks (django-tasks): hold housekeeping. The services stay correct without them:
quote and commit expire holds lazily, so a missing worker only delays the audit and warnings."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from promisekeeper.promising.holds import holds_expire, holds_warn_expiring


@task()
def holds_expire_task() -> int:
    """Release expired holds; returns how many."""
    return holds_expire(now=timezone.now())


@task()
def holds_warn_expiring_task() -> int:
    """Notify owners of holds expiring within a day; returns how many."""
    return holds_warn_expiring(now=timezone.now())
