"""Changing a promise after it is made: re-date it (checked, then booked like a commit) or
cancel it (its hours and units are given back). A promise of stock products only has no
delivery project: its units alone move or are given back."""

from __future__ import annotations

import datetime
from dataclasses import replace

from django.db import transaction

from promisekeeper.catalog.models import StockReservation
from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.engine.model import Project as EngineProject
from promisekeeper.engine.model import ProjectState
from promisekeeper.promising.approvals import approval_applied, approval_covers, approval_lock
from promisekeeper.promising.booking import Booking, CommitResult, Redate, Taken, Work, book
from promisekeeper.promising.cache import portfolio_snapshot
from promisekeeper.promising.commit import booking_with_retries, locked_snapshot
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.idempotency import idempotency_key_check, promise_replayed
from promisekeeper.promising.lines import check_date, deal_lines_get
from promisekeeper.promising.locks import BookingLocks, booking_locks, ledger_lock, with_retries
from promisekeeper.promising.permissions import User, may_cancel, may_redate
from promisekeeper.promising.quote import Evaluation, quote_compute
from promisekeeper.promising.reservations import capacity_release
from promisekeeper.promising.snapshot import Snapshot
from promisekeeper.promising.stock import deal_stock_lines, stock_release, stock_short_on
from promisekeeper.promising.to_engine import delivery_project_to_engine
from promisekeeper.sales.models import AuditEvent, Deal, ExceptionRequest, Promise
from promisekeeper.sales.services import audit_event_record


def promise_reschedule(
    *,
    user: User,
    deal: Deal,
    promised_date: datetime.date,
    idempotency_key: str,
    request_fingerprint: str,
    reason: str,
    exception: ExceptionRequest | None = None,
) -> CommitResult:
    """Change a committed deal's date: its remaining work is re-placed and re-checked under the
    lock like a new commit (a plan cache behind the ledger is rebuilt outside the lock and the
    re-date retried); a new immutable promise supersedes the old one; its hours move."""
    may_redate(user, deal).require()
    idempotency_key_check(idempotency_key)
    if not reason.strip():
        raise QuoteInputError("reason", "say why the date changes")
    replayed = promise_replayed(idempotency_key, request_fingerprint)
    if replayed is not None:
        return replayed
    check_date(promised_date, "promised_date", required=True)
    approval = (
        exception if approval_covers(exception, deal, promised_date, deal_lines_get(deal)) else None
    )

    def attempt() -> CommitResult:
        with transaction.atomic(durable=True):
            # Its units are checked again on the new date: their products are locked too.
            products = StockReservation.objects.filter(deal=deal, promise__isnull=False)
            locks = booking_locks(
                product_ids=products.values_list("product_id", flat=True), deal_pk=deal.pk
            )
            replayed = promise_replayed(idempotency_key, request_fingerprint)
            if replayed is not None:
                return replayed
            may_redate(user, locks.deal.deal).require()  # the locked row's owner decides
            checked = redate_check(
                locks=locks,
                promised_date=promised_date,
                approval=approval_lock(approval) if approval is not None else None,
                reason=reason,
            )
            if isinstance(checked, Taken):
                return CommitResult.of_taken(checked)
            promise = book(
                checked,
                user=user,  # type: ignore[arg-type]
                key=idempotency_key,
                fingerprint=request_fingerprint,
            )
            return CommitResult("committed", promise, checked.answer.promise_date)

    return booking_with_retries(attempt, deal, idempotency_key, request_fingerprint)


def redate_check(
    *,
    locks: BookingLocks,
    promised_date: datetime.date,
    approval: ExceptionRequest | None,
    reason: str,
) -> Taken | Booking:
    """Under the locks: can the deal's promised work, what remains of it, be delivered by
    ``promised_date`` (its own hours freed first), with its units there by then?"""
    deal = locks.deal.deal
    project = (
        DeliveryProject.objects.select_for_update()
        .filter(deal=deal, status=DeliveryProject.Status.COMMITTED)
        .first()
    )
    previous = deal.promises.order_by("-created_at", "-pk").first()
    if previous is None or (project is None and not promised_products_only(deal)):
        raise QuoteInputError("deal", "has no committed promise to re-date")
    snapshot = locked_snapshot(locks)
    if project is None:
        return _redate_products_check(
            locks=locks,
            snapshot=snapshot,
            promised_date=promised_date,
            previous=previous,
            approval=approval,
            reason=reason,
        )
    engine_project = _redate_engine_project(project, snapshot, promised_date)
    evaluation = _redate_evaluation(snapshot, deal, engine_project, promised_date)
    answer = evaluation.answer
    placement = evaluation.engine.deterministic if evaluation.engine else None
    refused = _redate_refusal(evaluation, approved=approval is not None)
    if refused is not None:
        return refused
    assert placement is not None and placement.finish_day is not None
    short = stock_short_on(deal=deal, when=promised_date, snapshot=snapshot)
    if short is not None:
        return Taken(*short)
    work = Work(engine_project, placement.allocations)
    approved = approval_applied(
        approval=approval,
        evaluation=evaluation,
        snapshot=snapshot,
        promised_date=promised_date,
        plain=work,
        plain_finish_day=placement.finish_day,
    )
    if isinstance(approved, Taken):
        return approved
    return Booking(
        snapshot=snapshot,
        deal=locks.deal,
        promised_date=promised_date,
        answer=answer,
        work=approved.work if approved else work,
        approval=approval,
        applied=approved.applied if approved else None,
        beyond_capacity=approved.beyond_capacity if approved else False,
        confidence=approved.confidence if approved else None,
        redate=Redate(project, previous, reason),
    )


def _redate_engine_project(
    project: DeliveryProject, snapshot: Snapshot, promised_date: datetime.date
) -> EngineProject:
    return replace(
        delivery_project_to_engine(project, snapshot.instance.calendar),
        id=f"redate-{project.pk}",
        release_day=0,
        promised_day=snapshot.clamp_day(promised_date),
        state=ProjectState.COMMITTED,
    )


def _redate_evaluation(
    snapshot: Snapshot, deal: Deal, engine_project: EngineProject, promised_date: datetime.date
) -> Evaluation:
    return quote_compute(
        snapshot=snapshot,
        deal=deal,
        lines=[],
        wanted_date=promised_date,
        with_options=False,
        project=engine_project,
    )


def _redate_refusal(evaluation: Evaluation, *, approved: bool) -> Taken | None:
    """Why the engine will not move the work to the date (None: it can, or an approval
    covers it)."""
    answer = evaluation.answer
    placement = evaluation.engine.deterministic if evaluation.engine else None
    if placement is None or placement.finish_day is None:
        return Taken("the work does not fit the horizon")
    if not answer.can_promise and not approved:
        earliest = f"{answer.promise_date:%Y-%m-%d}" if answer.promise_date else "beyond"
        return Taken(
            f"that date is not feasible; the earliest date is {earliest}", answer.promise_date
        )
    return None


def redate_preview(*, deal: Deal, promised_date: datetime.date) -> Taken | None:
    """Outside the locks, writing nothing: would the engine move the deal's remaining work
    to ``promised_date``? A ``Taken`` says why not; None: it would (the re-date itself
    checks again under the locks)."""
    check_date(promised_date, "promised_date", required=True)
    project = DeliveryProject.objects.filter(
        deal=deal, status=DeliveryProject.Status.COMMITTED
    ).first()
    if not deal.promises.exists() or (project is None and not promised_products_only(deal)):
        raise QuoteInputError("deal", "has no committed promise to re-date")
    snapshot = portfolio_snapshot()
    if project is None:
        short = stock_short_on(deal=deal, when=promised_date, snapshot=snapshot)
        return None if short is None else Taken(*short)
    engine_project = _redate_engine_project(project, snapshot, promised_date)
    refused = _redate_refusal(
        _redate_evaluation(snapshot, deal, engine_project, promised_date), approved=False
    )
    if refused is not None:
        return refused
    short = stock_short_on(deal=deal, when=promised_date, snapshot=snapshot)
    return None if short is None else Taken(*short)


def _redate_products_check(
    *,
    locks: BookingLocks,
    snapshot: Snapshot,
    promised_date: datetime.date,
    previous: Promise,
    approval: ExceptionRequest | None,
    reason: str,
) -> Taken | Booking:
    """A promise of products only: its units must all be there on ``promised_date`` (counted
    without its own reservations); there is no work to place."""
    deal = locks.deal.deal
    short = stock_short_on(deal=deal, when=promised_date, snapshot=snapshot)
    if short is not None:
        return Taken(*short)
    answer = quote_compute(
        snapshot=snapshot, deal=deal, lines=[], wanted_date=promised_date, with_options=False
    ).answer
    stock = deal_stock_lines(deal=deal, when=promised_date, snapshot=snapshot)
    return Booking(
        snapshot=snapshot,
        deal=locks.deal,
        promised_date=promised_date,
        answer=replace(answer, stock=stock),
        work=None,
        approval=approval,
        redate=Redate(None, previous, reason),
    )


def promised_products_only(deal: Deal) -> bool:
    """Whether ``deal`` is a live promise of stock products only: won, promised, holding
    promised units, and without a delivery project."""
    return (
        deal.stage == Deal.Stage.WON
        and deal.promises.exists()
        and not DeliveryProject.objects.filter(deal=deal).exists()
        and StockReservation.objects.filter(deal=deal, promise__isnull=False).exists()
    )


def promise_cancel(*, user: User, deal: Deal, reason: str) -> DeliveryProject | None:
    """Cancel a promised deal: its project (if it has work) stops, its hours and units are
    released (F() in (person, day) and product order), the promise row stays as history, one
    audit event. Returns the cancelled project, None for a promise of products only."""
    may_cancel(user, deal).require()
    if not reason.strip():
        raise QuoteInputError("reason", "say why the promise is cancelled")

    def cancel() -> DeliveryProject | None:
        with transaction.atomic(durable=True):
            ledger_lock()
            locked = Deal.objects.select_for_update().get(pk=deal.pk)
            may_cancel(user, locked).require()  # the locked row's owner decides
            project = (
                DeliveryProject.objects.select_for_update()
                .filter(
                    deal=locked,
                    status__in=[
                        DeliveryProject.Status.COMMITTED,
                        DeliveryProject.Status.IN_DELIVERY,
                    ],
                )
                .first()
            )
            if project is None and not promised_products_only(locked):
                raise QuoteInputError("deal", "has no promised work to cancel")
            released = 0
            if project is not None:
                released = capacity_release(project=project)
                project.status = DeliveryProject.Status.CANCELLED
                project.full_clean()
                project.save(update_fields=["status"])
            units = stock_release(deal=locked)
            locked.stage = Deal.Stage.LOST
            locked.save(update_fields=["stage"])
            audit_event_record(
                actor=user,  # type: ignore[arg-type]
                action=AuditEvent.Action.PROMISE_CANCELLED,
                deal=locked,
                payload={
                    "project": project.pk if project else None,
                    "reason": reason,
                    "minutes_released": released,
                    "units_released": units,
                },
            )
            return project

    return with_retries(cancel)
