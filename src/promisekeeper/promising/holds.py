"""Holds: keep capacity for a deal for a few days, release them when they expire, warn the day before.

Each of these writes journals what it did (``ReservationChange``) for the ledger versions
its transaction moved through, so other processes replay a hold onto the plan they have
instead of rebuilding the whole portfolio (``journal.snapshot_catch_up``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.promising.errors import QuoteInputError, TooManyHolds
from promisekeeper.promising.locks import ledger_lock, with_retries
from promisekeeper.promising.permissions import User, may_hold
from promisekeeper.sales.models import (
    AuditEvent,
    Deal,
    Hold,
    ReservationChange,
)
from promisekeeper.sales.selectors import holds_due
from promisekeeper.sales.services import audit_event_record, notification_send

HOLD_MAX_DAYS = 30


def hold_place(*, user: User, deal: Deal, days: int = 7) -> Hold:
    """Keep capacity for the deal's lines for ``days`` days (it plans as HELD until then)."""
    may_hold(user, deal).require()
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= HOLD_MAX_DAYS:
        raise QuoteInputError("days", f"must be between 1 and {HOLD_MAX_DAYS}")
    if deal.stage in (Deal.Stage.WON, Deal.Stage.LOST):
        raise QuoteInputError("deal", f"is already {deal.get_stage_display().lower()}")
    if not deal.lines.filter(offering__isnull=False).exists():
        raise QuoteInputError("deal", "add an offering to the deal before holding capacity")
    holds_expire(now=timezone.now())

    def place() -> Hold:
        with transaction.atomic(durable=True):
            locked_version = ledger_lock()
            locked = Deal.objects.select_for_update().get(pk=deal.pk)
            now = timezone.now()
            _require_hold_allowance(user, now)
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
                action=AuditEvent.Action.HOLD_PLACED,
                deal=locked,
                payload={"hold": hold.pk, "days": days, "expires_at": hold.expires_at.isoformat()},
            )
            _journal(
                ReservationChange.Kind.HOLD_PLACED,
                locked_version,
                deal=locked,
                payload={
                    "wanted_date": None if locked.wanted_date is None else str(locked.wanted_date),
                    "expires_at": hold.expires_at.isoformat(),
                },
            )
            return hold

    return with_retries(place)


def holds_expire(*, now: datetime.datetime) -> int:
    """Release every hold that has expired by ``now``; returns how many. Safe to call often."""
    if not holds_due(now=now).exists():
        return 0

    def expire() -> int:
        with transaction.atomic(durable=True):
            locked_version = ledger_lock()
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
                    action=AuditEvent.Action.HOLD_EXPIRED,
                    deal=deal,
                    payload={"hold": hold.pk, "expired_at": hold.expires_at.isoformat()},
                )
            deals = sorted({hold.deal_id for hold in expired})
            _journal(ReservationChange.Kind.HOLDS_ENDED, locked_version, payload={"deals": deals})
            return len(expired)

    return with_retries(expire)


def holds_warn_expiring(*, now: datetime.datetime) -> int:
    """Notify whoever placed a hold one day before it expires (once per hold)."""

    def warn() -> int:
        with transaction.atomic(durable=True):
            locked_version = ledger_lock()
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
                notification_send(
                    hold.created_by,
                    hold.deal,
                    f"The hold on {hold.deal.name} expires {hold.expires_at:%Y-%m-%d %H:%M} UTC; "
                    "commit the promise or place a new hold.",
                )
                Hold.objects.filter(pk=hold.pk).update(warned_at=now)
            if due:
                # Noting the warning bumps the ledger (holds are a planned table): journal it
                # as changing no plan, so no process rebuilds for it.
                _journal(ReservationChange.Kind.PLAN_UNCHANGED, locked_version)
            return len(due)

    return with_retries(warn)


def _require_hold_allowance(user: User, now: datetime.datetime) -> None:
    """Refuse a hold past ``HOLDS_PER_USER_PER_MINUTE`` in the last minute (under the
    capacity lock, so concurrent requests from any process count)."""
    limit = settings.HOLDS_PER_USER_PER_MINUTE
    since = now - datetime.timedelta(minutes=1)
    if Hold.objects.filter(created_by_id=user.pk, created_at__gt=since).count() >= limit:
        raise TooManyHolds(limit)


def _journal(
    kind: str,
    locked_version: int,
    *,
    deal: Deal | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Journal a hold change for the ledger versions this transaction's writes reached."""
    version = ledger_version_get()
    if version == locked_version:
        return
    ReservationChange.objects.create(
        kind=kind,
        first_version=locked_version + 1,
        version=version,
        deal=deal,
        payload=payload or {},
    )
