"""Reads about projects in delivery."""

from __future__ import annotations

from django.db.models import Q, QuerySet

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


PROJECT_SORTS = {
    "name": "name",
    "customer": "customer__name",
    "status": "status",
    "release": "release_date",
    "promised": "promised_date",
    "delivered": "delivered_date",
    "offering": "sop_version__offering__name",
}


def project_list(
    *,
    q: str = "",
    status: str = "",
    customer: int | None = None,
    owner: int | None = None,
    offering: int | None = None,
    sort: str = "promised",
) -> QuerySet[Project]:
    """Projects filtered by text, status, customer, sales owner and offering; ``-`` sorts down."""
    queryset = Project.objects.select_related(
        "customer", "sales_owner", "sop_version__offering", "deal"
    )
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(customer__name__icontains=q))
    if status:
        queryset = queryset.filter(status=status)
    if customer:
        queryset = queryset.filter(customer_id=customer)
    if owner:
        queryset = queryset.filter(sales_owner_id=owner)
    if offering:
        queryset = queryset.filter(sop_version__offering_id=offering)
    descending = sort.startswith("-")
    column = PROJECT_SORTS.get(sort.lstrip("-"), "promised_date")
    return queryset.order_by(f"-{column}" if descending else column, "pk")


def project_detail_get(*, pk: int) -> Project:
    """One project with its phases, assignments and thank-you notes; DoesNotExist if absent."""
    return (
        Project.objects.select_related("customer", "sales_owner", "sop_version__offering", "deal")
        .prefetch_related("phases__role", "assignments__person", "thank_you_notes__author")
        .get(pk=pk)
    )
