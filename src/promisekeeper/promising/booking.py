"""Check, then book: the one write every promise goes through.

A check (``commit.commit_check``, ``changes.redate_check``) runs under the capacity locks and
answers either ``Taken`` (nothing may be written, and the best date now) or a ``Booking``
(exactly what to write). ``book`` writes a booking in the caller's locked transaction: the
promise row, the delivery project and its phases (new work) or the project's new date (a
re-date), the reserved hours and units, the deal's state, the audit event and the journal
entry other processes replay.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.utils import timezone

from promisekeeper.catalog.models import SopPhase, StockReservation
from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.delivery.models import ProjectPhase
from promisekeeper.engine.model import Project, ProjectState
from promisekeeper.engine.plan import Allocations
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.promising.answer import QuoteAnswer
from promisekeeper.promising.cache import snapshot_cache_put
from promisekeeper.promising.journal import reservation_change_record
from promisekeeper.promising.lines import ResolvedLine, deal_lines_set
from promisekeeper.promising.locks import LockedDeal
from promisekeeper.promising.plan_edits import BookedRow
from promisekeeper.promising.reservations import (
    ApprovedOvertime,
    capacity_release,
    capacity_reserve,
    clean_fields,
    logged_minutes_consumed_reset,
    reservations_move,
)
from promisekeeper.promising.snapshot import Snapshot, snapshot_with_commits
from promisekeeper.promising.stock import stock_reserve
from promisekeeper.promising.to_engine import project_engine_id, sop_phase_rows
from promisekeeper.sales.models import (
    AuditEvent,
    Deal,
    ExceptionRequest,
    Hold,
    Promise,
    ReservationChange,
)
from promisekeeper.sales.services import audit_event_record, notification_send


@dataclass(frozen=True)
class Taken:
    """The check's "no": nothing is written. ``earliest`` is the best date now, if any."""

    reason: str
    earliest: datetime.date | None = None


@dataclass(frozen=True)
class Work:
    """The hours to reserve: the engine project (its phases index ``allocations``), the
    overtime operations approved for them (hours beyond the regular free hours are booked
    as overtime, within the approved share), and promised projects a reshuffle moved."""

    project: Project
    allocations: Allocations
    overtime: ApprovedOvertime | None = None
    moved: dict[int, tuple[Project, Allocations]] = field(default_factory=dict)


@dataclass(frozen=True)
class Redate:
    """A re-date: the promised project whose hours move (None: products only), the promise
    it supersedes, why."""

    project: DeliveryProject | None
    previous: Promise
    reason: str


@dataclass(frozen=True)
class Booking:
    """The check's "yes": everything ``book`` writes, decided under the locks.

    New work carries its ``lines`` (the delivery project copies their SOP phases, the deal's
    lines become exactly them, products reserve units); a re-date carries ``redate``.
    ``replaces`` is the engine id of the deal's own planned work this booking supersedes.
    ``beyond_capacity``: operations agreed to a date the planned work does not make (the
    promise is stored without a confidence). ``confidence``: the level an approved date has
    with what was applied, when it is not the answer's own.
    """

    snapshot: Snapshot
    deal: LockedDeal
    promised_date: datetime.date
    answer: QuoteAnswer
    work: Work | None
    approval: ExceptionRequest | None = None
    applied: dict[str, Any] | None = None
    beyond_capacity: bool = False
    confidence: str | None = None
    lines: tuple[ResolvedLine, ...] = ()
    replaces: str = ""
    redate: Redate | None = None


@dataclass(frozen=True)
class CommitResult:
    """committed: the promise is made; replayed: the same request was already committed;
    taken: nothing written, the capacity is gone and ``earliest_date`` is the best date now."""

    status: str
    promise: Promise | None
    earliest_date: datetime.date | None
    reason: str = ""

    @classmethod
    def of_taken(cls, taken: Taken) -> CommitResult:
        """The result of a check that said no."""
        return cls("taken", None, taken.earliest, taken.reason)


def book(booking: Booking, *, user: AuthUser, key: str, fingerprint: str) -> Promise:
    """Write ``booking`` (inside the transaction that holds its locks); returns the promise."""
    # The answer as plain data once: the promise's evidence and the audit event both keep it.
    record = booking.answer.to_dict(omit=("load", "options"))
    promise = _promise_create(booking, record, user=user, key=key, fingerprint=fingerprint)
    if booking.approval is not None:
        _approval_mark_used(booking.approval)
    if booking.redate is None:
        project, booked = _book_new_work(booking, promise, user)
    else:
        project, booked = _book_redate(booking, booking.redate, promise)
    audit_event_record(
        actor=user,
        action=AuditEvent.Action.PROMISE_COMMITTED
        if booking.redate is None
        else AuditEvent.Action.PROMISE_DATE_CHANGED,
        deal=booking.deal.deal,
        payload=_audit_payload(booking, promise, record),
    )
    # The triggers bumped the ledger once per write (per row on SQLite) from the locked
    # version; the journal row, itself no bump, covers every version this booking reached.
    _journal(
        booking,
        first_version=booking.snapshot.ledger_version + 1,
        version=ledger_version_get(),
        project=project,
        booked=booked,
    )
    deal = booking.deal.deal
    if deal.owner_id and deal.owner_id != user.pk:
        owner = deal.owner
        text = f"{user} promised {deal.name} for {booking.promised_date:%Y-%m-%d}."
        transaction.on_commit(lambda: notification_send(owner, deal, text))
    return promise


def promise_evidence(data: dict[str, Any]) -> dict[str, Any]:
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


def _promise_create(
    booking: Booking, record: dict[str, Any], *, user: AuthUser, key: str, fingerprint: str
) -> Promise:
    answer = booking.answer
    evidence = promise_evidence(record)
    if booking.applied:
        evidence["approval_applied"] = booking.applied
    if booking.redate is not None:
        evidence |= {"supersedes": booking.redate.previous.pk, "reason": booking.redate.reason}
    promise = Promise(
        deal=booking.deal.deal,
        promised_date=booking.promised_date,
        confidence=None if booking.beyond_capacity else booking.confidence or answer.confidence,
        beyond_capacity=booking.beyond_capacity,
        p50_date=answer.p50_date,
        p80_date=answer.p80_date,
        p95_date=answer.p95_date,
        evidence=evidence,
        created_by=user,
        approval=booking.approval,
        idempotency_key=key,
        request_fingerprint=fingerprint,
    )
    clean_fields(promise)
    promise.save()
    return promise


def _approval_mark_used(approval: ExceptionRequest) -> None:
    """An approval covers one promise: this one (its row is locked by the check)."""
    approval.used_at = timezone.now()
    approval.full_clean()
    approval.save(update_fields=["used_at"])


def _book_new_work(
    booking: Booking, promise: Promise, user: AuthUser
) -> tuple[DeliveryProject | None, list[BookedRow] | None]:
    """A new delivery project with its phases and hours; units; the deal becomes won."""
    locked = booking.deal
    deal = locked.deal
    project = None
    booked = None
    if booking.work is not None:
        if locked.project_pk is not None:
            # The deal's held project is replaced by the promised one.
            DeliveryProject.objects.filter(pk=locked.project_pk).delete()
        project = _project_create(booking, user)
        _phases_create(project, booking.lines, booking.snapshot)
        # Moved promises leave the hours the new project takes before it books them.
        reservations_move(booking.work.moved, booking.snapshot)
        booked = capacity_reserve(
            promise=promise,
            project=project,
            phases=booking.work.project.phases,
            allocations=booking.work.allocations,
            snapshot=booking.snapshot,
            overtime=booking.work.overtime,
        )
    stock_reserve(
        promise=promise, deal=deal, resolved=list(booking.lines), snapshot=booking.snapshot
    )
    deal_lines_set(deal=deal, lines=[r.line for r in booking.lines])
    deal.stage = Deal.Stage.WON
    deal.wanted_date = deal.wanted_date or booking.promised_date
    if deal.owner_id is None:
        # Whoever promises an unowned deal owns it: only they (or operations) may change it.
        deal.owner = user
    clean_fields(deal)
    deal.save(update_fields=["stage", "wanted_date", "owner"])
    if locked.holds_active:
        Hold.objects.filter(deal=deal, active=True).update(active=False)
    return project, booked


def _book_redate(
    booking: Booking, redate: Redate, promise: Promise
) -> tuple[DeliveryProject | None, list[BookedRow] | None]:
    """The project's hours move to the new placement; its units follow the new promise (and
    so are due on its date)."""
    StockReservation.objects.filter(deal=booking.deal.deal, promise__isnull=False).update(
        promise=promise
    )
    project = redate.project
    if project is None or booking.work is None:  # products only
        return None, None
    capacity_release(project=project)
    # An approved reshuffle moves other promises out of the way first, as for new work.
    reservations_move(booking.work.moved, booking.snapshot)
    booked = capacity_reserve(
        promise=promise,
        project=project,
        phases=booking.work.project.phases,
        allocations=booking.work.allocations,
        snapshot=booking.snapshot,
        overtime=booking.work.overtime,
    )
    logged_minutes_consumed_reset(project=project)
    project.promised_date = booking.promised_date
    project.full_clean()
    project.save(update_fields=["promised_date"])
    return project, booked


def _audit_payload(booking: Booking, promise: Promise, record: dict[str, Any]) -> dict[str, Any]:
    if booking.redate is not None:
        previous = booking.redate.previous
        return {
            "promise": promise.pk,
            "previous_promise": previous.pk,
            "from": previous.promised_date.isoformat(),
            "to": booking.promised_date.isoformat(),
            "reason": booking.redate.reason,
            "exception": booking.approval.pk if booking.approval else None,
            "approval_applied": booking.applied,
            "beyond_capacity": booking.beyond_capacity,
        }
    return {
        "promise": promise.pk,
        "promised_date": booking.promised_date.isoformat(),
        "exception": booking.approval.pk if booking.approval else None,
        "approval_applied": booking.applied,
        "beyond_capacity": booking.beyond_capacity,
        "quote": record,
    }


def _journal(
    booking: Booking,
    *,
    first_version: int,
    version: int,
    project: DeliveryProject | None,
    booked: list[BookedRow] | None,
) -> None:
    """Journal what other processes replay; a reshuffle that moved other promises is not
    replayable (they rebuild), and a products-only promise changes no plan."""
    deal = booking.deal.deal
    if booking.work is not None and booking.work.moved:
        return
    if project is None or booked is None or booking.work is None:
        ReservationChange.objects.create(first_version=first_version, version=version, deal=deal)
        return
    committed = reservation_change_record(
        snapshot=booking.snapshot,
        first_version=first_version,
        version=version,
        project=project,
        engine_project=replace(
            booking.work.project,
            id=project_engine_id(project.pk),
            promised_day=booking.snapshot.clamp_day(booking.promised_date),
            state=ProjectState.COMMITTED,
        ),
        booked=booked,
        deal=deal,
        replaced=booking.replaces,
    )
    snapshot = booking.snapshot

    def cache_following() -> None:
        # After the commit, so outside the lock: this process keeps the replay every other
        # process makes (a failure here only costs a later replay).
        snapshot_cache_put(
            snapshot_with_commits(snapshot, ledger_version=version, commits=[committed])
        )

    transaction.on_commit(cache_following, robust=True)


def _project_create(booking: Booking, user: AuthUser) -> DeliveryProject:
    deal = booking.deal.deal
    first = next(r for r in booking.lines if r.sop_version is not None)
    project = DeliveryProject(
        deal=deal,
        name=deal.name,
        customer_id=deal.customer_id,
        sop_version=first.sop_version,
        quantity=first.line.quantity,
        status=DeliveryProject.Status.COMMITTED,
        release_date=booking.snapshot.today,
        promised_date=booking.promised_date,
        sales_owner=user,
    )
    clean_fields(project)
    project.save()
    return project


def _phases_create(
    project: DeliveryProject, lines: tuple[ResolvedLine, ...], snapshot: Snapshot
) -> None:
    """Copy each line's SOP phases, keyed as the engine project is (``l<k>-`` when several).

    The rows copy a validated SOP version, so the database's constraints are their check.
    """
    offering_lines = [r for r in lines if r.sop_version is not None]
    rows: list[ProjectPhase] = []
    for k, r in enumerate(offering_lines):
        prefix = f"l{k}-" if len(offering_lines) > 1 else ""
        assert r.sop_version is not None
        for phase in sop_phase_rows(r.sop_version, snapshot.memo):
            rows.append(_phase_row(project, phase, prefix, r.line.quantity, order=len(rows)))
    ProjectPhase.objects.bulk_create(rows)


def _phase_row(
    project: DeliveryProject, phase: SopPhase, prefix: str, quantity: int, *, order: int
) -> ProjectPhase:
    fixed = phase.kind == SopPhase.Kind.FIXED
    return ProjectPhase(
        project=project,
        sop_phase=phase,
        key=f"{prefix}{phase.key}"[:50],
        name=phase.name,
        order=order,
        kind=phase.kind,
        role=phase.role,
        effort_estimated_hours=phase.effort_for(quantity).likely,
        fixed_days=phase.fixed_days,
        crew=[{"role": c.role.name, "count": c.count} for c in phase.crew.all()] if fixed else [],
        hours_per_day=phase.hours_per_day,
    )
