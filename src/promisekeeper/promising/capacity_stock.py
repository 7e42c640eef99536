"""Stock cut under promises: on hand set below what is promised, or incoming supply
lowered, moved later or deleted.

The units promised on a product are due on their promises' dates, earliest first (as
``stock.product_atp`` counts them). A new on-hand figure that leaves a promise's units
missing on its date needs an explicit confirm; once saved, each such promise is flagged to
its owner and operations, and recorded, in the same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from promisekeeper.catalog.models import IncomingSupply, Product, StockReservation
from promisekeeper.organisation.permissions import is_admin, is_operations
from promisekeeper.promising.locks import ledger_lock, products_lock, with_retries
from promisekeeper.promising.permissions import User
from promisekeeper.sales.models import AuditEvent, Deal
from promisekeeper.sales.services import audit_event_record, notification_send, operations_notify

T = TypeVar("T")
Supply = list[tuple[datetime.date, int]]
"""Incoming supply of one product: (date, quantity) rows."""


@dataclass(frozen=True)
class ShortPromise:
    """A promise whose units of ``sku`` are not all there on its date: ``short`` of them."""

    deal_pk: int
    deal_name: str
    sku: str
    promised: datetime.date
    quantity: int
    short: int


class StockCutNotConfirmed(Exception):
    """The new stock leaves promised units missing and was not confirmed (nothing written)."""

    def __init__(self, short: list[ShortPromise]) -> None:
        super().__init__("confirm the promises this stock leaves short")
        self.short = short


def stock_cut_preview(*, product: Product, stock_on_hand: int) -> list[ShortPromise]:
    """The promises that ``stock_on_hand`` (instead of the product's own) would leave short
    and that are not short already. Reads only."""
    return _newly_short(_short(product, product.stock_on_hand), _short(product, stock_on_hand))


def product_stock_set(
    *, user: User, product: Product, stock_on_hand: int, confirmed: bool = False
) -> list[ShortPromise]:
    """Set a product's stock on hand (operations); returns the promises it leaves short,
    which were flagged. A cut that leaves promises short needs ``confirmed``
    (``StockCutNotConfirmed`` otherwise, nothing written); so does one that, under the
    lock, leaves more short than the caller saw."""
    if not (is_operations(user) or is_admin(user) or getattr(user, "is_superuser", False)):
        raise PermissionDenied("Only operations can change stock.")
    seen = stock_cut_preview(product=product, stock_on_hand=stock_on_hand)
    if seen and not confirmed:
        raise StockCutNotConfirmed(seen)

    def attempt() -> list[ShortPromise]:
        # Not durable: the admin saves its form in a transaction of its own, which this joins.
        with transaction.atomic():
            ledger_lock()
            locked = products_lock([product.pk])[product.pk]
            short = stock_cut_preview(product=locked, stock_on_hand=stock_on_hand)
            if {(s.deal_pk, s.short) for s in short} - {(s.deal_pk, s.short) for s in seen}:
                raise StockCutNotConfirmed(short)
            locked.stock_on_hand = stock_on_hand
            locked.full_clean()
            locked.save(update_fields=["stock_on_hand"])
            for promise in short:
                _flag(user, promise)
            product.stock_on_hand = stock_on_hand
            return short

    return with_retries(attempt)


def supply_cut_preview(*, product: Product, incoming: Supply) -> list[ShortPromise]:
    """The promises that ``incoming`` (instead of the product's supply rows) would leave
    short and that are not short already. Reads only."""
    return _newly_short(_short(product, product.stock_on_hand), _short(product, None, incoming))


def supply_change_save(
    *,
    user: User,
    product: Product,
    incoming: Supply,
    write: Callable[[], T],
    confirmed: bool = False,
) -> tuple[T, list[ShortPromise]]:
    """Change a product's incoming supply (``write`` does it; ``incoming`` is the supply it
    leaves); as ``product_stock_set``: promises it leaves short need ``confirmed``, are
    flagged, and more short under the lock than seen refuses it all."""
    if not (is_operations(user) or is_admin(user) or getattr(user, "is_superuser", False)):
        raise PermissionDenied("Only operations can change stock.")
    seen = supply_cut_preview(product=product, incoming=incoming)
    if seen and not confirmed:
        raise StockCutNotConfirmed(seen)

    def attempt() -> tuple[T, list[ShortPromise]]:
        with transaction.atomic():
            ledger_lock()
            locked = products_lock([product.pk])[product.pk]
            before = _short(locked, locked.stock_on_hand)
            saved = write()
            short = _newly_short(before, _short(locked, locked.stock_on_hand))
            if {(s.deal_pk, s.short) for s in short} - {(s.deal_pk, s.short) for s in seen}:
                raise StockCutNotConfirmed(short)  # rolls the write back
            for promise in short:
                _flag(user, promise)
            return saved, short

    return with_retries(attempt)


def _newly_short(
    before: Sequence[ShortPromise], after: Sequence[ShortPromise]
) -> list[ShortPromise]:
    was = {(s.deal_pk, s.promised): s.short for s in before}
    return [s for s in after if s.short > was.get((s.deal_pk, s.promised), 0)]


def _short(
    product: Product, on_hand: int | None, supply: Supply | None = None
) -> list[ShortPromise]:
    """Promises of ``product`` whose units are missing on their date with ``on_hand`` in
    stock (None: the product's) and ``supply`` incoming (None: its supply rows): on hand +
    incoming by then against the units due by then, earliest first."""
    today = timezone.localdate()
    on_hand = product.stock_on_hand if on_hand is None else on_hand
    if supply is None:
        supply = list(
            IncomingSupply.objects.filter(product=product).values_list("date", "quantity")
        )
    incoming = sorted((max(when, today), quantity) for when, quantity in supply)
    due: dict[tuple[int, datetime.date], tuple[str, int]] = {}
    for deal_pk, name, promised, quantity in StockReservation.objects.filter(
        product=product, promise__isnull=False, deal__isnull=False
    ).values_list("deal_id", "deal__name", "promise__promised_date", "quantity"):
        key = (deal_pk, max(promised, today))
        due[key] = (name, due.get(key, (name, 0))[1] + quantity)
    short = []
    demand = 0
    for (deal_pk, when), (name, quantity) in sorted(due.items(), key=lambda i: (i[0][1], i[0][0])):
        demand += quantity
        available = on_hand + sum(q for day, q in incoming if day <= when)
        missing = min(quantity, demand - available)
        if missing > 0:
            short.append(ShortPromise(deal_pk, name, product.sku, when, quantity, missing))
    return short


def _flag(user: User, promise: ShortPromise) -> None:
    """Recorded, and told to the owner and operations (in the cut's own transaction)."""
    deal = Deal.objects.select_related("owner").get(pk=promise.deal_pk)
    audit_event_record(
        actor=user,  # type: ignore[arg-type]
        action=AuditEvent.Action.PROMISE_STOCK_SHORT,
        deal=deal,
        payload={
            "sku": promise.sku,
            "promised_date": promise.promised.isoformat(),
            "units": promise.quantity,
            "short_units": promise.short,
        },
    )
    text = (
        f"{deal.name}: {promise.short} of its {promise.quantity} × {promise.sku} are no longer "
        f"in stock for {promise.promised:%Y-%m-%d} after the stock was cut; the promise is at "
        "risk. Re-date it with the customer or find the units."
    )
    operations_notify(deal, text)
    if deal.owner is not None and not is_operations(deal.owner):
        notification_send(deal.owner, deal, text)
