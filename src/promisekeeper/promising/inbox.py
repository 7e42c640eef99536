"""The operations inbox: pending exception requests with the engine's view of each."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from promisekeeper.promising.answer import QuoteAnswer
from promisekeeper.promising.approvals import approval_scope_lines, scope_text
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.lines import canonical_lines
from promisekeeper.promising.permissions import User
from promisekeeper.promising.quote import quote_check
from promisekeeper.sales.models import ExceptionRequest

INBOX_SIZE = 50


@dataclass(frozen=True)
class PendingException:
    """A request with the engine's answer for it (or why there is none) and, in words, the
    lines it covers (an approval covers exactly these)."""

    request: ExceptionRequest
    answer: QuoteAnswer | None
    problem: str
    scope: str = ""


def exception_list_pending() -> QuerySet[ExceptionRequest]:
    """Requests waiting for operations, oldest first."""
    return (
        ExceptionRequest.objects.filter(status=ExceptionRequest.Status.PENDING)
        .select_related("deal__customer", "requested_by")
        .order_by("created_at", "pk")
    )


def exception_list_decided(*, limit: int = 20) -> list[ExceptionRequest]:
    """The most recently decided requests."""
    return list(
        ExceptionRequest.objects.exclude(status=ExceptionRequest.Status.PENDING)
        .select_related("deal__customer", "requested_by", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def exception_impact_get(*, user: User, request: ExceptionRequest) -> PendingException:
    """The engine's answer for the lines the request covers at the requested date (with its
    options)."""
    lines = approval_scope_lines(request)
    scope = scope_text(canonical_lines(lines))
    if not lines:
        return PendingException(request, None, "the request covers no lines to check", scope)
    try:
        answer = quote_check(
            user=user,
            customer=request.deal.customer,
            deal=request.deal,
            lines=lines,
            wanted_date=request.requested_date,
        )
    except QuoteInputError as exc:
        return PendingException(request, None, f"{exc.field}: {exc.message}", scope)
    return PendingException(request, answer, "", scope)


def exception_inbox_get(*, user: User) -> list[PendingException]:
    """Pending requests with the engine's view of each (first INBOX_SIZE)."""
    return [
        exception_impact_get(user=user, request=request)
        for request in exception_list_pending()[:INBOX_SIZE]
    ]
