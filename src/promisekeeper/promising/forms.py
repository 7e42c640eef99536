"""Forms for quoting, holding, committing and deciding exceptions.

They only parse and validate input; every write goes through sales.services.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator

from promisekeeper.catalog.models import Offering, Product
from promisekeeper.organisation.input import MAX_ID
from promisekeeper.sales.models import Customer, Deal
from promisekeeper.sales.selectors import OPEN_STAGES

MAX_LINES = 20


class DateInput(forms.DateInput):
    """A native date picker; its value must be ISO whatever the site's locale."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


@dataclass(frozen=True)
class LineInput:
    """One validated line: an offering or a product, and how many."""

    offering: Offering | None
    product: Product | None
    quantity: int

    @property
    def key(self) -> str:
        if self.offering is not None:
            return f"offering:{self.offering.pk}"
        assert self.product is not None
        return f"product:{self.product.pk}"


class _OpenDealChoices(BaseChoiceIterator):
    """Open deals for the drop-down, queried only when the select is actually rendered
    (the htmx answer partial never renders it). As a BaseChoiceIterator, Django keeps it
    lazy instead of listing every open deal on each request."""

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        yield ("", "— or pick an open deal —")
        deals = Deal.objects.filter(stage__in=OPEN_STAGES).select_related("customer")
        for deal in deals.order_by("name"):
            yield (deal.pk, f"{deal.name} — {deal.customer}")


def item_choices() -> list[tuple[str, Any]]:
    offerings = [(f"offering:{o.pk}", o.name) for o in Offering.objects.filter(active=True)]
    products = [(f"product:{p.pk}", f"{p.sku} {p.name}") for p in Product.objects.all()]
    return [("", "— choose —"), ("Offerings", offerings), ("Products", products)]


def _item_ref(item: str) -> tuple[str, int] | None:
    """``"offering:3"`` -> ``("offering", 3)``; None for anything that names no item."""
    kind, _, pk = item.partition(":")
    if kind in ("offering", "product") and pk.isascii() and pk.isdigit() and int(pk) <= MAX_ID:
        return kind, int(pk)
    return None


@dataclass
class LineRow:
    """A line as typed, with its error, for re-rendering the rows."""

    item: str
    quantity: str
    error: str = ""


class QuoteForm(forms.Form):
    """Who the quote is for and when they want it; the lines are parsed alongside."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)
    # Any deal validates (a retried commit names a deal that is won by then, and the service
    # replays it); the drop-down offers only open ones.
    deal = forms.ModelChoiceField(queryset=Deal.objects.select_related("customer"), required=False)
    wanted_date = forms.DateField(required=False, widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[LineRow] = []
        self.lines: list[LineInput] = []
        customer_field = self.fields["customer"]
        assert isinstance(customer_field, forms.ModelChoiceField)
        customer_field.empty_label = "— choose a customer —"
        self.fields["deal"].widget.choices = _OpenDealChoices()

    @staticmethod
    def data_for_deal(deal: Deal) -> QueryDict:
        """The form data that re-asks the quote for a deal's current lines."""
        data = QueryDict(mutable=True)
        data["deal"] = str(deal.pk)
        data["customer"] = str(deal.customer_id)
        if deal.wanted_date and deal.wanted_date >= timezone.localdate():
            data["wanted_date"] = deal.wanted_date.isoformat()
        for line in deal.lines.order_by("pk"):
            kind, pk = (
                ("offering", line.offering_id) if line.offering_id else ("product", line.product_id)
            )
            data.appendlist("line_item", f"{kind}:{pk}")
            data.appendlist("line_quantity", str(line.quantity))
        return data

    def set_rows(self, data: QueryDict) -> None:
        items = data.getlist("line_item")
        quantities = data.getlist("line_quantity")
        quantities += [""] * (len(items) - len(quantities))
        self.rows = [LineRow(item=i, quantity=q) for i, q in zip(items, quantities, strict=False)]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        deal: Deal | None = cleaned.get("deal")
        customer: Customer | None = cleaned.get("customer")
        if deal is not None:
            if customer is not None and customer.pk != deal.customer_id:
                self.add_error(
                    "customer", f"Customer: the deal “{deal.name}” belongs to {deal.customer}."
                )
            cleaned["customer"] = deal.customer
        elif customer is None and not self.has_error("customer") and not self.has_error("deal"):
            self.add_error("customer", "Customer: choose a customer or an open deal.")
        self.lines = self._clean_lines()
        return cleaned

    def _clean_lines(self) -> list[LineInput]:
        lines: list[LineInput] = []
        if len(self.rows) > MAX_LINES:
            self.add_error(None, f"Lines: at most {MAX_LINES} lines per quote.")
            return []
        offerings, products = self._chosen_items()
        for number, row in enumerate(self.rows, start=1):
            if not row.item and not row.quantity.strip():
                continue
            ref = _item_ref(row.item)
            chosen: Offering | Product | None = None
            if ref is not None:
                kind, pk = ref
                chosen = (offerings if kind == "offering" else products).get(pk)
            if chosen is None:
                row.error = f"Line {number} item: choose an offering or a product."
                self.add_error(None, row.error)
                continue
            try:
                quantity = int(row.quantity)
            except ValueError:
                quantity = 0
            if quantity < 1 or quantity > 10_000:
                row.error = f"Line {number} quantity: enter a whole number from 1 to 10000."
                self.add_error(None, row.error)
                continue
            lines.append(
                LineInput(
                    offering=chosen if isinstance(chosen, Offering) else None,
                    product=chosen if isinstance(chosen, Product) else None,
                    quantity=quantity,
                )
            )
        if not lines and not any(row.error for row in self.rows):
            self.add_error(None, "Lines: add at least one offering or product.")
        return lines

    def _chosen_items(self) -> tuple[dict[int, Offering], dict[int, Product]]:
        """The offerings on sale and the products the rows name, read in one query each."""
        wanted: dict[str, set[int]] = {"offering": set(), "product": set()}
        for ref in map(_item_ref, (row.item for row in self.rows)):
            if ref is not None:
                wanted[ref[0]].add(ref[1])
        offerings: dict[int, Offering] = {}
        products: dict[int, Product] = {}
        if wanted["offering"]:
            offerings = Offering.objects.filter(active=True).in_bulk(wanted["offering"])
        if wanted["product"]:
            products = Product.objects.in_bulk(wanted["product"])
        return offerings, products


class HoldForm(forms.Form):
    hold_days = forms.IntegerField(label="Hold for (days)", min_value=1, max_value=30, initial=7)


class CommitForm(forms.Form):
    promised_date = forms.DateField(label="Promise date", widget=DateInput)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class ExceptionRequestForm(forms.Form):
    requested_date = forms.DateField(label="Requested date", widget=DateInput)
    scope_note = forms.CharField(
        label="Why / scope",
        # hx-preserve: an answer refreshed while typing keeps the note being typed.
        widget=forms.Textarea(attrs={"rows": 2, "hx-preserve": "true"}),
        max_length=2000,
    )


class ExceptionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("approve", "Approve"),
            (
                "approve_beyond_capacity",
                "Approve beyond capacity (promise it even if the plan cannot make it; "
                "the customer is told, with no confidence level)",
            ),
            ("propose", "Propose another date"),
            ("decline", "Decline"),
        ]
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    proposed_date = forms.DateField(required=False, widget=DateInput)
    overtime_percent = forms.IntegerField(
        label="Overtime %", required=False, min_value=0, max_value=50
    )
    allow_reshuffle = forms.BooleanField(label="Allow reshuffle", required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == "propose" and not cleaned.get("proposed_date"):
            self.add_error("proposed_date", "Proposed date: give the date you can offer.")
        return cleaned


class DealCommitForm(forms.Form):
    """Commit on the deal page, e.g. at a date operations approved."""

    promised_date = forms.DateField(widget=forms.HiddenInput)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    exception = forms.IntegerField(widget=forms.HiddenInput, required=False)
