"""Reads about projects in delivery."""

from __future__ import annotations

from django.db.models import QuerySet

from promisekeeper.delivery.models import Project

OPEN_STATUSES = (
    Project.Status.COMMITTED,
    Project.Status.IN_DELIVERY,
    Project.Status.HELD,
    Project.Status.TENTATIVE,
)


def project_list_open() -> QuerySet[Project]:
    """Projects still consuming capacity, with phases prefetched."""
    return (
        Project.objects.filter(status__in=OPEN_STATUSES)
        .select_related("customer", "sop_version")
        .prefetch_related("phases__role")
    )


def project_list_delivered() -> QuerySet[Project]:
    """Finished projects, for KPIs and calibration."""
    return Project.objects.filter(status=Project.Status.DELIVERED).prefetch_related("phases")
