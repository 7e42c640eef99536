"""Reads about customers, deals and their notifications."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from promisekeeper.sales.models import AuditEvent, Deal, Hold, Notification, Promise

OPEN_STAGES = (Deal.Stage.LEAD, Deal.Stage.QUALIFIED, Deal.Stage.PROPOSAL, Deal.Stage.HELD)


def holds_due(*, now: datetime.datetime) -> QuerySet[Hold]:
    """Active holds that have expired by ``now`` and are waiting to be released."""
    return Hold.objects.filter(active=True, expires_at__lte=now)


def deal_list_open() -> QuerySet[Deal]:
    """Deals not yet won or lost, newest first."""
    return Deal.objects.filter(stage__in=OPEN_STAGES).select_related("customer", "owner")


def promise_latest(*, deal: Deal) -> Promise | None:
    """The most recent promise on a deal, or None."""
    return deal.promises.order_by("-created_at", "-pk").first()


def promise_original(*, deal: Deal) -> Promise | None:
    """The first promise on a deal: its date is the one first promised to the customer,
    whatever re-dates followed (promise rows are immutable)."""
    return deal.promises.order_by("created_at", "pk").first()


def promise_original_date() -> Subquery[Any]:
    """An annotation for any rows with a ``deal``: the date first promised on it (None before
    a promise), e.g. ``Project.objects.annotate(original=promise_original_date())`` for an
    on-time rate measured against the original date."""
    first = Promise.objects.filter(deal=OuterRef("deal")).order_by("created_at", "pk")
    return Subquery(first.values("promised_date")[:1])


def deal_history(*, deal: Deal) -> list[AuditEvent]:
    """Every audit event of a deal, oldest first."""
    return list(deal.audit_events.select_related("actor").order_by("created_at", "pk"))


def notification_list_unread(*, user: Any) -> QuerySet[Notification]:
    """A user's unread notifications, newest first."""
    return Notification.objects.filter(user=user, read=False)
