"""Headline numbers for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from promisekeeper.delivery.models import Project
from promisekeeper.delivery.selectors import OPEN_STATUSES
from promisekeeper.organisation.selectors import organisation_settings_get
from promisekeeper.people.models import Person
from promisekeeper.sales.models import Deal
from promisekeeper.sales.selectors import OPEN_STAGES


@dataclass(frozen=True)
class DashboardSummary:
    organisation_name: str
    people: int
    open_projects: int
    delivered_projects: int
    open_deals: int


def dashboard_summary_get() -> DashboardSummary:
    """Counts shown on the home page."""
    organisation = organisation_settings_get()
    return DashboardSummary(
        organisation_name=organisation.name if organisation else "Promisekeeper",
        people=Person.objects.count(),
        open_projects=Project.objects.filter(status__in=OPEN_STATUSES).count(),
        delivered_projects=Project.objects.filter(status=Project.Status.DELIVERED).count(),
        open_deals=Deal.objects.filter(stage__in=OPEN_STAGES).count(),
    )
