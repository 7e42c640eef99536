"""`promisekeeper quote --offering "Website build" --qty 2 --by 2027-03-01 [--json]`.

The same quote_check the web page and the API call, printed as a table (or JSON).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from promisekeeper.catalog.models import Offering, Product
from promisekeeper.promising.answer import QuoteAnswer
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.quote import quote_check


class Command(BaseCommand):
    help = "Can we promise? Quote offerings/products for a wanted date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--offering", action="append", default=[], help="offering name")
        parser.add_argument("--product", action="append", default=[], help="product SKU")
        parser.add_argument(
            "--qty", action="append", type=int, default=[], help="quantity per line, in order"
        )
        parser.add_argument("--by", help="wanted date, YYYY-MM-DD")
        parser.add_argument(
            "--as", dest="username", help="quote as this user (default: a superuser)"
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        lines = self._lines(options)
        wanted = None
        if options["by"]:
            try:
                wanted = datetime.date.fromisoformat(options["by"])
            except ValueError:
                raise CommandError(f"--by: {options['by']!r} is not a date (YYYY-MM-DD)") from None
        try:
            answer = quote_check(
                user=self._user(options["username"]),
                customer=None,
                deal=None,
                lines=lines,
                wanted_date=wanted,
            )
        except QuoteInputError as error:
            raise CommandError(f"{error.field}: {error.message}") from None
        if options["json"]:
            self.stdout.write(json.dumps(answer.to_dict(), indent=2))
        else:
            console = Console(file=self.stdout, width=110)  # type: ignore[arg-type]
            console.print(_table(answer))

    def _lines(self, options: dict[str, Any]) -> list[QuoteLine]:
        names = [("offering", n) for n in options["offering"]] + [
            ("product", s) for s in options["product"]
        ]
        if not names:
            raise CommandError("--offering or --product: name at least one")
        quantities = options["qty"] or [1] * len(names)
        if len(quantities) != len(names):
            raise CommandError("--qty: give one quantity per --offering/--product, in order")
        lines = []
        for (kind, name), quantity in zip(names, quantities, strict=True):
            if kind == "offering":
                offering = Offering.objects.filter(name=name).first()
                if offering is None:
                    raise CommandError(f"--offering: no offering named {name!r}")
                lines.append(QuoteLine(quantity=quantity, offering_id=offering.pk))
            else:
                product = Product.objects.filter(sku=name).first()
                if product is None:
                    raise CommandError(f"--product: no product with SKU {name!r}")
                lines.append(QuoteLine(quantity=quantity, product_id=product.pk))
        return lines

    def _user(self, username: str | None) -> Any:
        users = get_user_model().objects.filter(is_active=True)
        user = (
            users.filter(username=username).first()
            if username
            else users.filter(is_superuser=True).order_by("pk").first()
        )
        if user is None:
            raise CommandError(
                f"--as: no active user {username!r}"
                if username
                else "--as: no superuser; name a user"
            )
        return user


def _d(value: datetime.date | None) -> str:
    return value.isoformat() if value else "beyond horizon"


def _table(answer: QuoteAnswer) -> Table:
    verdict = {True: "[green]yes[/]", False: "[red]no[/]", None: "-"}[answer.can_promise]
    table = Table(title=f"Can we promise? (ledger v{answer.ledger_version}, {answer.confidence})")
    table.add_column("")
    table.add_column("")
    table.add_row("wanted date", _d(answer.wanted_date) if answer.wanted_date else "-")
    table.add_row("can promise", verdict)
    table.add_row(f"promise date ({answer.confidence})", _d(answer.promise_date))
    table.add_row("earliest finish", _d(answer.earliest_date))
    table.add_row(
        "P50 / P80 / P95",
        " / ".join(_d(d) for d in (answer.p50_date, answer.p80_date, answer.p95_date)),
    )
    if answer.bottleneck:
        b = answer.bottleneck
        table.add_row("bottleneck", f"{b.role} ({b.name}), {b.delay_days} days lost waiting")
    for option in answer.options:
        mark = "[green]✓[/]" if option.feasible else "[red]✗[/]"
        table.add_row(f"option: {option.kind}", f"{mark} {option.detail}")
    for stock in answer.stock:
        table.add_row(
            f"stock {stock.sku}", f"{stock.quantity} needed, earliest {_d(stock.earliest_date)}"
        )
    for evidence in answer.evidence:
        on_time = "-" if evidence.on_time_share is None else f"{evidence.on_time_share:.0%}"
        table.add_row(
            f"history {evidence.offering}",
            f"{evidence.delivered} delivered, {on_time} on time, median {evidence.median_days} d, "
            f"P80 {evidence.p80_days} d",
        )
    for note in answer.notes:
        table.add_row("note", note)
    return table
