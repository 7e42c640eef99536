"""Background tasks (django-tasks): the daily risk check, and the re-check enqueued after
hours are logged. Both run ``insights.alerts.risk_check``, which alerts only on a change
of a promise's state, so running it more often never repeats an alert."""

from __future__ import annotations

import datetime

from django_tasks import task

from promisekeeper.insights.alerts import risk_check
from promisekeeper.organisation.jobs import DailyAt, periodic_job


# Early in the organisation's morning, so the day starts with the news; the re-check after
# each timesheet save covers the changes logged during the day.
@periodic_job(name="risk-check", schedule=DailyAt(datetime.time(6, 0)))
@task()
def risk_check_task() -> int:
    """Forecast every promise and alert on changes of state; returns how many changed."""
    return len(risk_check())


@task()
def risk_recheck_task(project_ids: list[int]) -> int:
    """The same check for the projects hours were logged on (a timesheet save or import)."""
    return len(risk_check(project_pks=project_ids))


def risk_recheck_enqueue(project_ids: list[int]) -> None:
    """Ask a worker to re-check these projects (called once the hours logged are committed)."""
    risk_recheck_task.enqueue(project_ids=list(project_ids))
