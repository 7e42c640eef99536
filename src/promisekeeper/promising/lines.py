"""What a quote asks about: lines of offerings and products, validated and resolved."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from promisekeeper.catalog.models import (
    Offering,
    Product,
    SopVersion,
)
from promisekeeper.catalog.selectors import sop_version_latest
from promisekeeper.organisation.models import OrganisationSettings
from promisekeeper.organisation.selectors import organisation_settings_get
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.to_engine import Memo, memoised
from promisekeeper.sales.models import Deal, DealLine


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


def resolve_lines(lines: Sequence[Any], memo: Memo | None = None) -> list[ResolvedLine]:
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


def check_date(
    value: datetime.date | None,
    field: str,
    *,
    required: bool = False,
    horizon_days: int | None = None,
) -> None:
    """Refuse a missing (when ``required``), past or beyond-the-horizon date, naming
    ``field``. ``horizon_days`` saves the settings read when the caller has it already."""
    if value is None:
        if required:
            raise QuoteInputError(field, "is required")
        return
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise QuoteInputError(field, "must be a date")
    today = timezone.localdate()
    if value < today:
        raise QuoteInputError(field, "is in the past")
    last = horizon_last_day(today, horizon_days)
    if value > last:
        raise QuoteInputError(
            field, f"is beyond the planning horizon (the last date it plans is {last:%d %b %Y})"
        )


def planning_horizon_days() -> int:
    """How many days ahead the organisation plans (the field's default until configured)."""
    settings = organisation_settings_get()
    if settings:
        return settings.planning_horizon_days
    default: int = OrganisationSettings._meta.get_field("planning_horizon_days").default
    return default


def horizon_last_day(today: datetime.date, horizon_days: int | None = None) -> datetime.date:
    """The last date the plan reaches: no promise can be kept, or checked, past it."""
    days = planning_horizon_days() if horizon_days is None else horizon_days
    return today + datetime.timedelta(days=days - 1)


@dataclass(frozen=True)
class QuoteLine:
    """One thing asked about: an offering (delivered by its SOP) or a stocked product."""

    quantity: int
    offering_id: int | None = None
    product_id: int | None = None


@dataclass(frozen=True)
class ResolvedLine:
    line: QuoteLine
    offering: Offering | None
    sop_version: SopVersion | None
    product: Product | None


LineRow = tuple[int | None, int | None, int]
"""A line as (offering id, product id, quantity)."""


def canonical_lines(lines: Sequence[QuoteLine]) -> list[LineRow]:
    """Lines in one order, so two requests for the same things compare (and hash) equal."""
    return sorted(
        ((line.offering_id, line.product_id, line.quantity) for line in lines),
        key=lambda row: (row[0] or 0, row[1] or 0, row[2]),
    )


def deal_lines_get(deal: Deal) -> list[QuoteLine]:
    """The deal's lines as quote lines."""
    return [
        QuoteLine(quantity=q, offering_id=o, product_id=p)
        for o, p, q in deal.lines.values_list("offering_id", "product_id", "quantity")
    ]


def deal_lines_set(*, deal: Deal, lines: Sequence[QuoteLine]) -> bool:
    """Make the deal's lines exactly ``lines``; returns whether they changed."""
    target = canonical_lines(lines)
    if canonical_lines(deal_lines_get(deal)) == target:
        return False
    deal.lines.all().delete()
    for offering_id, product_id, quantity in target:
        row = DealLine(deal=deal, offering_id=offering_id, product_id=product_id, quantity=quantity)
        row.full_clean()
        row.save()
    return True
