"""Saving a quote onto a deal from the quote page (a customer-only quote drafts a deal once)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from promisekeeper.organisation.permissions import is_admin, is_sales
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.lines import (
    QuoteLine,
    canonical_lines,
    deal_lines_get,
    deal_lines_set,
)
from promisekeeper.promising.permissions import User
from promisekeeper.sales.models import AuditEvent, Customer, Deal
from promisekeeper.sales.services import audit_event_record, deal_create


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
        deal = _draft_for(user=user, customer=customer, wanted_date=wanted_date, key=draft_key)
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.owner_id not in (None, user.pk) and not is_admin(user):
        raise PermissionDenied("This deal belongs to another salesperson.")
    if locked.stage in (Deal.Stage.WON, Deal.Stage.LOST):
        if canonical_lines(deal_lines_get(locked)) != canonical_lines(lines):
            raise QuoteInputError("deal", f"is already {locked.get_stage_display().lower()}")
        # Unchanged: a retried commit goes on to the service, which replays it by its key.
        return locked
    if deal_lines_set(deal=locked, lines=lines):
        audit_event_record(
            actor=user,  # type: ignore[arg-type]
            action=AuditEvent.Action.DEAL_LINES_SET,
            deal=locked,
            payload={"lines": [list(row) for row in canonical_lines(lines)]},
        )
    if wanted_date is not None and locked.wanted_date != wanted_date:
        locked.wanted_date = wanted_date
        locked.full_clean()
        locked.save(update_fields=["wanted_date"])
    return locked


def _draft_for(
    *, user: User, customer: Customer, wanted_date: datetime.date | None, key: str
) -> Deal:
    """The deal this quote form drafted before (same ``key``), else a new draft."""
    drafted = Deal.objects.filter(draft_key=key).first() if key else None
    if drafted is not None:
        return drafted
    return deal_create(
        customer=customer,
        name=f"{customer.name} quote {timezone.localdate():%Y-%m-%d}",
        owner=user,  # type: ignore[arg-type]
        wanted_date=wanted_date,
        stage=Deal.Stage.PROPOSAL,
        draft_key=key or None,
    )
