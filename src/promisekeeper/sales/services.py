"""Writes about customers, deals and promises: quote, hold, commit, exceptions, audit.

Every capacity-reserving write follows one shape (wagtail's check() then execute(), saleor's
locking): one durable transaction; lock the ledger row, then products by id, then the deal;
re-check on the current state; write; bump the ledger; side effects on commit. The database
backs this up: PersonDayLoad and ProductAvailability carry CHECK constraints, so even a bug
here cannot book more hours or units than exist. See docs/promises.md.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal
from functools import cache
from typing import Any, TypeVar

import numpy as np
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.db.models import F
from django.utils import timezone

from promisekeeper.catalog.models import (
    IncomingSupply,
    Offering,
    Product,
    SopPhase,
    SopVersion,
    StockReservation,
)
from promisekeeper.catalog.selectors import sop_version_latest
from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.delivery.models import ProjectPhase
from promisekeeper.engine.model import EffortPhase, Project, ProjectState
from promisekeeper.engine.options import overtime_option, overtime_placement
from promisekeeper.engine.plan import Allocations, Plan
from promisekeeper.engine.promise import can_deliver_by
from promisekeeper.organisation import sql
from promisekeeper.organisation.models import Ledger
from promisekeeper.organisation.permissions import (
    OPERATIONS,
    can_quote,
    is_admin,
    is_operations,
    is_sales,
)
from promisekeeper.organisation.services import ledger_bump
from promisekeeper.sales.models import (
    AuditEvent,
    CapacityReservation,
    Customer,
    Deal,
    DealLine,
    ExceptionRequest,
    Hold,
    Notification,
    PersonDayLoad,
    ProductAvailability,
    Promise,
    ReservationChange,
)
from promisekeeper.sales.selectors import (
    Evaluation,
    QuoteAnswer,
    QuoteLine,
    ResolvedLine,
    deal_first_project_sql,
    holds_due,
    ledger_version_and_holds_due,
    product_atp,
    quote_compute,
    quote_recheck,
)
from promisekeeper.sales.snapshot import (
    BookedRow,
    CommittedProject,
    Memo,
    ProjectRef,
    Snapshot,
    booked_allocations,
    delivery_project_to_engine,
    memoised,
    portfolio_snapshot,
    project_engine_id,
    reservation_change_payload,
    snapshot_cache_put,
    snapshot_with_commits,
    sop_phase_rows,
)

__all__ = [
    "CommitResult",
    "IdempotencyConflict",
    "QuoteAnswer",
    "QuoteInputError",
    "QuoteLine",
    "audit_event_record",
    "commit_fingerprint",
    "customer_create",
    "deal_create",
    "exception_decide",
    "exception_request",
    "hold_place",
    "promise_cancel",
    "promise_reschedule",
    "holds_expire",
    "holds_warn_expiring",
    "promise_commit",
    "quote_check",
]

logger = logging.getLogger(__name__)

User = AuthUser | AnonymousUser
T = TypeVar("T")

MAX_ATTEMPTS = 10
BACKOFF_SECONDS = 0.02
BACKOFF_CAP_SECONDS = 1.0
HOLD_MAX_DAYS = 30
HOURS = Decimal("0.001")
BACKSTOP_CHECKS = ("person_day_reserved_within_capacity", "product_reserved_within_supply")


class QuoteInputError(ValueError):
    """Bad input to a sales service; ``field`` names it. Nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class IdempotencyConflict(Exception):
    """The idempotency key was already used with a different request body."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used with a different request.")
        self.key = key


@dataclass(frozen=True)
class CommitResult:
    """committed: the promise is made; replayed: the same request was already committed;
    taken: nothing written, the capacity is gone and ``earliest_date`` is the best date now."""

    status: str
    promise: Promise | None
    earliest_date: datetime.date | None
    reason: str = ""


# --- audit, customers, deals --------------------------------------------------------------


def audit_event_record(
    *,
    actor: AuthUser | None,
    action: str,
    deal: Deal | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event in the caller's transaction."""
    event = AuditEvent(actor=actor, action=action, deal=deal, payload=payload or {})
    _clean_fields(event)
    sql.insert([event])
    return event


@transaction.atomic
def customer_create(*, name: str, email: str = "", phone: str = "") -> Customer:
    """Create a validated customer."""
    customer = Customer(name=name, email=email, phone=phone)
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def deal_create(
    *, customer: Customer, name: str, owner: AuthUser | None = None, **fields: Any
) -> Deal:
    """Create a validated deal and audit it."""
    deal = Deal(customer=customer, name=name, owner=owner, **fields)
    deal.full_clean()
    deal.save()
    audit_event_record(actor=owner, action="deal.created", deal=deal, payload={"name": name})
    return deal


# --- permissions ----------------------------------------------------------------------------


def _require_seller(user: User, deal: Deal | None) -> None:
    """Sales may act on their own deals (and unowned ones); admins on any."""
    if not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    if not is_sales(user):
        raise PermissionDenied("Only the sales team can do this.")
    if deal is not None and deal.owner_id not in (None, user.pk) and not is_admin(user):
        raise PermissionDenied("This deal belongs to another salesperson.")


def _require_quoter(user: User) -> None:
    if not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    if not can_quote(user):
        raise PermissionDenied("Only sales and operations can ask for a quote.")


# --- validation -------------------------------------------------------------------------------


def _as_line(raw: Any, k: int) -> QuoteLine:
    if isinstance(raw, QuoteLine):
        return raw
    if isinstance(raw, dict):
        return QuoteLine(
            quantity=raw.get("quantity"),  # type: ignore[arg-type]
            offering_id=raw.get("offering_id"),
            product_id=raw.get("product_id"),
        )
    raise QuoteInputError(f"lines[{k}]", "must be an offering or product with a quantity")


def _offering_on_sale(pk: int, memo: Memo | None) -> tuple[Offering, SopVersion | None] | None:
    """The active offering ``pk`` and its newest SOP version; None when not on sale.

    With a snapshot's memo this is read once per snapshot lineage: offering and SOP edits
    bump the ledger, which starts a new lineage.
    """

    def read() -> tuple[Offering, SopVersion | None] | None:
        offering = Offering.objects.filter(pk=pk, active=True).first()
        return None if offering is None else (offering, sop_version_latest(offering=offering))

    return memoised(memo, ("offering-on-sale", pk), read)


def _resolve_lines(lines: Sequence[Any], memo: Memo | None = None) -> list[ResolvedLine]:
    if not lines:
        raise QuoteInputError("lines", "add at least one offering or product")
    resolved = []
    for k, raw in enumerate(lines):
        line = _as_line(raw, k)
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise QuoteInputError(f"lines[{k}].quantity", "must be a whole number above 0")
        if (line.offering_id is None) == (line.product_id is None):
            raise QuoteInputError(f"lines[{k}]", "give either an offering or a product")
        if line.offering_id is not None:
            on_sale = _offering_on_sale(line.offering_id, memo)
            if on_sale is None:
                raise QuoteInputError(f"lines[{k}].offering_id", "no such offering on sale")
            offering, sop = on_sale
            if sop is None:
                raise QuoteInputError(
                    f"lines[{k}].offering_id", f"{offering.name} has no delivery process (SOP) yet"
                )
            resolved.append(ResolvedLine(line, offering, sop, None))
        else:
            product = Product.objects.filter(pk=line.product_id).first()  # type: ignore[misc]
            if product is None:
                raise QuoteInputError(f"lines[{k}].product_id", "no such product")
            resolved.append(ResolvedLine(line, None, None, product))
    return resolved


def _check_date(value: datetime.date | None, field: str, *, required: bool = False) -> None:
    if value is None:
        if required:
            raise QuoteInputError(field, "is required")
        return
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise QuoteInputError(field, "must be a date")
    if value < timezone.localdate():
        raise QuoteInputError(field, "is in the past")


# --- quote --------------------------------------------------------------------------------------


def quote_check(
    *,
    user: User,
    customer: Customer | None,
    deal: Deal | None,
    lines: list[QuoteLine],
    wanted_date: datetime.date | None,
) -> QuoteAnswer:
    """Can we promise these lines by the wanted date? Reads only (besides lazily expiring holds)."""
    _require_quoter(user)
    resolved, answer_on = _lines_on_snapshot(lines)
    _check_date(wanted_date, "wanted_date")
    return quote_compute(
        snapshot=answer_on(), deal=deal, lines=resolved, wanted_date=wanted_date
    ).answer


def _lines_on_snapshot(lines: Sequence[Any]) -> tuple[list[ResolvedLine], Callable[[], Snapshot]]:
    """Resolve ``lines`` on the current snapshot (one query reads the ledger version and
    whether a hold is due). The returned function, called once the caller's own checks have
    passed, releases due holds and gives the snapshot to answer on."""
    now = timezone.now()
    version, holds_due = ledger_version_and_holds_due(now=now)
    snapshot = portfolio_snapshot(ledger_version=version)
    resolved = _resolve_lines(lines, snapshot.memo)

    def answer_on() -> Snapshot:
        if holds_due and holds_expire(now=now):
            return portfolio_snapshot()
        return snapshot

    return resolved, answer_on


# --- transactions with retry -------------------------------------------------------------------


def _transient(error: BaseException) -> bool:
    """Deadlocks, serialization failures and SQLite's busy lock: retry; anything else: raise."""
    cause = error.__cause__
    name = type(cause).__name__ if cause is not None else ""
    if name in ("SerializationFailure", "DeadlockDetected", "LockNotAvailable"):
        return True
    text = str(error).lower()
    return "database is locked" in text or "deadlock" in text or "could not serialize" in text


def _with_retries(action: Callable[[], T]) -> T:
    """Run a durable transaction, retrying transient lock failures with jittered backoff."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return action()
        except OperationalError as error:
            if not _transient(error) or attempt == MAX_ATTEMPTS - 1:
                raise
            logger.info("retrying after %s (attempt %d)", error, attempt + 1)
            time.sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2**attempt)))
    raise AssertionError("unreachable")


def _ledger_lock() -> int:
    """Take the global capacity lock, the ledger row (SQLite: BEGIN IMMEDIATE already holds
    it), and return the ledger version."""
    row = sql.fetch_one(
        f"SELECT {sql.column(Ledger, 'version')} FROM {sql.table(Ledger)} "  # noqa: S608
        f"WHERE {sql.column(Ledger, 'singleton')}{sql.for_update()}"
    )
    if row is None:
        Ledger.objects.get_or_create(singleton=True)
        return _ledger_lock()
    return int(row[0])


# --- holds --------------------------------------------------------------------------------------


def hold_place(*, user: User, deal: Deal, days: int = 7) -> Hold:
    """Keep capacity for the deal's lines for ``days`` days (it plans as HELD until then)."""
    _require_seller(user, deal)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= HOLD_MAX_DAYS:
        raise QuoteInputError("days", f"must be between 1 and {HOLD_MAX_DAYS}")
    if deal.stage in (Deal.Stage.WON, Deal.Stage.LOST):
        raise QuoteInputError("deal", f"is already {deal.get_stage_display().lower()}")
    if not deal.lines.filter(offering__isnull=False).exists():
        raise QuoteInputError("deal", "add an offering to the deal before holding capacity")
    holds_expire(now=timezone.now())

    def place() -> Hold:
        with transaction.atomic(durable=True):
            _ledger_lock()
            locked = Deal.objects.select_for_update().get(pk=deal.pk)
            now = timezone.now()
            Hold.objects.filter(deal=locked, active=True).update(active=False)
            expires = now + datetime.timedelta(days=days)
            hold = Hold(deal=locked, expires_at=expires, created_by=user)  # type: ignore[misc]
            hold.full_clean()
            hold.save()
            locked.stage = Deal.Stage.HELD
            locked.full_clean()
            locked.save(update_fields=["stage"])
            audit_event_record(
                actor=user,  # type: ignore[arg-type]
                action="hold.placed",
                deal=locked,
                payload={"hold": hold.pk, "days": days, "expires_at": hold.expires_at.isoformat()},
            )
            ledger_bump()
            return hold

    return _with_retries(place)


def holds_expire(*, now: datetime.datetime) -> int:
    """Release every hold that has expired by ``now``; returns how many. Safe to call often."""
    if not holds_due(now=now).exists():
        return 0

    def expire() -> int:
        with transaction.atomic(durable=True):
            _ledger_lock()
            expired = list(
                holds_due(now=now).select_for_update().select_related("deal").order_by("pk")
            )
            if not expired:
                return 0
            Hold.objects.filter(pk__in=[h.pk for h in expired]).update(active=False)
            for hold in expired:
                deal = hold.deal
                if deal.stage == Deal.Stage.HELD and not deal.holds.filter(active=True).exists():
                    Deal.objects.filter(pk=deal.pk).update(stage=Deal.Stage.PROPOSAL)
                audit_event_record(
                    actor=None,
                    action="hold.expired",
                    deal=deal,
                    payload={"hold": hold.pk, "expired_at": hold.expires_at.isoformat()},
                )
            ledger_bump()
            return len(expired)

    return _with_retries(expire)


def holds_warn_expiring(*, now: datetime.datetime) -> int:
    """Notify whoever placed a hold one day before it expires (once per hold)."""
    with transaction.atomic():
        due = list(
            Hold.objects.select_for_update()
            .filter(
                active=True,
                warned_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=now + datetime.timedelta(days=1),
            )
            .select_related("deal")
        )
        for hold in due:
            _notify(
                hold.created_by,
                hold.deal,
                f"The hold on {hold.deal.name} expires {hold.expires_at:%Y-%m-%d %H:%M} UTC; "
                "commit the promise or place a new hold.",
            )
            Hold.objects.filter(pk=hold.pk).update(warned_at=now)
        return len(due)


def _notify(user: Any, deal: Deal | None, text: str) -> Notification:
    note = Notification(user=user, deal=deal, text=text)
    note.full_clean()
    note.save()
    return note


# --- commit -----------------------------------------------------------------------------------


def commit_fingerprint(
    *,
    deal_id: int,
    lines: Sequence[QuoteLine],
    promised_date: datetime.date,
    exception_id: int | None = None,
) -> str:
    """A stable hash of a commit request's meaning, to tell a retry from a different request."""
    body = {
        "deal": deal_id,
        "lines": sorted(
            [line.offering_id or 0, line.product_id or 0, line.quantity] for line in lines
        ),
        "promised_date": promised_date.isoformat(),
        "exception": exception_id,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _replay(key: str, fingerprint: str) -> CommitResult | None:
    """The promise an earlier request with this idempotency key made, if any (one plain
    lookup: every commit asks, and nearly always the answer is none)."""
    row = sql.fetch_one(
        f"SELECT {sql.column(Promise, 'id')}, {sql.column(Promise, 'request_fingerprint')} "  # noqa: S608
        f"FROM {sql.table(Promise)} WHERE {sql.column(Promise, 'idempotency_key')} = %s",
        [key],
    )
    if row is None:
        return None
    if row[1] != fingerprint:
        raise IdempotencyConflict(key)
    existing = Promise.objects.get(pk=row[0])
    return CommitResult("replayed", existing, existing.promised_date)


def _covers(exception: ExceptionRequest | None, deal: Deal, promised_date: datetime.date) -> bool:
    if exception is None:
        return False
    if exception.deal_id != deal.pk:
        raise QuoteInputError("exception", "belongs to another deal")
    if exception.status != ExceptionRequest.Status.APPROVED:
        raise QuoteInputError("exception", "is not approved")
    if promised_date < exception.requested_date:
        raise QuoteInputError("exception", "does not cover a date that early")
    return True


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
    _require_seller(user, deal)
    if not idempotency_key or len(idempotency_key) > 100:
        raise QuoteInputError("idempotency_key", "is required (at most 100 characters)")
    replayed = _replay(idempotency_key, request_fingerprint)
    if replayed is not None:
        return replayed
    resolved, answer_on = _lines_on_snapshot(lines)
    _check_date(promised_date, "promised_date", required=True)
    covered = _covers(exception, deal, promised_date)
    # The Monte Carlo run happens here, outside the lock every commit waits for; inside it
    # the work is placed again on whatever other commits left (quote_recheck).
    quoted = quote_compute(
        snapshot=answer_on(),
        deal=deal,
        lines=resolved,
        wanted_date=promised_date,
        with_options=False,
    )

    def commit() -> CommitResult:
        try:
            return _commit_locked(
                user=user,
                deal=deal,
                resolved=resolved,
                quoted=quoted,
                promised_date=promised_date,
                key=idempotency_key,
                fingerprint=request_fingerprint,
                exception=exception if covered else None,
            )
        except IntegrityError as error:
            # Another request with this key won the race after our first look.
            replayed = _replay(idempotency_key, request_fingerprint)
            if replayed is not None:
                return replayed
            if any(name in str(error) for name in BACKSTOP_CHECKS):
                # The database refused what the check allowed: a bug, never a broken promise.
                logger.error("capacity backstop refused a commit for deal %s: %s", deal.pk, error)
                return CommitResult("taken", None, None, "capacity changed meanwhile; quote again")
            raise

    return _with_retries(commit)


@cache
def _deal_lock_sql() -> str:
    project, hold = DeliveryProject, Hold
    first_project = deal_first_project_sql(f"d.{sql.column(Deal, 'id')}")
    lock = " FOR UPDATE OF d" if connection.features.has_select_for_update_of else ""
    return (
        f"SELECT d.*, (SELECT p.{sql.column(project, 'id')} {first_project}) AS project_pk, "  # noqa: S608
        f"(SELECT p.{sql.column(project, 'status')} {first_project}) AS project_status, "
        f"EXISTS(SELECT 1 FROM {sql.table(hold)} h WHERE h.{sql.column(hold, 'deal')} = "
        f"d.{sql.column(Deal, 'id')} AND h.{sql.column(hold, 'active')}) AS holds_active "
        f"FROM {sql.table(Deal)} d WHERE d.{sql.column(Deal, 'id')} = %s{lock}"
    )


def _deal_lock(pk: int) -> Deal:
    """Lock the deal's row and read it with its delivery project (pk and status, the first as
    ``_own_engine_ids`` orders them) and whether it has an active hold, in one statement
    (written once per process: this runs under the capacity lock)."""
    found = list(Deal.objects.raw(_deal_lock_sql(), [pk]))
    if not found:
        raise Deal.DoesNotExist(f"deal {pk}")
    return found[0]


def _commit_locked(
    *,
    user: Any,
    deal: Deal,
    resolved: list[ResolvedLine],
    quoted: Evaluation,
    promised_date: datetime.date,
    key: str,
    fingerprint: str,
    exception: ExceptionRequest | None,
) -> CommitResult:
    with transaction.atomic(durable=True):
        # Lock order, always: ledger -> products by id -> the deal.
        ledger_version = _ledger_lock()
        product_ids = sorted({r.product.pk for r in resolved if r.product is not None})
        products = {
            p.pk: p
            for p in Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk")
        }
        locked = _deal_lock(deal.pk)
        existing_project_pk: int | None = locked.project_pk  # type: ignore[attr-defined]
        if locked.stage == Deal.Stage.WON or (
            existing_project_pk is not None
            and locked.project_status  # type: ignore[attr-defined]
            not in (DeliveryProject.Status.HELD, DeliveryProject.Status.TENTATIVE)
        ):
            # A retry whose first attempt committed while this one waited for the lock.
            # (A key first used on another deal meets the unique index instead.)
            replayed = _replay(key, fingerprint)
            if replayed is not None:
                return replayed
            raise QuoteInputError("deal", "already has a promise")
        resolved = [
            replace(r, product=products[r.product.pk]) if r.product is not None else r
            for r in resolved
        ]
        snapshot = portfolio_snapshot(ledger_version=ledger_version)
        evaluation = quote_recheck(
            snapshot=snapshot,
            quoted=quoted,
            deal=locked,
            lines=resolved,
            wanted_date=promised_date,
            project_pk=existing_project_pk,
        )
        answer = evaluation.answer
        placement = evaluation.engine.deterministic if evaluation.engine else None
        if placement is not None and placement.finish_day is None:
            return CommitResult("taken", None, None, "the work does not fit the planning horizon")
        stock_short = [s for s in answer.stock if (s.available_on_wanted_date or 0) < s.quantity]
        if stock_short:
            return CommitResult(
                "taken",
                None,
                answer.promise_date,
                f"not enough {stock_short[0].sku} on {promised_date:%Y-%m-%d}",
            )
        if not answer.can_promise and exception is None:
            return CommitResult(
                "taken",
                None,
                answer.promise_date,
                "the capacity for that date is taken; the earliest date is now "
                + (
                    f"{answer.promise_date:%Y-%m-%d}"
                    if answer.promise_date
                    else "beyond the horizon"
                ),
            )
        approved = (
            _approved_placement(exception, evaluation, snapshot, promised_date)
            if exception is not None and not answer.can_promise
            else None
        )
        record = answer.to_dict(omit=("load", "options"))
        promise = Promise(
            deal=locked,
            promised_date=promised_date,
            confidence=answer.confidence,
            p50_date=answer.p50_date,
            p80_date=answer.p80_date,
            p95_date=answer.p95_date,
            evidence=_evidence(record) | ({"approval_applied": approved.note} if approved else {}),
            created_by=user,
            approval=exception,
            idempotency_key=key,
            request_fingerprint=fingerprint,
        )
        _clean_fields(promise)
        sql.insert([promise])
        project = None
        booked: list[BookedRow] | None = None
        if evaluation.project is not None and placement is not None:
            if existing_project_pk is not None:
                ProjectPhase.objects.filter(project_id=existing_project_pk).delete()
                DeliveryProject.objects.filter(pk=existing_project_pk).delete()
            project = _project_create(
                user=user, deal=locked, resolved=resolved, snapshot=snapshot, promised=promised_date
            )
            _phases_create(
                project=project, evaluation=evaluation, resolved=resolved, snapshot=snapshot
            )
            if approved is not None:
                # Moved promises leave the hours the new project takes before it books them.
                _move_reservations(approved.moved, snapshot)
            booked = _reserve_capacity(
                promise=promise,
                project=project,
                phases=evaluation.project.phases,
                allocations=approved.allocations if approved else placement.allocations,
                snapshot=snapshot,
                regular_free=approved.regular_free if approved else None,
            )
        _reserve_stock(promise=promise, deal=locked, resolved=resolved, snapshot=snapshot)
        _deal_lines_set(deal=locked, resolved=resolved)
        locked.stage = Deal.Stage.WON
        locked.wanted_date = locked.wanted_date or promised_date
        _clean_fields(locked)
        locked.save(update_fields=["stage", "wanted_date"])
        # Read with the deal's row: placing a hold needs the ledger lock this commit holds.
        if locked.holds_active:  # type: ignore[attr-defined]
            Hold.objects.filter(deal=locked, active=True).update(active=False)
        audit_event_record(
            actor=user,
            action="promise.committed",
            deal=locked,
            payload={
                "promise": promise.pk,
                "promised_date": promised_date.isoformat(),
                "exception": exception.pk if exception else None,
                "approval_applied": approved.note if approved else None,
                "quote": record,
            },
        )
        version = ledger_bump()
        if approved is not None and approved.moved:
            pass  # other promises' hours moved too: other processes rebuild
        elif project is None or booked is None or evaluation.project is None:
            ReservationChange.objects.create(version=version, deal=locked)  # products only
        else:
            engine_project = replace(
                evaluation.project,
                id=project_engine_id(project.pk),
                promised_day=snapshot.clamp_day(promised_date),
                state=ProjectState.COMMITTED,
            )
            _reservation_change_record(
                snapshot=snapshot,
                version=version,
                project=project,
                engine_project=engine_project,
                booked=booked,
                deal=locked,
                replaced=evaluation.replaces or "",
            )
        if locked.owner_id and locked.owner_id != user.pk:
            owner = locked.owner
            text = f"{user} promised {locked.name} for {promised_date:%Y-%m-%d}."
            transaction.on_commit(lambda: _notify(owner, locked, text))
        return CommitResult("committed", promise, answer.promise_date)


def _reservation_change_record(
    *,
    snapshot: Snapshot,
    version: int,
    project: DeliveryProject,
    engine_project: Project,
    booked: list[BookedRow],
    deal: Deal,
    replaced: str,
) -> None:
    """Journal the project's new hours at ``version`` and, once the transaction commits (the
    lock released), put the next snapshot in this process's cache: the same replay every
    other process makes."""
    change = ReservationChange(
        version=version,
        project=project,
        deal=deal,
        replaced=replaced,
        payload=reservation_change_payload(snapshot, engine_project, booked),
    )
    sql.insert([change])
    committed = CommittedProject(
        engine_project,
        ProjectRef("project", project.pk),
        booked_allocations(booked),
        (change.replaced, engine_project.id),
        deal.pk,
    )

    def cache_following() -> None:
        # After the commit, so outside the lock; a failure here only costs a later replay.
        snapshot_cache_put(
            snapshot_with_commits(snapshot, ledger_version=version, commits=[committed])
        )

    transaction.on_commit(cache_following, robust=True)


@dataclass(frozen=True)
class ApprovedPlacement:
    """How an approved exception's overtime or reshuffle makes its date: the new project's
    hours, the regular free hours they were placed against (overtime is what lies beyond),
    and the promised projects whose hours move (delivery project pk -> engine project and
    its new allocations)."""

    allocations: Allocations
    regular_free: np.ndarray | None
    moved: dict[int, tuple[Project, Allocations]]
    note: dict[str, Any]


def _approved_placement(
    exception: ExceptionRequest,
    evaluation: Evaluation,
    snapshot: Snapshot,
    promised_date: datetime.date,
) -> ApprovedPlacement | None:
    """Apply what operations approved, re-checked on the current plan: overtime first, then a
    reshuffle of unstarted work. None when neither makes the date (the approval still lets
    the date be promised; the hours are then booked where they fit)."""
    project = evaluation.project
    by_day = (promised_date - snapshot.today).days
    if project is None or not 0 <= by_day < snapshot.instance.calendar.horizon_days:
        return None
    if exception.overtime_share is not None:
        placed, regular = overtime_placement(
            evaluation.plan, project, share=float(exception.overtime_share)
        )
        finish = placed.finish_day(project.release_day)
        if finish is not None and finish - 1 <= by_day:
            return ApprovedPlacement(
                placed.allocations,
                regular,
                {},
                {"overtime_share": float(exception.overtime_share)},
            )
    if exception.allow_reshuffle:
        delivery = can_deliver_by(evaluation.plan, project, by_day, allow_reshuffle=True)
        if delivery.feasible and delivery.reshuffled and delivery.plan is not None:
            return _reshuffled(delivery.plan, delivery.moves, snapshot)
    return None


def _reshuffled(merged: Plan, moves: Sequence[Any], snapshot: Snapshot) -> ApprovedPlacement:
    instance = merged.instance
    index = {p.id: k for k, p in enumerate(instance.projects)}

    def allocations_of(k: int) -> Allocations:
        return merged.allocations.where(merged.allocations.project == k)

    moved: dict[int, tuple[Project, Allocations]] = {}
    names = []
    for move in moves:
        ref = snapshot.projects.get(move.project_id)
        if ref is None or ref.kind != "project":
            continue  # a held deal: it re-plans with the next snapshot
        k = index[move.project_id]
        moved[ref.pk] = (instance.projects[k], allocations_of(k))
        names.append({"project": ref.pk, "shift_days": move.shift_days})
    return ApprovedPlacement(
        allocations_of(len(instance.projects) - 1), None, moved, {"reshuffle": names}
    )


def _move_reservations(moved: dict[int, tuple[Project, Allocations]], snapshot: Snapshot) -> None:
    """Re-book promised projects a reshuffle moved: the same promise, new hours.

    Projects without reservations (planned, not booked) just plan again with the next
    snapshot; every kept promise was re-checked by the reshuffle.
    """
    for pk in sorted(moved):
        engine_project, allocations = moved[pk]
        row = DeliveryProject.objects.select_for_update().get(pk=pk)
        promise_id = (
            CapacityReservation.objects.filter(project=row)
            .values_list("promise_id", flat=True)
            .first()
        )
        if promise_id is None:
            continue
        _release_capacity(project=row)
        _reserve_capacity(
            promise=Promise.objects.get(pk=promise_id),
            project=row,
            phases=engine_project.phases,
            allocations=allocations,
            snapshot=snapshot,
        )


def _evidence(data: dict[str, Any]) -> dict[str, Any]:
    """What a promise keeps of the answer it was made on (``QuoteAnswer.to_dict``)."""
    return {
        "ledger_version": data["ledger_version"],
        "promise_date": data["promise_date"],
        "earliest_date": data["earliest_date"],
        "bottleneck": data["bottleneck"],
        "stock": data["stock"],
        "history": data["evidence"],
        "seed": data["seed"],
        "samples": data["samples"],
    }


def _project_create(
    *,
    user: Any,
    deal: Deal,
    resolved: list[ResolvedLine],
    snapshot: Snapshot,
    promised: datetime.date,
) -> DeliveryProject:
    first = next(r for r in resolved if r.sop_version is not None)
    project = DeliveryProject(
        deal=deal,
        name=deal.name,
        customer_id=deal.customer_id,
        sop_version=first.sop_version,
        quantity=first.line.quantity,
        status=DeliveryProject.Status.COMMITTED,
        release_date=snapshot.today,
        promised_date=promised,
        sales_owner=user,
    )
    _clean_fields(project)
    sql.insert([project])
    return project


def _clean_fields(row: models.Model) -> None:
    """Validate a row's own values inside the commit's lock, without a query per field.

    The rows it points to were read (and locked) by the caller, and constraints that span
    rows are the database's: a violation rolls the commit back.
    """
    relations = [f.name for f in row._meta.concrete_fields if f.is_relation]
    row.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)


def _phases_create(
    *,
    project: DeliveryProject,
    evaluation: Evaluation,
    resolved: list[ResolvedLine],
    snapshot: Snapshot,
) -> None:
    """Copy each line's SOP phases, keyed as the engine project is (``l<k>-`` when several).

    The rows copy a validated SOP version, so the database's constraints are their check.
    """
    assert evaluation.project is not None
    offering_lines = [r for r in resolved if r.sop_version is not None]
    rows = []
    order = 0
    for k, r in enumerate(offering_lines):
        prefix = f"l{k}-" if len(offering_lines) > 1 else ""
        quantity = r.line.quantity
        assert r.sop_version is not None
        for phase in sop_phase_rows(r.sop_version, snapshot.memo):
            rows.append(
                ProjectPhase(
                    project=project,
                    sop_phase=phase,
                    key=f"{prefix}{phase.key}"[:50],
                    name=phase.name,
                    order=order,
                    kind=phase.kind,
                    role=phase.role,
                    effort_estimated_hours=phase.effort_likely
                    + phase.effort_per_unit_likely * quantity,
                    fixed_days=phase.fixed_days,
                    crew=[{"role": c.role.name, "count": c.count} for c in phase.crew.all()]
                    if phase.kind == SopPhase.Kind.FIXED
                    else [],
                    hours_per_day=phase.hours_per_day,
                )
            )
            order += 1
    sql.insert(rows)


def _reserve_capacity(
    *,
    promise: Promise,
    project: DeliveryProject,
    phases: Sequence[Any],
    allocations: Allocations,
    snapshot: Snapshot,
    regular_free: np.ndarray | None = None,
) -> list[BookedRow]:
    """Book a checked placement to the hour; the PersonDayLoad CHECK is the last word.

    ``phases`` are the engine project's phases (allocations index them). With
    ``regular_free``, hours a person-day gets beyond it are booked as approved overtime
    (the commit of an exception operations approved with overtime). Returns what was booked
    (hours rounded down to 0.001 h), which is what other processes replay.
    """
    people = [snapshot.people[p.id] for p in snapshot.instance.people]
    per_phase: dict[tuple[int, int, int], float] = defaultdict(float)
    for person, day, phase, hours in zip(
        allocations.person.tolist(),
        allocations.day.tolist(),
        allocations.phase.tolist(),
        allocations.hours.tolist(),
        strict=True,
    ):
        per_phase[(person, day, phase)] += hours
    per_day: dict[tuple[int, int], list[tuple[int, Decimal]]] = defaultdict(list)
    for (person, day, phase), hours in sorted(per_phase.items()):
        rounded = _hours(hours)
        if rounded > 0:
            per_day[(person, day)].append((phase, rounded))
    reservations: list[tuple[Any, ...]] = []
    loads = []
    booked_rows: list[BookedRow] = []
    capacity = snapshot.firm_plan.capacity
    for (person, day), booked in sorted(per_day.items(), key=lambda i: (people[i[0][0]], i[0][1])):
        total = sum((hours for _, hours in booked), Decimal(0))
        over = Decimal(0)
        if regular_free is not None:
            over = max(Decimal(0), total - _hours(float(regular_free[person, day])))
        loads.append(
            (people[person], snapshot.date_of(day), _hours(capacity[person, day]), total, over)
        )
        for phase, hours in booked:
            share = min(over, hours)
            over -= share
            booked_rows.append((person, day, phase, hours))
            reservations.append(
                (
                    promise.pk,
                    project.pk,
                    phases[phase].id,
                    people[person],
                    snapshot.date_of(day),
                    hours,
                    share,
                )
            )
    _rows_insert(CapacityReservation, RESERVATION_COLUMNS, reservations)
    person_day_load_add(loads)
    return booked_rows


RESERVATION_COLUMNS = (
    "promise_id",
    "project_id",
    "phase_key",
    "person_id",
    "day",
    "hours",
    "overtime_hours",
)


def _batches(rows: Sequence[T], columns: int) -> list[Sequence[T]]:
    """``rows`` in slices whose parameters fit one statement on this database."""
    size = max(1, (connection.features.max_query_params or 10_000) // columns)
    return [rows[k : k + size] for k in range(0, len(rows), size)]


def _rows_insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict: str = "",
) -> None:
    """Insert rows without building model instances (a commit does this inside the lock);
    the table's constraints check every row, and a statement fails whole.

    PostgreSQL gets one statement of column arrays (``UNNEST``): its text stays short, so
    the driver parses it once instead of scanning thousands of placeholders per commit.
    Other databases get VALUES lists that fit their parameter limit.
    """
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    statements: list[tuple[str, list[Any], int]] = []
    if connection.vendor == "postgresql":
        types = [model._meta.get_field(c).db_type(connection) for c in columns]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        statements.append(
            (
                f"INSERT INTO {table} ({names}) SELECT * FROM UNNEST({arrays}) {on_conflict}",  # noqa: S608
                [list(column) for column in zip(*rows, strict=True)],
                len(rows),
            )
        )
    else:
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for batch in _batches(rows, len(columns)):
            statements.append(
                (
                    f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(batch))} "  # noqa: S608
                    + on_conflict,
                    [value for row in batch for value in row],
                    len(batch),
                )
            )
    with connection.cursor() as cursor:
        for sql, params, count in statements:
            cursor.execute(sql, params)
            if cursor.rowcount not in (-1, count):
                raise IntegrityError(f"{table}: {cursor.rowcount} of {count} rows written")


def _hours(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(HOURS, rounding=ROUND_DOWN)


def person_day_load_add(
    rows: Sequence[tuple[int, datetime.date, Decimal, Decimal, Decimal]],
) -> None:
    """Add (person, day, capacity now, hours, overtime) to the load rows, in one statement
    (SQLite: as few as its parameter limit allows).

    Missing rows are created; capacity follows the current calendar (hours added or taken away
    since a row was made), and the CHECK then compares all reserved hours with what the person
    has today plus approved overtime, so an over-commitment fails the statement, and the
    caller's transaction with it.
    """
    table = connection.ops.quote_name(PersonDayLoad._meta.db_table)
    _rows_insert(
        PersonDayLoad,
        ("person_id", "day", "capacity_hours", "reserved_hours", "overtime_hours"),
        rows,
        on_conflict=(
            "ON CONFLICT (person_id, day) DO UPDATE SET "
            f"reserved_hours = {table}.reserved_hours + excluded.reserved_hours, "
            f"overtime_hours = {table}.overtime_hours + excluded.overtime_hours, "
            "capacity_hours = excluded.capacity_hours"
        ),
    )


def _reserve_stock(
    *, promise: Promise, deal: Deal, resolved: list[ResolvedLine], snapshot: Snapshot
) -> None:
    """Reserve units and bump ProductAvailability (its CHECK: reserved <= supply)."""
    wanted: dict[int, int] = defaultdict(int)
    for r in resolved:
        if r.product is not None:
            wanted[r.product.pk] += r.line.quantity
    horizon_end = snapshot.date_of(snapshot.instance.calendar.horizon_days)
    products = {r.product.pk: r.product for r in resolved if r.product is not None}
    supply_of, table = IncomingSupply, sql.table(ProductAvailability)
    for product_id in sorted(wanted):
        product = products[product_id]
        incoming = sql.fetch_one(
            f"SELECT COALESCE(SUM({sql.column(supply_of, 'quantity')}), 0) "  # noqa: S608
            f"FROM {sql.table(supply_of)} WHERE {sql.column(supply_of, 'product')} = %s "
            f"AND {sql.column(supply_of, 'date')} < %s",
            [product_id, horizon_end],
        )
        supply = product.stock_on_hand + int(incoming[0] if incoming else 0)
        reservation = StockReservation(
            product=product, deal=deal, promise=promise, quantity=wanted[product_id]
        )
        _clean_fields(reservation)
        sql.insert([reservation])
        # One statement creates or bumps the product's row; its CHECK (reserved <= supply)
        # refuses an over-promise and rolls the commit back.
        _rows_insert(
            ProductAvailability,
            ("product_id", "supply_quantity", "reserved_quantity"),
            [(product_id, supply, wanted[product_id])],
            on_conflict=(
                "ON CONFLICT (product_id) DO UPDATE SET "
                "supply_quantity = excluded.supply_quantity, "
                f"reserved_quantity = {table}.reserved_quantity + excluded.reserved_quantity"
            ),
        )


def _deal_lines_set(*, deal: Deal, resolved: list[ResolvedLine]) -> None:
    """Make the deal's lines exactly what was promised."""

    def key(row: tuple[int | None, int | None, int]) -> tuple[int, int, int]:
        return (row[0] or 0, row[1] or 0, row[2])

    current = sorted(
        sql.fetch_all(
            f"SELECT {sql.column(DealLine, 'offering')}, {sql.column(DealLine, 'product')}, "  # noqa: S608
            f"{sql.column(DealLine, 'quantity')} FROM {sql.table(DealLine)} "
            f"WHERE {sql.column(DealLine, 'deal')} = %s",
            [deal.pk],
        ),
        key=key,
    )
    target = sorted(
        ((r.line.offering_id, r.line.product_id, r.line.quantity) for r in resolved), key=key
    )
    if current == target:
        return
    deal.lines.all().delete()
    for offering_id, product_id, quantity in target:
        line = DealLine(
            deal=deal, offering_id=offering_id, product_id=product_id, quantity=quantity
        )
        line.full_clean()
        line.save()


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
    lock like a new commit; a new immutable promise supersedes the old one; its hours move."""
    _require_seller(user, deal)
    if not idempotency_key or len(idempotency_key) > 100:
        raise QuoteInputError("idempotency_key", "is required (at most 100 characters)")
    if not reason.strip():
        raise QuoteInputError("reason", "say why the date changes")
    replayed = _replay(idempotency_key, request_fingerprint)
    if replayed is not None:
        return replayed
    _check_date(promised_date, "promised_date", required=True)
    covered = _covers(exception, deal, promised_date)

    def reschedule() -> CommitResult:
        with transaction.atomic(durable=True):
            _ledger_lock()
            replayed = _replay(idempotency_key, request_fingerprint)
            if replayed is not None:
                return replayed
            locked = Deal.objects.select_for_update().get(pk=deal.pk)
            project = (
                DeliveryProject.objects.select_for_update()
                .filter(deal=locked, status=DeliveryProject.Status.COMMITTED)
                .first()
            )
            previous = locked.promises.order_by("-created_at", "-pk").first()
            if project is None or previous is None:
                raise QuoteInputError("deal", "has no committed promise to re-date")
            snapshot = portfolio_snapshot()
            engine_project = replace(
                delivery_project_to_engine(project, snapshot.instance.calendar),
                id=f"redate-{project.pk}",
                release_day=0,
                promised_day=snapshot.clamp_day(promised_date),
                state=ProjectState.COMMITTED,
            )
            evaluation = quote_compute(
                snapshot=snapshot,
                deal=locked,
                lines=[],
                wanted_date=promised_date,
                with_options=False,
                project=engine_project,
            )
            answer = evaluation.answer
            placement = evaluation.engine.deterministic if evaluation.engine else None
            if placement is None or placement.finish_day is None:
                return CommitResult("taken", None, None, "the work does not fit the horizon")
            if not answer.can_promise and not covered:
                return CommitResult(
                    "taken",
                    None,
                    answer.promise_date,
                    "that date is not feasible; the earliest date is "
                    + (f"{answer.promise_date:%Y-%m-%d}" if answer.promise_date else "beyond"),
                )
            short = _stock_short_on(deal=locked, when=promised_date, snapshot=snapshot)
            if short is not None:
                return CommitResult("taken", None, short[1], short[0])
            promise = Promise(  # type: ignore[misc]
                deal=locked,
                promised_date=promised_date,
                confidence=answer.confidence,
                p50_date=answer.p50_date,
                p80_date=answer.p80_date,
                p95_date=answer.p95_date,
                evidence=_evidence(answer.to_dict())
                | {"supersedes": previous.pk, "reason": reason},
                created_by=user,
                approval=exception if covered else None,
                idempotency_key=idempotency_key,
                request_fingerprint=request_fingerprint,
            )
            promise.full_clean()
            promise.save()
            _release_capacity(project=project)
            booked = _reserve_capacity(
                promise=promise,
                project=project,
                phases=engine_project.phases,
                allocations=placement.allocations,
                snapshot=snapshot,
            )
            # The units now count against supply from the new date on.
            StockReservation.objects.filter(deal=locked, promise__isnull=False).update(
                promise=promise
            )
            project.promised_date = promised_date
            project.full_clean()
            project.save(update_fields=["promised_date"])
            audit_event_record(
                actor=user,  # type: ignore[arg-type]
                action="promise.date_changed",
                deal=locked,
                payload={
                    "promise": promise.pk,
                    "previous_promise": previous.pk,
                    "from": previous.promised_date.isoformat(),
                    "to": promised_date.isoformat(),
                    "reason": reason,
                },
            )
            version = ledger_bump()
            _reservation_change_record(
                snapshot=snapshot,
                version=version,
                project=project,
                engine_project=replace(engine_project, id=project_engine_id(project.pk)),
                booked=booked,
                deal=locked,
                replaced="",
            )
            return CommitResult("committed", promise, answer.promise_date)

    return _with_retries(reschedule)


def promise_cancel(*, user: User, deal: Deal, reason: str) -> DeliveryProject:
    """Cancel a promised deal: its project stops, its hours and units are released (F() in
    (person, day) and product order), the promise row stays as history, one audit event."""
    if not (is_operations(user) or (is_sales(user) and deal.owner_id in (None, user.pk))):
        if not user.is_authenticated:
            raise PermissionDenied("Sign in first.")
        raise PermissionDenied("Only the deal's salesperson or operations can cancel a promise.")
    if not reason.strip():
        raise QuoteInputError("reason", "say why the promise is cancelled")

    def cancel() -> DeliveryProject:
        with transaction.atomic(durable=True):
            _ledger_lock()
            locked = Deal.objects.select_for_update().get(pk=deal.pk)
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
            if project is None:
                raise QuoteInputError("deal", "has no promised work to cancel")
            released = _release_capacity(project=project)
            units = _release_stock(deal=locked)
            project.status = DeliveryProject.Status.CANCELLED
            project.full_clean()
            project.save(update_fields=["status"])
            locked.stage = Deal.Stage.LOST
            locked.save(update_fields=["stage"])
            audit_event_record(
                actor=user,  # type: ignore[arg-type]
                action="promise.cancelled",
                deal=locked,
                payload={
                    "project": project.pk,
                    "reason": reason,
                    "hours_released": str(released),
                    "units_released": units,
                },
            )
            ledger_bump()
            return project

    return _with_retries(cancel)


def _release_capacity(*, project: DeliveryProject) -> Decimal:
    """Give back a project's reserved hours (and the overtime granted for them)."""
    per_day: dict[tuple[int, datetime.date], tuple[Decimal, Decimal]] = {}
    rows = CapacityReservation.objects.filter(project=project)
    for person_id, day, hours, overtime in rows.values_list(
        "person_id", "day", "hours", "overtime_hours"
    ):
        held, granted = per_day.get((person_id, day), (Decimal(0), Decimal(0)))
        per_day[(person_id, day)] = (held + hours, granted + overtime)
    for (person_id, day), (hours, overtime) in sorted(per_day.items()):
        PersonDayLoad.objects.filter(person_id=person_id, day=day).update(
            reserved_hours=F("reserved_hours") - hours,
            overtime_hours=F("overtime_hours") - overtime,
        )
    rows.delete()
    return sum((hours for hours, _ in per_day.values()), Decimal(0))


def _stock_short_on(
    *, deal: Deal, when: datetime.date, snapshot: Snapshot
) -> tuple[str, datetime.date | None] | None:
    """Why the deal's reserved units cannot all be there on ``when`` (and the earliest date
    they can), or None when they can: the check a re-dated promise makes for its stock."""
    wanted: dict[int, int] = defaultdict(int)
    for product_id, quantity in StockReservation.objects.filter(
        deal=deal, promise__isnull=False
    ).values_list("product_id", "quantity"):
        wanted[product_id] += quantity
    horizon = snapshot.instance.calendar.horizon_days
    for product in Product.objects.filter(pk__in=list(wanted)).order_by("pk"):
        atp = product_atp(product=product, today=snapshot.today, horizon=horizon, without_deal=deal)
        if atp.available_on((when - snapshot.today).days) < wanted[product.pk]:
            earliest = atp.earliest_day(wanted[product.pk])
            earliest_date = None if earliest is None else snapshot.date_of(earliest)
            return (
                f"not enough {product.sku} on {when:%Y-%m-%d}; the earliest date for its "
                f"{wanted[product.pk]} units is "
                + (f"{earliest_date:%Y-%m-%d}" if earliest_date else "beyond the horizon"),
                earliest_date,
            )
    return None


def _release_stock(*, deal: Deal) -> int:
    rows = StockReservation.objects.filter(deal=deal, promise__isnull=False)
    per_product: dict[int, int] = defaultdict(int)
    for product_id, quantity in rows.values_list("product_id", "quantity"):
        per_product[product_id] += quantity
    for product_id in sorted(per_product):
        ProductAvailability.objects.filter(product_id=product_id).update(
            reserved_quantity=F("reserved_quantity") - per_product[product_id]
        )
    rows.delete()
    return sum(per_product.values())


# --- exceptions ---------------------------------------------------------------------------------


def exception_request(
    *, user: User, deal: Deal, requested_date: datetime.date, scope_note: str = ""
) -> ExceptionRequest:
    """Sales asks operations to allow a date the engine would not promise."""
    _require_seller(user, deal)
    _check_date(requested_date, "requested_date", required=True)
    if deal.stage in (Deal.Stage.WON, Deal.Stage.LOST):
        raise QuoteInputError("deal", f"is already {deal.get_stage_display().lower()}")
    with transaction.atomic():
        request = ExceptionRequest(
            deal=deal,
            requested_date=requested_date,
            scope_note=scope_note,
            requested_by=user,  # type: ignore[misc]
        )
        request.full_clean()
        request.save()
        audit_event_record(
            actor=user,  # type: ignore[arg-type]
            action="exception.requested",
            deal=deal,
            payload={"request": request.pk, "requested_date": requested_date.isoformat()},
        )
        text = f"{user} asks for {deal.name} by {requested_date:%Y-%m-%d}."
        transaction.on_commit(lambda: _notify_operations(deal, text))
        return request


def _notify_operations(deal: Deal, text: str) -> None:
    from django.contrib.auth import get_user_model

    for member in get_user_model().objects.filter(groups__name=OPERATIONS, is_active=True):
        _notify(member, deal, text)


DECISIONS = {
    "approve": ExceptionRequest.Status.APPROVED,
    "propose": ExceptionRequest.Status.PROPOSED,
    "decline": ExceptionRequest.Status.DECLINED,
}


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
    """Operations approves (re-checked, impact recorded), proposes another date, or declines."""
    if not user.is_authenticated or not is_operations(user):
        raise PermissionDenied("Only operations decides exception requests.")
    if request.requested_by_id == user.pk:
        raise PermissionDenied("Nobody decides their own exception request.")
    if decision not in DECISIONS:
        raise QuoteInputError("decision", f"must be one of {', '.join(DECISIONS)}")
    if decision == "propose":
        _check_date(proposed_date, "proposed_date", required=True)
    if overtime_share is not None and not 0 < overtime_share <= 1:
        raise QuoteInputError("overtime_share", "must be above 0 and at most 1")
    impact = (
        _exception_impact(request, overtime_share, allow_reshuffle) if decision == "approve" else {}
    )

    def decide() -> ExceptionRequest:
        with transaction.atomic(durable=True):
            _ledger_lock()
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
            locked.impact = impact
            locked.full_clean()
            locked.save()
            audit_event_record(
                actor=user,  # type: ignore[arg-type]
                action=f"exception.{locked.status}",
                deal=locked.deal,
                payload={
                    "request": locked.pk,
                    "comment": comment,
                    "proposed_date": proposed_date.isoformat() if proposed_date else None,
                    "impact": impact,
                },
            )
            text = f"Operations {locked.get_status_display().lower()} {locked.deal.name}: {comment}"
            requester = locked.requested_by
            deal = locked.deal
            transaction.on_commit(lambda: _notify(requester, deal, text))
            return locked

    return _with_retries(decide)


def _exception_impact(
    request: ExceptionRequest, overtime_share: float | None, allow_reshuffle: bool
) -> dict[str, Any]:
    """Re-check the requested date with the engine: plain, with overtime, with a reshuffle."""
    deal = request.deal
    lines = [
        QuoteLine(quantity=line.quantity, offering_id=line.offering_id, product_id=line.product_id)
        for line in deal.lines.all()
    ]
    if not lines:
        return {"note": "the deal has no lines to check"}
    snapshot = portfolio_snapshot()
    evaluation = quote_compute(
        snapshot=snapshot,
        deal=deal,
        lines=_resolve_lines(lines),
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
