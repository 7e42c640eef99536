"""Reads about deals and promises."""

from __future__ import annotations

from django.db.models import QuerySet

from promisekeeper.sales.models import Deal, Promise

OPEN_STAGES = (Deal.Stage.LEAD, Deal.Stage.QUALIFIED, Deal.Stage.PROPOSAL, Deal.Stage.HELD)


def deal_list_open() -> QuerySet[Deal]:
    """Deals not yet won or lost, newest first."""
    return Deal.objects.filter(stage__in=OPEN_STAGES).select_related("customer", "owner")


def promise_latest(*, deal: Deal) -> Promise | None:
    """The most recent promise on a deal, or None."""
    return deal.promises.order_by("-created_at", "-pk").first()
