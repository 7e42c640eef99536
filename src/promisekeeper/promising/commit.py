"""Commit a quote: check it again under the capacity locks, then book it, exactly once per
idempotency key.

The Monte Carlo run happens before the locks (``quote_compute``); under them the work is
placed again on whatever other commits left (``quote_recheck``). The snapshot under the
locks is never rebuilt there: when it cannot be replayed from the journal the attempt
gives up its locks, the snapshot is rebuilt outside them, and the commit tries again.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.db import IntegrityError, transaction
from django.utils import timezone

from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.promising.approvals import (
    ApprovedWork,
    approval_applied,
    approval_covers,
    approval_lock,
)
from promisekeeper.promising.booking import Booking, CommitResult, Taken, Work, book
from promisekeeper.promising.cache import portfolio_snapshot, snapshot_ready
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.idempotency import idempotency_key_check, promise_replayed
from promisekeeper.promising.lines import QuoteLine, ResolvedLine, check_date
from promisekeeper.promising.locks import BookingLocks, booking_locks, with_retries
from promisekeeper.promising.permissions import User, may_commit
from promisekeeper.promising.quote import (
    Evaluation,
    horizon_days_of,
    lines_on_snapshot,
    quote_compute,
    quote_recheck,
)
from promisekeeper.promising.snapshot import Snapshot
from promisekeeper.sales.models import Deal, ExceptionRequest

logger = logging.getLogger(__name__)
BACKSTOP_CHECKS = (
    "person_day_reserved_within_capacity",
    "person_day_overtime_within_allowance",
    "product_reserved_within_supply",
)
# A second promise on one approval: PostgreSQL names the index, SQLite its column.
APPROVAL_USED_ONCE = ("promise_approval_used_once", "sales_promise.approval_id")
STALE_ATTEMPTS = 5


class _SnapshotNotReady(Exception):
    """Under the locks, the plan at the locked version needs a rebuild (raised to roll back
    and release the locks; the rebuild then happens outside them)."""

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


@dataclass(frozen=True)
class PreparedCommit:
    """A commit request checked for everything but capacity, with its quote computed on the
    snapshot of the moment (the Monte Carlo run, outside the locks)."""

    user: User
    deal: Deal
    lines: list[ResolvedLine]
    promised_date: datetime.date
    key: str
    fingerprint: str
    approval: ExceptionRequest | None
    quoted: Evaluation


def promise_commit(
    *,
    user: User,
    deal: Deal,
    lines: list[QuoteLine],
    promised_date: datetime.date,
    idempotency_key: str,
    request_fingerprint: str,
    exception: ExceptionRequest | None = None,
) -> CommitResult:
    """Promise ``promised_date`` atomically: re-checked under the capacity lock, reserved to the
    hour in the database, exactly once per idempotency key."""
    prepared = commit_prepare(
        user=user,
        deal=deal,
        lines=lines,
        promised_date=promised_date,
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        exception=exception,
    )
    if isinstance(prepared, CommitResult):
        return prepared
    return commit_prepared(prepared)


def commit_prepare(
    *,
    user: User,
    deal: Deal,
    lines: list[QuoteLine],
    promised_date: datetime.date,
    idempotency_key: str,
    request_fingerprint: str,
    exception: ExceptionRequest | None = None,
) -> PreparedCommit | CommitResult:
    """The first half of ``promise_commit``: validate, replay a retried request (its result),
    and quote the lines now, outside the locks."""
    may_commit(user, deal).require()
    idempotency_key_check(idempotency_key)
    replayed = promise_replayed(idempotency_key, request_fingerprint)
    if replayed is not None:
        return replayed
    resolved, answer_on = lines_on_snapshot(lines)
    snapshot = answer_on()
    check_date(
        promised_date, "promised_date", required=True, horizon_days=horizon_days_of(snapshot)
    )
    approval = exception if approval_covers(exception, deal, promised_date, lines) else None
    quoted = quote_compute(
        snapshot=snapshot,
        deal=deal,
        lines=resolved,
        wanted_date=promised_date,
        with_options=False,
    )
    return PreparedCommit(
        user, deal, resolved, promised_date, idempotency_key, request_fingerprint, approval, quoted
    )


def commit_prepared(prepared: PreparedCommit) -> CommitResult:
    """The second half of ``promise_commit``: under the locks, check the prepared quote on the
    plan as it is now, then book it (or answer why not)."""
    p = prepared

    def attempt() -> CommitResult:
        with transaction.atomic(durable=True):
            locks = booking_locks(
                product_ids=[r.product.pk for r in p.lines if r.product is not None],
                deal_pk=p.deal.pk,
            )
            replayed = _committed_meanwhile(locks, p.key, p.fingerprint)
            if replayed is not None:
                return replayed
            # Asked again of the locked row: another seller may have taken the deal meanwhile.
            may_commit(p.user, locks.deal.deal).require()
            checked = commit_check(
                locks=locks,
                lines=p.lines,
                quoted=p.quoted,
                promised_date=p.promised_date,
                approval=approval_lock(p.approval) if p.approval is not None else None,
            )
            if isinstance(checked, Taken):
                return CommitResult.of_taken(checked)
            promise = book(checked, user=p.user, key=p.key, fingerprint=p.fingerprint)  # type: ignore[arg-type]
            return CommitResult("committed", promise, checked.answer.promise_date)

    return booking_with_retries(attempt, p.deal, p.key, p.fingerprint)


def booking_with_retries(
    attempt: Callable[[], CommitResult], deal: Deal, key: str, fingerprint: str
) -> CommitResult:
    """Run a booking ``attempt`` (a commit or a re-date) under the lock retries; rebuild a
    stale snapshot outside the locks; turn a lost idempotency race into its replay, a
    backstop refusal into "taken" and a second use of an approval into its refusal."""
    for _ in range(STALE_ATTEMPTS):
        try:
            return with_retries(attempt)
        except _SnapshotNotReady as stale:
            portfolio_snapshot(ledger_version=stale.version)
        except IntegrityError as error:
            # Another request with this key won the race after our first look.
            replayed = promise_replayed(key, fingerprint)
            if replayed is not None:
                return replayed
            if any(name in str(error) for name in APPROVAL_USED_ONCE):
                raise QuoteInputError("exception", "was already used by another promise") from None
            if any(name in str(error) for name in BACKSTOP_CHECKS):
                # The database refused what the check allowed: a bug, never a broken promise.
                logger.error("capacity backstop refused a commit for deal %s: %s", deal.pk, error)
                return CommitResult("taken", None, None, "capacity changed meanwhile; quote again")
            raise
    return CommitResult("taken", None, None, "capacity is changing fast; quote again")


def locked_snapshot(locks: BookingLocks) -> Snapshot:
    """The plan at the locked ledger version, if it needs no rebuild (else the attempt
    rolls back, the snapshot is built outside the locks and the commit retries)."""
    snapshot = snapshot_ready(today=timezone.localdate(), ledger_version=locks.ledger_version)
    if snapshot is None:
        raise _SnapshotNotReady(locks.ledger_version)
    return snapshot


def _committed_meanwhile(locks: BookingLocks, key: str, fingerprint: str) -> CommitResult | None:
    """A retry whose first attempt committed while this one waited for the lock replays it;
    any other request for a deal that already has a promise is refused. (A key first used
    on another deal meets the unique index instead.)"""
    deal = locks.deal
    promised = deal.project_status is not None and deal.project_status not in (
        DeliveryProject.Status.HELD,
        DeliveryProject.Status.TENTATIVE,
    )
    if deal.deal.stage != Deal.Stage.WON and not promised:
        return None
    replayed = promise_replayed(key, fingerprint)
    if replayed is not None:
        return replayed
    raise QuoteInputError("deal", "already has a promise")


def commit_check(
    *,
    locks: BookingLocks,
    lines: list[ResolvedLine],
    quoted: Evaluation,
    promised_date: datetime.date,
    approval: ExceptionRequest | None,
) -> Taken | Booking:
    """Under the locks: is the quoted work still free by ``promised_date`` (or does the
    approval make it so)? Answers what to book, or why not."""
    snapshot = locked_snapshot(locks)
    lines = [replace(r, product=locks.products[r.product.pk]) if r.product else r for r in lines]
    evaluation = quote_recheck(
        snapshot=snapshot,
        quoted=quoted,
        deal=locks.deal.deal,
        lines=lines,
        wanted_date=promised_date,
        project_pk=locks.deal.project_pk,
    )
    answer = evaluation.answer
    placement = evaluation.engine.deterministic if evaluation.engine else None
    if placement is not None and placement.finish_day is None:
        return Taken("the work does not fit the planning horizon")
    short = [s for s in answer.stock if (s.available_on_wanted_date or 0) < s.quantity]
    if short:
        return Taken(f"not enough {short[0].sku} on {promised_date:%Y-%m-%d}", answer.promise_date)
    if not answer.can_promise and approval is None:
        earliest = (
            f"{answer.promise_date:%Y-%m-%d}" if answer.promise_date else "beyond the horizon"
        )
        return Taken(
            f"the capacity for that date is taken; the earliest date is now {earliest}",
            answer.promise_date,
        )
    work = None
    approved: ApprovedWork | None = None
    if evaluation.project is not None and placement is not None:
        work = Work(evaluation.project, placement.allocations)
        checked = approval_applied(
            approval=approval,
            evaluation=evaluation,
            snapshot=snapshot,
            promised_date=promised_date,
            plain=work,
            plain_finish_day=placement.finish_day,
        )
        if isinstance(checked, Taken):
            return checked
        approved = checked
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
        lines=tuple(lines),
        replaces=evaluation.replaces or "",
    )
