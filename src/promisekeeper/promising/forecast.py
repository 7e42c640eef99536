"""Re-forecast: when each promised delivery project will really finish, given the work left.

A promised project's plan is its reservation, booked when it was promised, so an overrun
logged on timesheets does not move it. The forecast places the project's remaining work
(``to_engine.delivery_project_to_engine``: progress, actual hours, the worker's estimate of
the hours left, phases marked done) again on the capacity every other firm project leaves
free, its own reservation given back in memory. More work left can only end at the same day
or later, so an overrun never makes the forecast earlier. Writes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from promisekeeper.delivery.models import Project
from promisekeeper.engine.edits import plan_without
from promisekeeper.engine.promise import earliest_finish
from promisekeeper.promising.snapshot import Snapshot

FORECAST_STATUSES = (Project.Status.IN_DELIVERY, Project.Status.COMMITTED)


@dataclass(frozen=True)
class Forecast:
    """One promised project's forecast finish and what sets it.

    ``finish`` is the last day of work (``None``: the work does not fit in the planning
    horizon). ``phase`` and ``role`` name the phase on the chain to the finish that lost the
    most days waiting for capacity (``wait_days``), or, when none waited, the longest one.
    """

    project_pk: int
    promised: datetime.date
    finish: datetime.date | None
    phase: str
    role: str
    wait_days: int

    @property
    def slack_days(self) -> int | None:
        """Days from the forecast finish to the promised date (negative: late)."""
        return None if self.finish is None else (self.promised - self.finish).days


def project_forecasts(
    *, snapshot: Snapshot, project_pks: Iterable[int] | None = None
) -> dict[int, Forecast]:
    """The forecast of every promised delivery project still to deliver (only those of
    ``project_pks`` if given), by primary key."""
    plan = snapshot.firm_plan
    rows = Project.objects.filter(status__in=FORECAST_STATUSES, promised_date__isnull=False)
    if project_pks is not None:
        rows = rows.filter(pk__in=list(project_pks))
    open_pks: dict[int, datetime.date] = {
        pk: promised
        for pk, promised in rows.values_list("pk", "promised_date")
        if promised is not None
    }
    forecasts: dict[int, Forecast] = {}
    for engine_project in plan.instance.projects:
        ref = snapshot.projects[engine_project.id]
        if ref.kind != "project" or ref.pk not in open_pks:
            continue
        answer = earliest_finish(plan_without(plan, engine_project.id), engine_project)
        bottleneck = answer.bottleneck
        forecasts[ref.pk] = Forecast(
            project_pk=ref.pk,
            promised=open_pks[ref.pk],
            finish=(
                None
                if answer.last_work_day is None
                else snapshot.date_of(max(0, answer.last_work_day))
            ),
            phase=(bottleneck.name or bottleneck.phase) if bottleneck else "",
            role=bottleneck.role if bottleneck else "",
            wait_days=bottleneck.delay_days if bottleneck else 0,
        )
    return forecasts
