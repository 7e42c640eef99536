"""The deals list: filtered, sorted deals and the owners to filter by."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from promisekeeper.sales.models import Deal

DEAL_SORTS = {
    "name": "name",
    "customer": "customer__name",
    "stage": "stage",
    "probability": "win_probability",
    "wanted": "wanted_date",
    "created": "created_at",
    "owner": "owner__username",
}


def deal_list(
    *,
    q: str = "",
    stage: str = "",
    owner: int | None = None,
    sort: str = "-created",
) -> list[Deal]:
    """Deals filtered by text, stage and owner, sorted by a known column (``-`` = descending)."""
    queryset = Deal.objects.select_related("customer", "owner")
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(customer__name__icontains=q))
    if stage:
        queryset = queryset.filter(stage=stage)
    if owner:
        queryset = queryset.filter(owner_id=owner)
    descending = sort.startswith("-")
    column = DEAL_SORTS.get(sort.lstrip("-"), "created_at")
    return list(queryset.order_by(f"-{column}" if descending else column, "pk"))


def deal_owner_options() -> list[tuple[str, str]]:
    """Users who own at least one deal, for the deals list filter."""
    owners = get_user_model().objects.filter(deals__isnull=False).distinct().order_by("username")
    return [(str(u.pk), u.get_full_name() or u.get_username()) for u in owners]
