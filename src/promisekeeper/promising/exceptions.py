"""Exceptions: sales asks for a date the engine would not promise; operations decides."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from promisekeeper.engine.model import EffortPhase
from promisekeeper.engine.options import overtime_option
from promisekeeper.engine.promise import can_deliver_by
from promisekeeper.promising.approvals import approval_scope_lines
from promisekeeper.promising.cache import portfolio_snapshot
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.lines import (
    canonical_lines,
    check_date,
    deal_lines_get,
    resolve_lines,
)
from promisekeeper.promising.locks import ledger_lock, with_retries
from promisekeeper.promising.permissions import (
    User,
    may_decide_exception,
    may_request_exception,
)
from promisekeeper.promising.quote import quote_compute
from promisekeeper.sales.models import (
    AuditEvent,
    Deal,
    ExceptionRequest,
)
from promisekeeper.sales.services import audit_event_record, notification_send, operations_notify


def exception_request(
    *, user: User, deal: Deal, requested_date: datetime.date, scope_note: str = ""
) -> ExceptionRequest:
    """Sales asks operations to allow a date the engine would not promise, for the deal's
    lines as they are now (the approval covers exactly those)."""
    may_request_exception(user, deal).require()
    check_date(requested_date, "requested_date", required=True)
    if deal.stage in (Deal.Stage.WON, Deal.Stage.LOST):
        raise QuoteInputError("deal", f"is already {deal.get_stage_display().lower()}")
    with transaction.atomic():
        request = ExceptionRequest(
            deal=deal,
            requested_date=requested_date,
            scope_note=scope_note,
            scope_lines=[list(row) for row in canonical_lines(deal_lines_get(deal))],
            requested_by=user,  # type: ignore[misc]
        )
        request.full_clean()
        request.save()
        audit_event_record(
            actor=user,  # type: ignore[arg-type]
            action=AuditEvent.Action.EXCEPTION_REQUESTED,
            deal=deal,
            payload={"request": request.pk, "requested_date": requested_date.isoformat()},
        )
        text = f"{user} asks for {deal.name} by {requested_date:%Y-%m-%d}."
        transaction.on_commit(lambda: operations_notify(deal, text))
        return request


DECISIONS = {
    "approve": ExceptionRequest.Status.APPROVED,
    "approve_beyond_capacity": ExceptionRequest.Status.APPROVED,
    "propose": ExceptionRequest.Status.PROPOSED,
    "decline": ExceptionRequest.Status.DECLINED,
}
"""Operations' answers; ``approve_beyond_capacity`` also agrees to promise the date when what
was approved does not make it (the promise then says "beyond capacity", with no confidence)."""


def exception_decide(
    *,
    user: User,
    request: ExceptionRequest,
    decision: str,
    comment: str,
    proposed_date: datetime.date | None = None,
    overtime_share: float | None = None,
    allow_reshuffle: bool = False,
) -> ExceptionRequest:
    """Operations approves (re-checked, impact recorded), approves beyond capacity, proposes
    another date, or declines."""
    may_decide_exception(user, request).require()
    if decision not in DECISIONS:
        raise QuoteInputError("decision", f"must be one of {', '.join(DECISIONS)}")
    if decision == "propose":
        check_date(proposed_date, "proposed_date", required=True)
    if overtime_share is not None and not 0 < overtime_share <= 1:
        raise QuoteInputError("overtime_share", "must be above 0 and at most 1")
    approving = DECISIONS[decision] == ExceptionRequest.Status.APPROVED
    impact = _exception_impact(request, overtime_share, allow_reshuffle) if approving else {}

    def decide() -> ExceptionRequest:
        with transaction.atomic(durable=True):
            ledger_lock()
            locked = ExceptionRequest.objects.select_for_update().get(pk=request.pk)
            if locked.status != ExceptionRequest.Status.PENDING:
                raise QuoteInputError(
                    "request", f"was already {locked.get_status_display().lower()}"
                )
            locked.status = DECISIONS[decision]
            locked.decided_by = user  # type: ignore[assignment]
            locked.decision_comment = comment
            locked.decided_at = timezone.now()
            locked.proposed_date = proposed_date if decision == "propose" else None
            locked.overtime_share = (
                Decimal(str(overtime_share)).quantize(Decimal("0.01"))
                if overtime_share is not None
                else None
            )
            locked.allow_reshuffle = allow_reshuffle
            locked.beyond_capacity = decision == "approve_beyond_capacity"
            locked.impact = impact
            locked.full_clean()
            locked.save()
            audit_event_record(
                actor=user,  # type: ignore[arg-type]
                action=AuditEvent.Action(f"exception.{locked.status}"),
                deal=locked.deal,
                payload={
                    "request": locked.pk,
                    "comment": comment,
                    "proposed_date": proposed_date.isoformat() if proposed_date else None,
                    "beyond_capacity": locked.beyond_capacity,
                    "impact": impact,
                },
            )
            text = f"Operations {locked.get_status_display().lower()} {locked.deal.name}: {comment}"
            requester = locked.requested_by
            deal = locked.deal
            transaction.on_commit(lambda: notification_send(requester, deal, text))
            return locked

    return with_retries(decide)


def _exception_impact(
    request: ExceptionRequest, overtime_share: float | None, allow_reshuffle: bool
) -> dict[str, Any]:
    """Re-check the requested date with the engine for the lines asked about: plain, with
    overtime, with a reshuffle."""
    deal = request.deal
    lines = approval_scope_lines(request)
    if not lines:
        return {"note": "the deal has no lines to check"}
    snapshot = portfolio_snapshot()
    evaluation = quote_compute(
        snapshot=snapshot,
        deal=deal,
        lines=resolve_lines(lines),
        wanted_date=request.requested_date,
        with_options=False,
    )
    answer = evaluation.answer
    impact: dict[str, Any] = {
        "ledger_version": snapshot.ledger_version,
        "promise_date": answer.promise_date.isoformat() if answer.promise_date else None,
        "feasible_as_is": bool(answer.can_promise),
    }
    project = evaluation.project
    by_day = (request.requested_date - snapshot.today).days
    if project is None or not 0 <= by_day < snapshot.instance.calendar.horizon_days:
        return impact
    if overtime_share is not None:
        option = overtime_option(evaluation.plan, project, by_day, share=overtime_share)
        impact["overtime"] = {
            "share": overtime_share,
            "feasible": option.feasible,
            "finish_date": None
            if option.finish_day is None
            else snapshot.date_of(max(0, option.finish_day - 1)).isoformat(),
            "hours": [[role, hours] for role, hours in option.overtime_hours],
        }
    if allow_reshuffle and any(isinstance(p, EffortPhase) for p in project.phases):
        delivery = can_deliver_by(evaluation.plan, project, by_day, allow_reshuffle=True)
        impact["reshuffle"] = {
            "feasible": delivery.feasible,
            "moves": [
                {"project": m.project_id, "shift_days": m.shift_days} for m in delivery.moves
            ],
        }
    return impact
