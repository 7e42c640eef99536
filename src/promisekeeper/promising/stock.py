"""Stock: available to promise by day, reserving and releasing units."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import F, Sum

from promisekeeper.catalog.models import (
    IncomingSupply,
    Product,
    StockReservation,
)
from promisekeeper.engine.atp import available_to_promise
from promisekeeper.promising.answer import StockLine
from promisekeeper.promising.lines import ResolvedLine
from promisekeeper.promising.reservations import clean_fields
from promisekeeper.promising.snapshot import Snapshot
from promisekeeper.promising.sql import product_availability_add
from promisekeeper.sales.models import (
    Deal,
    ProductAvailability,
    Promise,
)


def stock_reserve(
    *, promise: Promise, deal: Deal, resolved: list[ResolvedLine], snapshot: Snapshot
) -> None:
    """Reserve units and add them to ProductAvailability (its CHECK: reserved <= supply)."""
    wanted: dict[int, int] = defaultdict(int)
    for r in resolved:
        if r.product is not None:
            wanted[r.product.pk] += r.line.quantity
    horizon_end = snapshot.date_of(snapshot.instance.calendar.horizon_days)
    products = {r.product.pk: r.product for r in resolved if r.product is not None}
    for product_id in sorted(wanted):
        product = products[product_id]
        incoming = IncomingSupply.objects.filter(
            product_id=product_id, date__lt=horizon_end
        ).aggregate(total=Sum("quantity"))["total"]
        reservation = StockReservation(
            product=product, deal=deal, promise=promise, quantity=wanted[product_id]
        )
        clean_fields(reservation)
        reservation.save()
        product_availability_add(
            product_id=product_id,
            supply=product.stock_on_hand + int(incoming or 0),
            reserved=wanted[product_id],
        )


def deal_promised_units(deal: Deal) -> dict[int, int]:
    """The units promised on ``deal``, per product id."""
    wanted: dict[int, int] = defaultdict(int)
    for product_id, quantity in StockReservation.objects.filter(
        deal=deal, promise__isnull=False
    ).values_list("product_id", "quantity"):
        wanted[product_id] += quantity
    return dict(wanted)


def deal_stock_lines(
    *, deal: Deal, when: datetime.date, snapshot: Snapshot
) -> tuple[StockLine, ...]:
    """The deal's promised units as stock lines on ``when``, counted without the deal's own
    reservations (what a re-date of its promise asks of the stock)."""
    wanted = deal_promised_units(deal)
    horizon = snapshot.instance.calendar.horizon_days
    lines = []
    for product in Product.objects.filter(pk__in=list(wanted)).order_by("pk"):
        atp = product_atp(product=product, today=snapshot.today, horizon=horizon, without_deal=deal)
        earliest = atp.earliest_day(wanted[product.pk])
        lines.append(
            StockLine(
                product_id=product.pk,
                sku=product.sku,
                name=product.name,
                quantity=wanted[product.pk],
                available_on_wanted_date=atp.available_on((when - snapshot.today).days),
                earliest_date=None if earliest is None else snapshot.date_of(earliest),
            )
        )
    return tuple(lines)


def stock_short_on(
    *, deal: Deal, when: datetime.date, snapshot: Snapshot
) -> tuple[str, datetime.date | None] | None:
    """Why the deal's reserved units cannot all be there on ``when`` (and the earliest date
    they can), or None when they can: the check a re-dated promise makes for its stock."""
    for line in deal_stock_lines(deal=deal, when=when, snapshot=snapshot):
        if (line.available_on_wanted_date or 0) < line.quantity:
            return (
                f"not enough {line.sku} on {when:%Y-%m-%d}; the earliest date for its "
                f"{line.quantity} units is "
                + (
                    f"{line.earliest_date:%Y-%m-%d}" if line.earliest_date else "beyond the horizon"
                ),
                line.earliest_date,
            )
    return None


def stock_release(*, deal: Deal) -> int:
    """Give back the units promised on ``deal``; returns how many."""
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


def stock_line(
    snapshot: Snapshot, resolved: ResolvedLine, wanted_date: datetime.date | None
) -> StockLine:
    product = resolved.product
    assert product is not None
    atp = product_atp(
        product=product, today=snapshot.today, horizon=snapshot.instance.calendar.horizon_days
    )
    quantity = resolved.line.quantity
    day = atp.earliest_day(quantity)
    available = None
    if wanted_date is not None:
        available = atp.available_on((wanted_date - snapshot.today).days)
    return StockLine(
        product_id=product.pk,
        sku=product.sku,
        name=product.name,
        quantity=quantity,
        available_on_wanted_date=available,
        earliest_date=None if day is None else snapshot.date_of(day),
    )


def product_atp(
    *, product: Product, today: datetime.date, horizon: int, without_deal: Deal | None = None
) -> Any:
    """Cumulative ATP of a product: on hand + incoming − promised reservations, by day.

    ``without_deal`` leaves that deal's own reservations out (re-dating its promise asks
    whether its units can be there on the new date).
    """
    incoming = [
        ((when - today).days, quantity)
        for when, quantity in IncomingSupply.objects.filter(product=product).values_list(
            "date", "quantity"
        )
    ]
    held = StockReservation.objects.filter(product=product)
    if without_deal is not None:
        held = held.exclude(deal=without_deal)
    # A reservation is due on its promise's date, else on its deal's wanted date, else today.
    reserved = [
        (((promised or wanted or today) - today).days, quantity)
        for quantity, promised, wanted in held.values_list(
            "quantity", "promise__promised_date", "deal__wanted_date"
        )
    ]
    return available_to_promise(product.stock_on_hand, incoming, reserved, horizon)
