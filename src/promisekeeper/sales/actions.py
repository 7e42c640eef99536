"""Writes the sales pages need beside sales.services: saving a quote onto a deal, reading notes.

Kept apart from services.py only because that module is being written in parallel; the same
rules apply (keyword-only, validated with full_clean, one transaction, audited).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from promisekeeper.organisation.permissions import is_admin, is_sales
from promisekeeper.organisation.services import ledger_bump
from promisekeeper.sales.models import AuditEvent, Customer, Deal, DealLine, Notification
from promisekeeper.sales.selectors import QuoteLine
from promisekeeper.sales.services import QuoteInputError, User, audit_event_record, deal_create


def _line_rows(lines: Sequence[QuoteLine]) -> list[tuple[int | None, int | None, int]]:
    return sorted(
        ((line.offering_id, line.product_id, line.quantity) for line in lines),
        key=lambda row: (row[0] or 0, row[1] or 0, row[2]),
    )


@transaction.atomic
def deal_quote_save(
    *,
    user: User,
    customer: Customer,
    deal: Deal | None,
    lines: Sequence[QuoteLine],
    wanted_date: datetime.date | None,
    draft_key: str,
) -> Deal:
    """Put the quoted lines on the deal (creating it for a customer-only quote, once per key).

    The customer row is locked first so two submissions of the same form (a double click)
    find the deal the first one created instead of creating a second.
    """
    if not user.is_authenticated or not is_sales(user):
        raise PermissionDenied("Only the sales team can do this.")
    if not lines:
        raise QuoteInputError("lines", "add at least one offering or product")
    Customer.objects.select_for_update().get(pk=customer.pk)
    if deal is None:
        drafted = (
            AuditEvent.objects.filter(action="deal.drafted", payload__draft_key=draft_key)
            .select_related("deal")
            .first()
        )
        if drafted is not None and drafted.deal is not None:
            deal = drafted.deal
        else:
            first = lines[0]
            deal = deal_create(
                customer=customer,
                name=f"{customer.name} quote {timezone.localdate():%Y-%m-%d}",
                owner=user,  # type: ignore[arg-type]
                wanted_date=wanted_date,
                stage=Deal.Stage.PROPOSAL,
            )
            audit_event_record(
                actor=user,  # type: ignore[arg-type]
                action="deal.drafted",
                deal=deal,
                payload={
                    "draft_key": draft_key,
                    "first_line": [first.offering_id, first.product_id],
                },
            )
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.owner_id not in (None, user.pk) and not is_admin(user):
        raise PermissionDenied("This deal belongs to another salesperson.")
    current = _line_rows(
        [
            QuoteLine(quantity=q, offering_id=o, product_id=p)
            for o, p, q in locked.lines.values_list("offering_id", "product_id", "quantity")
        ]
    )
    target = _line_rows(lines)
    closed = locked.stage in (Deal.Stage.WON, Deal.Stage.LOST)
    if closed:
        if current != target:
            raise QuoteInputError("deal", f"is already {locked.get_stage_display().lower()}")
        # Unchanged: a retried commit goes on to the service, which replays it by its key.
        return locked
    if current != target:
        locked.lines.all().delete()
        for offering_id, product_id, quantity in target:
            row = DealLine(
                deal=locked, offering_id=offering_id, product_id=product_id, quantity=quantity
            )
            row.full_clean()
            row.save()
        audit_event_record(
            actor=user,  # type: ignore[arg-type]
            action="deal.lines_set",
            deal=locked,
            payload={"lines": [list(row) for row in target]},
        )
        if locked.holds.filter(active=True).exists():
            # A held deal is part of the firm plan: its new lines change capacity.
            ledger_bump()
    if wanted_date is not None and locked.wanted_date != wanted_date:
        locked.wanted_date = wanted_date
        locked.full_clean()
        locked.save(update_fields=["wanted_date"])
    return locked


def notification_mark_read(*, user: User, pk: int | None = None) -> int:
    """Mark the user's unread notifications read (only the one with ``pk`` if given)."""
    if not user.is_authenticated:
        return 0
    notes = Notification.objects.filter(user=user, read=False)  # type: ignore[misc]
    if pk is not None:
        notes = notes.filter(pk=pk)
    return notes.update(read=True)
