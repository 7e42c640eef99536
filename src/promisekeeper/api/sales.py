"""The sales API: quote, hold, commit (idempotent), exceptions and a deal's history.

Thin: every endpoint parses, calls the same service the web pages call, and maps its
errors, all as ApiError {"field", "message"}: QuoteInputError -> 400 naming the field, a
refused promising.permissions rule (PermissionDenied) -> 403 with the rule's reason,
IdempotencyConflict -> 422; an unknown deal or request in the body is a 400 naming it.
Nothing is written when an error is returned.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Header, Router, Schema, Status

from promisekeeper.api.errors import ApiError
from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.promising.answer import QuoteAnswer
from promisekeeper.promising.changes import promise_cancel, promise_reschedule
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.errors import IdempotencyConflict, QuoteInputError, TooManyHolds
from promisekeeper.promising.exceptions import exception_decide, exception_request
from promisekeeper.promising.holds import hold_place
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.permissions import may_view_deal
from promisekeeper.promising.quote import quote_check
from promisekeeper.sales.models import Customer, Deal, ExceptionRequest
from promisekeeper.sales.selectors import deal_history

router = Router(tags=["sales"])

MAX_ID = 2**53


class LineIn(Schema):
    offering_id: int | None = Field(None, ge=1, le=MAX_ID)
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    quantity: int = Field(..., ge=-1_000_000, le=1_000_000)


class QuoteIn(Schema):
    deal_id: int | None = Field(None, ge=1, le=MAX_ID)
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    lines: list[LineIn] = Field(..., max_length=50)
    wanted_date: datetime.date | None = None


class HoldIn(Schema):
    deal_id: int = Field(..., ge=1, le=MAX_ID)
    days: int = Field(7, ge=-1000, le=1000)


class HoldOut(Schema):
    id: int
    deal_id: int
    expires_at: datetime.datetime


class CommitIn(Schema):
    deal_id: int = Field(..., ge=1, le=MAX_ID)
    lines: list[LineIn] = Field(..., max_length=50)
    promised_date: datetime.date
    exception_id: int | None = Field(None, ge=1, le=MAX_ID)


class PromiseOut(Schema):
    id: int
    deal_id: int
    promised_date: datetime.date
    confidence: str | None = Field(
        ..., description="None for a promise beyond capacity (no confidence level)."
    )
    beyond_capacity: bool
    p50_date: datetime.date | None
    p80_date: datetime.date | None
    p95_date: datetime.date | None
    approval_id: int | None
    created_at: datetime.datetime


class CommitOut(Schema):
    status: str
    promise: PromiseOut | None
    earliest_date: datetime.date | None
    reason: str


class RescheduleIn(Schema):
    promised_date: datetime.date
    reason: str = Field(..., max_length=5000)
    exception_id: int | None = Field(None, ge=1, le=MAX_ID)


class CancelIn(Schema):
    reason: str = Field(..., max_length=5000)


class CancelOut(Schema):
    deal_id: int
    project_id: int | None = Field(None, description="None for a promise of products only.")
    status: str


class ExceptionIn(Schema):
    deal_id: int = Field(..., ge=1, le=MAX_ID)
    requested_date: datetime.date
    scope_note: str = Field("", max_length=5000)


class DecisionIn(Schema):
    decision: str
    comment: str = Field("", max_length=5000)
    proposed_date: datetime.date | None = None
    overtime_share: float | None = Field(None, ge=-10, le=10)
    allow_reshuffle: bool = False


class ExceptionOut(Schema):
    id: int
    deal_id: int
    requested_date: datetime.date
    scope_note: str
    status: str
    requested_by_id: int
    decided_by_id: int | None
    decision_comment: str
    proposed_date: datetime.date | None
    beyond_capacity: bool
    scope_lines: list[list[int | None]] = Field(
        ..., description="The lines the approval covers: [offering id, product id, quantity]."
    )
    used_at: datetime.datetime | None
    impact: dict[str, Any]


class EventOut(Schema):
    id: int
    action: str
    actor: str | None
    created_at: datetime.datetime
    payload: dict[str, Any]


ERRORS: dict[int, Any] = {400: ApiError, 403: ApiError, 422: ApiError}


def errors_mapped(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except TooManyHolds as error:
        return Status(429, ApiError(field=None, message=error.message))
    except QuoteInputError as error:
        return Status(400, ApiError(field=error.field, message=error.message))
    except PermissionDenied as error:
        return Status(403, ApiError(message=str(error) or "Not allowed."))
    except IdempotencyConflict as error:
        return Status(422, ApiError(field="Idempotency-Key", message=str(error)))


def deal_or_error(deal_id: int | None, field: str = "deal_id") -> Deal | None:
    if deal_id is None:
        return None
    deal = Deal.objects.filter(pk=deal_id).first()
    if deal is None:
        raise QuoteInputError(field, "no such deal")
    return deal


def _lines(lines: list[LineIn]) -> list[QuoteLine]:
    return [
        QuoteLine(quantity=line.quantity, offering_id=line.offering_id, product_id=line.product_id)
        for line in lines
    ]


@router.post("/quotes", response={200: QuoteAnswer, **ERRORS})
def quote_create(request: HttpRequest, body: QuoteIn) -> Any:
    """Can we promise these lines by the wanted date? Nothing is written."""

    def run() -> QuoteAnswer:
        customer = None
        if body.customer_id is not None:
            customer = Customer.objects.filter(pk=body.customer_id).first()
            if customer is None:
                raise QuoteInputError("customer_id", "no such customer")
        return quote_check(
            user=request.user,
            customer=customer,
            deal=deal_or_error(body.deal_id),
            lines=_lines(body.lines),
            wanted_date=body.wanted_date,
        )

    return errors_mapped(run)


@router.post("/holds", response={201: HoldOut, 429: ApiError, **ERRORS})
def hold_create(request: HttpRequest, body: HoldIn) -> Any:
    """Keep the deal's capacity for ``days`` days."""

    def run() -> Any:
        deal = deal_or_error(body.deal_id)
        assert deal is not None
        hold = hold_place(user=request.user, deal=deal, days=body.days)
        return Status(201, HoldOut(id=hold.pk, deal_id=deal.pk, expires_at=hold.expires_at))

    return errors_mapped(run)


@router.post("/commits", response={200: CommitOut, 201: CommitOut, 409: CommitOut, **ERRORS})
def commit_create(
    request: HttpRequest,
    body: CommitIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1, max_length=100),
) -> Any:
    """Promise a date. 201 committed, 200 replayed (same key and body), 409 taken
    (``earliest_date`` says the best date now), 422 the key was used for another body."""

    def run() -> Any:
        deal = deal_or_error(body.deal_id)
        assert deal is not None
        exception = _exception(body.exception_id)
        lines = _lines(body.lines)
        result = promise_commit(
            user=request.user,
            deal=deal,
            lines=lines,
            promised_date=body.promised_date,
            idempotency_key=idempotency_key,
            request_fingerprint=commit_fingerprint(
                deal_id=deal.pk,
                lines=lines,
                promised_date=body.promised_date,
                exception_id=body.exception_id,
            ),
            exception=exception,
        )
        return _commit_out(result)

    return errors_mapped(run)


def _exception(exception_id: int | None) -> ExceptionRequest | None:
    if exception_id is None:
        return None
    found = ExceptionRequest.objects.filter(pk=exception_id).first()
    if found is None:
        raise QuoteInputError("exception_id", "no such exception request")
    return found


def _commit_out(result: Any) -> Any:
    status = {"committed": 201, "replayed": 200, "taken": 409}[result.status]
    return Status(
        status,
        CommitOut(
            status=result.status,
            promise=PromiseOut.from_orm(result.promise) if result.promise else None,
            earliest_date=result.earliest_date,
            reason=result.reason,
        ),
    )


@router.post(
    "/deals/{deal_id}/reschedule",
    response={200: CommitOut, 201: CommitOut, 409: CommitOut, **ERRORS},
)
def deal_reschedule(
    request: HttpRequest,
    deal_id: int,
    body: RescheduleIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1, max_length=100),
) -> Any:
    """Change a committed deal's date: 201 re-promised, 200 replayed, 409 not feasible."""

    def run() -> Any:
        deal = deal_or_error(deal_id if deal_id <= MAX_ID else -1, "deal_id")
        assert deal is not None
        result = promise_reschedule(
            user=request.user,
            deal=deal,
            promised_date=body.promised_date,
            idempotency_key=idempotency_key,
            request_fingerprint=f"reschedule:{deal.pk}:{body.promised_date}:{body.exception_id}",
            reason=body.reason,
            exception=_exception(body.exception_id),
        )
        return _commit_out(result)

    return errors_mapped(run)


@router.post("/deals/{deal_id}/cancel", response={200: CancelOut, **ERRORS})
def deal_cancel(request: HttpRequest, deal_id: int, body: CancelIn) -> Any:
    """Cancel a promised deal and release its hours and units."""

    def run() -> Any:
        deal = deal_or_error(deal_id if deal_id <= MAX_ID else -1, "deal_id")
        assert deal is not None
        project = promise_cancel(user=request.user, deal=deal, reason=body.reason)
        return CancelOut(
            deal_id=deal.pk,
            project_id=project.pk if project else None,
            status=DeliveryProject.Status.CANCELLED,
        )

    return errors_mapped(run)


@router.post("/exceptions", response={201: ExceptionOut, **ERRORS})
def exception_create(request: HttpRequest, body: ExceptionIn) -> Any:
    """Ask operations to allow a date the engine would not promise."""

    def run() -> Any:
        deal = deal_or_error(body.deal_id)
        assert deal is not None
        created = exception_request(
            user=request.user,
            deal=deal,
            requested_date=body.requested_date,
            scope_note=body.scope_note,
        )
        return Status(201, ExceptionOut.from_orm(created))

    return errors_mapped(run)


@router.post(
    "/exceptions/{request_id}/decision", response={200: ExceptionOut, 404: ApiError, **ERRORS}
)
def exception_decision(request: HttpRequest, request_id: int, body: DecisionIn) -> Any:
    """Operations approves, proposes another date or declines."""
    found = ExceptionRequest.objects.filter(pk=request_id).first() if request_id <= MAX_ID else None
    if found is None:
        return Status(404, ApiError(message="No such exception request."))

    def run() -> Any:
        return ExceptionOut.from_orm(
            exception_decide(
                user=request.user,
                request=found,
                decision=body.decision,
                comment=body.comment,
                proposed_date=body.proposed_date,
                overtime_share=body.overtime_share,
                allow_reshuffle=body.allow_reshuffle,
            )
        )

    return errors_mapped(run)


@router.get(
    "/deals/{deal_id}/history", response={200: list[EventOut], 403: ApiError, 404: ApiError}
)
def deal_history_list(request: HttpRequest, deal_id: int) -> Any:
    """Every audit event of a deal, oldest first."""
    deal = Deal.objects.filter(pk=deal_id).first() if deal_id <= MAX_ID else None
    if deal is None:
        return Status(404, ApiError(message="No such deal."))
    allowed = may_view_deal(request.user, deal)
    if not allowed:
        return Status(403, ApiError(message=allowed.refusal or "Not allowed."))
    return [
        EventOut(
            id=event.pk,
            action=event.action,
            actor=event.actor.get_username() if event.actor else None,
            created_at=event.created_at,
            payload=event.payload,
        )
        for event in deal_history(deal=deal)
    ]
