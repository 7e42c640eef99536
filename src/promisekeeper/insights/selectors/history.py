"""Delivered projects as plain rows: what was promised, when it was delivered, and the
estimated and actual hours of their phases."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from promisekeeper.delivery.models import Project, ProjectPhase
from promisekeeper.insights import kpis
from promisekeeper.insights.selectors.plan_facts import HORIZON_WEEKS
from promisekeeper.insights.selectors.risk import latest_promise_beyond_capacity

HISTORY_WINDOW_WEEKS = 26


@dataclass(frozen=True)
class DeliveredRow:
    pk: int
    name: str
    promised: datetime.date | None
    delivered: datetime.date
    sales_owner: str
    phases: tuple[kpis.PhaseEffort, ...]
    beyond_capacity: bool = False

    @property
    def delivery(self) -> kpis.Delivery:
        return kpis.Delivery(promised=self.promised, delivered=self.delivered)

    @property
    def on_time(self) -> bool:
        return self.promised is not None and self.delivered <= self.promised


def delivered_rows(*, since: datetime.date) -> list[DeliveredRow]:
    """Projects delivered on or after ``since`` with their phases' estimated and actual hours."""
    # Plain values rather than model instances: the dashboard reads hundreds of these per render.
    projects = (
        Project.objects.filter(status=Project.Status.DELIVERED, delivered_date__gte=since)
        .annotate(beyond_capacity=latest_promise_beyond_capacity())
        .order_by("delivered_date", "pk")
        .values_list(
            "pk",
            "name",
            "promised_date",
            "delivered_date",
            "sales_owner__first_name",
            "sales_owner__last_name",
            "sales_owner__username",
            "beyond_capacity",
        )
    )
    phases: dict[int, list[kpis.PhaseEffort]] = defaultdict(list)
    for project_id, estimated, actual in ProjectPhase.objects.filter(
        project__status=Project.Status.DELIVERED, project__delivered_date__gte=since
    ).values_list("project_id", "effort_estimated_hours", "effort_actual_hours"):
        phases[project_id].append(kpis.PhaseEffort(float(estimated), float(actual)))
    rows = []
    for pk, name, promised, delivered, first, last, username, beyond in projects:
        assert delivered is not None  # filtered on delivered_date above
        rows.append(
            DeliveredRow(
                pk=pk,
                name=name,
                promised=promised,
                delivered=delivered,
                sales_owner=f"{first} {last}".strip() or (username or ""),
                phases=tuple(phases.get(pk, ())),
                beyond_capacity=bool(beyond),
            )
        )
    return rows


def history_since(*, today: datetime.date) -> datetime.date:
    """The earliest delivery date the history tiles look at."""
    first_week = kpis.week_start(today) - datetime.timedelta(weeks=HORIZON_WEEKS - 1)
    return first_week - datetime.timedelta(weeks=HISTORY_WINDOW_WEEKS)
