"""The re-date API: propose a new date for a promise, and operations' decision on one that
waits for them, through the same use cases as the deal page (``promising.redates``).

A move the customer asked for is applied at once; one we caused (our capacity, a
dependency) waits for operations unless operations proposes it; a date the plan cannot make
is refused with the earliest date now, unless ``beyond_capacity`` asks operations to promise
it anyway. Errors are ApiError as in the sales API (400 names the field, 403 the rule's
reason, 404 an unknown request, 409 a date the plan cannot make, with the earliest date
now); nothing is written when an error is returned.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Header, Router, Schema, Status

from promisekeeper.api.errors import ApiError
from promisekeeper.api.sales import ERRORS, MAX_ID, deal_or_error, errors_mapped
from promisekeeper.promising.redates import RedateOutcome, redate_decide, redate_propose
from promisekeeper.sales.models import RedateRequest

router = Router(tags=["re-dates"])


class RedateIn(Schema):
    promised_date: datetime.date
    reason_code: str = Field(
        ...,
        max_length=20,
        description="customer_change, scope_change, our_capacity, dependency or other.",
    )
    note: str = Field("", max_length=2000, description="Required when the reason is other.")
    beyond_capacity: bool = Field(
        False, description="Ask operations to promise a date the plan cannot make."
    )


class RedateDecisionIn(Schema):
    decision: str = Field(..., max_length=10, description="approve or decline.")
    comment: str = Field("", max_length=2000)


class RedateOut(Schema):
    status: str = Field(..., description="applied, requested, declined or refused.")
    request_id: int | None
    deal_id: int
    promised_date: datetime.date | None = Field(
        ..., description="The date now promised (applied) or asked for (requested)."
    )
    reason: str = Field("", description="Refused: why the plan cannot make the date.")
    earliest: datetime.date | None = Field(None, description="Refused: the best date now.")


def _redate_out(outcome: RedateOutcome, deal_id: int) -> Any:
    request = outcome.request
    out = RedateOut(
        status=outcome.status,
        request_id=request.pk if request else None,
        deal_id=deal_id,
        promised_date=request.requested_date if request else None,
        reason=outcome.reason,
        earliest=outcome.earliest,
    )
    return Status(409, out) if outcome.status == "refused" else out


@router.post("/deals/{deal_id}/redates", response={200: RedateOut, 409: RedateOut, **ERRORS})
def redate_create(
    request: HttpRequest,
    deal_id: int,
    body: RedateIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1, max_length=100),
) -> Any:
    """Propose a new date for the deal's promise (sent again with the same key, the same
    answer)."""

    def run() -> Any:
        deal = deal_or_error(deal_id if deal_id <= MAX_ID else -1, "deal_id")
        assert deal is not None
        outcome = redate_propose(
            user=request.user,
            deal=deal,
            promised_date=body.promised_date,
            reason_code=body.reason_code,
            note=body.note,
            idempotency_key=idempotency_key,
            beyond_capacity=body.beyond_capacity,
        )
        return _redate_out(outcome, deal.pk)

    return errors_mapped(run)


@router.post(
    "/redates/{request_id}/decision",
    response={200: RedateOut, 409: RedateOut, 404: ApiError, **ERRORS},
)
def redate_decision(request: HttpRequest, request_id: int, body: RedateDecisionIn) -> Any:
    """Operations approves (the date is applied if the plan still makes it, else the
    request keeps waiting and the answer says why) or declines a new date."""
    found = RedateRequest.objects.filter(pk=request_id).first() if request_id <= MAX_ID else None
    if found is None:
        return Status(404, ApiError(message="No such re-date request."))

    def run() -> Any:
        outcome = redate_decide(
            user=request.user, request=found, decision=body.decision, comment=body.comment
        )
        return _redate_out(outcome, found.deal_id)

    return errors_mapped(run)
