"""Saving a quote onto a deal from the quote page.

A customer-only quote drafts a deal (once per form, by ``draft_key``) to carry the quote to
the hold, commit or exception request. The draft is pending until that action succeeds: only
then is it audited (``deal_draft_keep``); a refused action deletes it (``deal_draft_discard``),
so a quote whose commit came back "taken" leaves no deal behind. Audit events are
append-only, which is why a pending draft has none yet.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.lines import (
    QuoteLine,
    canonical_lines,
    deal_lines_get,
    deal_lines_set,
)
from promisekeeper.promising.permissions import User, may_save_quote
from promisekeeper.sales.models import AuditEvent, Customer, Deal, ExceptionRequest, Hold, Promise
from promisekeeper.sales.services import audit_event_record


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
    """Put the quoted lines on the deal (drafting one for a customer-only quote, once per key).

    The customer row is locked first so two submissions of the same form (a double click)
    find the deal the first one drafted instead of drafting a second.
    """
    may_save_quote(user, deal).require()
    if not lines:
        raise QuoteInputError("lines", "add at least one offering or product")
    Customer.objects.select_for_update().get(pk=customer.pk)
    if deal is None:
        deal = _draft_for(user=user, customer=customer, wanted_date=wanted_date, key=draft_key)
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    may_save_quote(user, locked).require()
    if locked.stage in (Deal.Stage.WON, Deal.Stage.LOST):
        if canonical_lines(deal_lines_get(locked)) != canonical_lines(lines):
            raise QuoteInputError("deal", f"is already {locked.get_stage_display().lower()}")
        # Unchanged: a retried commit goes on to the service, which replays it by its key.
        return locked
    if deal_lines_set(deal=locked, lines=lines) and not _pending(locked):
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
    """The deal this quote form drafted before (same ``key``), else a new pending draft."""
    drafted = Deal.objects.filter(draft_key=key).first() if key else None
    if drafted is not None:
        return drafted
    draft = Deal(
        customer=customer,
        name=f"{customer.name} quote {timezone.localdate():%Y-%m-%d}",
        owner=user,  # type: ignore[misc]
        wanted_date=wanted_date,
        stage=Deal.Stage.PROPOSAL,
        draft_key=key or None,
    )
    draft.full_clean()
    draft.save()
    return draft


def _pending(deal: Deal) -> bool:
    """A draft no action has succeeded on yet: it has no history."""
    return deal.draft_key is not None and not deal.audit_events.exists()


@transaction.atomic
def deal_draft_keep(*, user: User, deal: Deal) -> None:
    """The action on a drafted deal succeeded: record its creation and lines (once)."""
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if (
        not locked.draft_key
        or locked.audit_events.filter(action=AuditEvent.Action.DEAL_CREATED).exists()
    ):
        return
    audit_event_record(
        actor=user,  # type: ignore[arg-type]
        action=AuditEvent.Action.DEAL_CREATED,
        deal=locked,
        payload={"name": locked.name},
    )
    audit_event_record(
        actor=user,  # type: ignore[arg-type]
        action=AuditEvent.Action.DEAL_LINES_SET,
        deal=locked,
        payload={"lines": [list(row) for row in canonical_lines(deal_lines_get(locked))]},
    )


@transaction.atomic
def deal_draft_discard(*, user: User, deal: Deal) -> bool:
    """The action on a pending draft was refused: delete the draft and its lines.

    Under the customer lock, as drafting: a double-submitted form that already discarded
    the draft, or one whose action succeeded on it meanwhile, leaves it as it is.
    """
    may_save_quote(user, deal).require()
    Customer.objects.select_for_update().get(pk=deal.customer_id)
    draft = Deal.objects.select_for_update().filter(pk=deal.pk).first()
    if draft is None or not _pending(draft) or draft.stage != Deal.Stage.PROPOSAL:
        return False
    if (
        Promise.objects.filter(deal=draft).exists()
        or Hold.objects.filter(deal=draft).exists()
        or ExceptionRequest.objects.filter(deal=draft).exists()
    ):
        return False
    draft.delete()
    return True
