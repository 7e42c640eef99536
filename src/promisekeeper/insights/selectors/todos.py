"""The to-dos on a user's dashboard: holds about to expire, exception requests to decide,
check-ins missed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from promisekeeper.delivery.checkins import checkins_missed
from promisekeeper.organisation.permissions import AnyUser, is_operations, is_sales
from promisekeeper.sales.models import ExceptionRequest, Hold


@dataclass(frozen=True)
class Todo:
    kind: str
    text: str
    url: str
    due: datetime.datetime | None = None


def todo_list_for_user(*, user: AnyUser, days: int = 3) -> list[Todo]:
    """A salesperson's holds expiring within ``days``; operations' pending exception requests;
    the check-ins the user owns (operations: anyone's) that were not marked done in time."""
    todos: list[Todo] = []
    now = timezone.now()
    if is_sales(user):
        holds = Hold.objects.filter(
            active=True, expires_at__gt=now, expires_at__lte=now + datetime.timedelta(days=days)
        ).select_related("deal__customer")
        if not getattr(user, "is_superuser", False):
            holds = holds.filter(deal__owner_id=user.pk)
        for hold in holds.order_by("expires_at")[:20]:
            todos.append(
                Todo(
                    "hold",
                    f"Hold on “{hold.deal.name}” expires",
                    f"/sales/deals/{hold.deal_id}/",
                    hold.expires_at,
                )
            )
    if is_operations(user):
        requests = ExceptionRequest.objects.filter(
            status=ExceptionRequest.Status.PENDING
        ).select_related("deal", "requested_by")
        for request in requests.order_by("created_at")[:20]:
            todos.append(
                Todo(
                    "exception",
                    f"Approve or decline {request.requested_date:%d %b %Y} for “{request.deal.name}”"
                    f" (asked by {request.requested_by.get_username()})",
                    f"/sales/deals/{request.deal_id}/",
                    request.created_at,
                )
            )
    for checkin in checkins_missed(user=user, today=timezone.localdate()).order_by("due_date")[:20]:
        todos.append(
            Todo(
                "checkin",
                f"Missed {checkin.get_kind_display().lower()} on {checkin.due_date:%d %b %Y}"
                f" for “{checkin.project.name}”",
                f"/delivery/checkins/#checkin-{checkin.pk}",
            )
        )
    return todos
