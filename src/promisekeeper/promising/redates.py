"""Re-promising from the pages: propose a new date with a reason (the engine checks it), have
operations approve a move we caused, apply it as a new promise and write the customer
notice; cancel with a reason and a notice too."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.organisation.permissions import is_operations
from promisekeeper.promising.changes import promise_cancel, promise_reschedule, redate_preview
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.idempotency import promise_replayed
from promisekeeper.promising.lines import canonical_lines, check_date, deal_lines_get
from promisekeeper.promising.locks import with_retries
from promisekeeper.promising.notices import cancel_notice_create, redate_notice_create
from promisekeeper.promising.permissions import User, may_cancel, may_decide_redate, may_redate
from promisekeeper.sales.models import (
    AuditEvent,
    CustomerNotice,
    Deal,
    ExceptionRequest,
    Promise,
    RedateRequest,
)
from promisekeeper.sales.selectors import promise_latest
from promisekeeper.sales.services import audit_event_record, notification_send, operations_notify

APPROVAL_REASONS = frozenset({RedateRequest.Reason.OUR_CAPACITY})
"""Reasons that make the move ours: operations approves it before it is applied."""


@dataclass(frozen=True)
class RedateOutcome:
    """applied: the new promise is made (``request.promise``) and the notice written;
    requested: waiting for operations; refused: nothing written, ``reason`` says why and
    ``earliest`` is the best date now, if any."""

    status: str
    request: RedateRequest | None = None
    reason: str = ""
    earliest: datetime.date | None = None


def redate_propose(
    *,
    user: User,
    deal: Deal,
    promised_date: datetime.date | None,
    reason_code: str,
    note: str,
    idempotency_key: str,
    beyond_capacity: bool = False,
) -> RedateOutcome:
    """Check a new date with the engine; a move we caused waits for operations (unless
    operations proposes it), any other is applied at once. A date the plan cannot make is
    refused, unless ``beyond_capacity`` asks operations to promise it anyway."""
    may_redate(user, deal).require()
    if reason_code not in RedateRequest.Reason.values:
        raise QuoteInputError("reason_code", "choose why the date changes")
    if reason_code == RedateRequest.Reason.OTHER and not note.strip():
        raise QuoteInputError("note", "say why the date changes")
    check_date(promised_date, "promised_date", required=True)
    assert promised_date is not None
    # A form sent again (a double click, a retry) finds what it did the first time; if the
    # re-date committed but its request and notice were not written, they are written now.
    replayed = promise_replayed(idempotency_key, _fingerprint(deal, promised_date, reason_code))
    if replayed is not None and replayed.promise is not None:
        applied = RedateRequest.objects.filter(promise=replayed.promise).first()
        if applied is not None:
            return RedateOutcome("applied", applied)
        superseded = Promise.objects.get(pk=replayed.promise.evidence["supersedes"])
        return _apply(
            user=user,
            deal=deal,
            previous=superseded,
            promised_date=promised_date,
            reason_code=reason_code,
            note=note,
            key=idempotency_key,
            request=None,
        )
    waiting = deal.redate_requests.filter(status=RedateRequest.Status.REQUESTED).first()
    if waiting is not None:
        if (waiting.requested_date, waiting.reason_code) == (promised_date, reason_code):
            return RedateOutcome("requested", waiting)  # the same proposal sent again
        raise QuoteInputError("deal", "already has a new date waiting for operations")
    previous = promise_latest(deal=deal)
    if previous is None:
        raise QuoteInputError("deal", "has no committed promise to re-date")
    if previous.promised_date == promised_date:
        raise QuoteInputError("promised_date", "is the date already promised")
    refused = redate_preview(deal=deal, promised_date=promised_date)
    if refused is not None and not beyond_capacity:
        return RedateOutcome("refused", reason=refused.reason, earliest=refused.earliest)
    if refused is not None or (reason_code in APPROVAL_REASONS and not is_operations(user)):
        request = _request_create(
            user, deal, previous, promised_date, reason_code, note, beyond=refused is not None
        )
        return RedateOutcome("requested", request)
    return _apply(
        user=user,
        deal=deal,
        previous=previous,
        promised_date=promised_date,
        reason_code=reason_code,
        note=note,
        key=idempotency_key,
        request=None,
    )


def _request_create(
    user: User,
    deal: Deal,
    previous: Promise,
    promised_date: datetime.date,
    reason_code: str,
    note: str,
    *,
    beyond: bool,
) -> RedateRequest:
    with transaction.atomic():
        request = RedateRequest(
            deal=deal,
            previous_promise=previous,
            requested_date=promised_date,
            reason_code=reason_code,
            note=note,
            needs_approval=True,
            beyond_capacity=beyond,
            requested_by=user,  # type: ignore[misc]
        )
        request.full_clean()
        request.save()
        audit_event_record(
            actor=user,  # type: ignore[arg-type]
            action=AuditEvent.Action.REDATE_REQUESTED,
            deal=deal,
            payload=_payload(request),
        )
        text = (
            f"{user} asks to move {deal.name} to {promised_date:%Y-%m-%d} "
            f"({request.get_reason_code_display().lower()})."
        )
        transaction.on_commit(lambda: operations_notify(deal, text))
    return request


def _payload(request: RedateRequest) -> dict[str, object]:
    return {
        "request": request.pk,
        "from": request.previous_promise.promised_date.isoformat(),
        "to": request.requested_date.isoformat(),
        "reason_code": request.reason_code,
        "note": request.note,
        "beyond_capacity": request.beyond_capacity,
    }


def _fingerprint(deal: Deal, promised_date: datetime.date, reason_code: str) -> str:
    return f"redate-page:{deal.pk}:{promised_date}:{reason_code}"


def _reason_text(reason_code: str, note: str) -> str:
    label = RedateRequest.Reason(reason_code).label
    return f"{label}: {note.strip()}" if note.strip() else str(label)


def _apply(
    *,
    user: User,
    deal: Deal,
    previous: Promise,
    promised_date: datetime.date,
    reason_code: str,
    note: str,
    key: str,
    request: RedateRequest | None,
    comment: str = "",
    exception: ExceptionRequest | None = None,
) -> RedateOutcome:
    """Re-date through the re-date service (checked again under the locks), then record the
    request as applied and write the customer notice. The two are separate transactions:
    the re-date's is durable; a replayed key finds the request it already applied."""
    result = promise_reschedule(
        user=user,
        deal=deal,
        promised_date=promised_date,
        idempotency_key=key,
        request_fingerprint=_fingerprint(deal, promised_date, reason_code),
        reason=_reason_text(reason_code, note),
        exception=exception,
    )
    if result.status == "taken" or result.promise is None:
        return RedateOutcome("refused", reason=result.reason, earliest=result.earliest_date)
    promise = result.promise
    applied = RedateRequest.objects.filter(promise=promise).first()
    if applied is not None:
        return RedateOutcome("applied", applied)
    with transaction.atomic():
        if request is None:
            request = RedateRequest(
                deal=deal,
                previous_promise=previous,
                requested_date=promised_date,
                reason_code=reason_code,
                note=note,
                requested_by=user,  # type: ignore[misc]
            )
        else:
            request = RedateRequest.objects.select_for_update().get(pk=request.pk)
            request.decided_by = user  # type: ignore[assignment]
            request.decided_at = timezone.now()
            request.decision_comment = comment
            request.exception = exception
        request.status = RedateRequest.Status.APPLIED
        request.promise = promise
        request.full_clean()
        request.save()
        if request.needs_approval:
            audit_event_record(
                actor=user,  # type: ignore[arg-type]
                action=AuditEvent.Action.REDATE_APPROVED,
                deal=deal,
                payload=_payload(request) | {"comment": comment, "promise": promise.pk},
            )
        redate_notice_create(
            user=user,  # type: ignore[arg-type]
            promise=promise,
            previous=previous,
            reason_code=reason_code,
        )
    return RedateOutcome("applied", request)


DECISIONS = ("approve", "decline")


def redate_decide(
    *, user: User, request: RedateRequest, decision: str, comment: str
) -> RedateOutcome:
    """Operations approves (the date is applied, re-checked under the locks; refused, the
    request keeps waiting) or declines a new date we caused. An approval's re-date is keyed
    by the request, so two approvals of it make one promise."""
    may_decide_redate(user, request).require()
    if decision not in DECISIONS:
        raise QuoteInputError("decision", f"must be one of {', '.join(DECISIONS)}")
    if request.status != RedateRequest.Status.REQUESTED:
        raise QuoteInputError("request", f"was already {request.get_status_display().lower()}")
    if decision == "decline":
        return RedateOutcome("declined", with_retries(lambda: _decline(user, request, comment)))
    # The requester (the deal's owner, or another member of operations) hears of the
    # approval from the booking's notification.
    exception = (
        _beyond_capacity_approval(user, request, comment) if request.beyond_capacity else None
    )
    return _apply(
        user=user,
        deal=request.deal,
        previous=request.previous_promise,
        promised_date=request.requested_date,
        reason_code=request.reason_code,
        note=request.note,
        key=f"redate-request-{request.pk}",
        request=request,
        comment=comment,
        exception=exception,
    )


def _beyond_capacity_approval(user: User, request: RedateRequest, comment: str) -> ExceptionRequest:
    """Operations' agreement to a date the plan does not make, as the approval a booking
    takes (``approvals.approval_covers``): for the deal's lines now, used once. Kept, if the
    re-date is then refused, as an approval no promise used."""
    with transaction.atomic():
        approval = ExceptionRequest(
            deal=request.deal,
            requested_date=request.requested_date,
            scope_note=f"Re-date: {_reason_text(request.reason_code, request.note)}",
            scope_lines=[list(row) for row in canonical_lines(deal_lines_get(request.deal))],
            requested_by=request.requested_by,
            status=ExceptionRequest.Status.APPROVED,
            decided_by=user,  # type: ignore[misc]
            decision_comment=comment,
            decided_at=timezone.now(),
            beyond_capacity=True,
        )
        approval.full_clean()
        approval.save()
        audit_event_record(
            actor=user,  # type: ignore[arg-type]
            action=AuditEvent.Action.EXCEPTION_APPROVED,
            deal=request.deal,
            payload={"request": approval.pk, "redate": request.pk, "beyond_capacity": True},
        )
    return approval


def _decline(user: User, request: RedateRequest, comment: str) -> RedateRequest:
    with transaction.atomic(durable=True):
        locked = RedateRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != RedateRequest.Status.REQUESTED:
            raise QuoteInputError("request", f"was already {locked.get_status_display().lower()}")
        locked.status = RedateRequest.Status.DECLINED
        locked.decided_by = user  # type: ignore[assignment]
        locked.decided_at = timezone.now()
        locked.decision_comment = comment
        locked.full_clean()
        locked.save()
        audit_event_record(
            actor=user,  # type: ignore[arg-type]
            action=AuditEvent.Action.REDATE_DECLINED,
            deal=locked.deal,
            payload=_payload(locked) | {"comment": comment},
        )
        deal = locked.deal
        requester = locked.requested_by
        text = f"Operations declined moving {deal.name}: {comment}"
        transaction.on_commit(lambda: notification_send(requester, deal, text))
        return locked


def promise_cancel_noticed(
    *, user: User, deal: Deal, reason: str
) -> tuple[DeliveryProject | None, CustomerNotice]:
    """Cancel the promise (hours and units released, audited) and write the customer's
    notice of it."""
    may_cancel(user, deal).require()
    waiting = deal.redate_requests.filter(status=RedateRequest.Status.REQUESTED)
    project = promise_cancel(user=user, deal=deal, reason=reason)
    with transaction.atomic():
        for request in waiting.select_for_update():
            request.status = RedateRequest.Status.DECLINED
            request.decided_by = user  # type: ignore[assignment]
            request.decided_at = timezone.now()
            request.decision_comment = "The promise was cancelled."
            request.full_clean()
            request.save()
            audit_event_record(
                actor=user,  # type: ignore[arg-type]
                action=AuditEvent.Action.REDATE_DECLINED,
                deal=deal,
                payload=_payload(request) | {"comment": request.decision_comment},
            )
        notice = cancel_notice_create(
            user=user,  # type: ignore[arg-type]
            deal=deal,
            promise=promise_latest(deal=deal),
        )
    return project, notice
