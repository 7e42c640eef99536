from __future__ import annotations

from typing import IO, Any, cast

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.table import Table

from promisekeeper.organisation.demo import DEMO_ACCOUNTS, demo_company_create, demo_company_exists


class Command(BaseCommand):
    help = "Migrate, create the demo company if the database is empty, and serve it locally."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Stop after seeding.")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout), force_terminal=False)
        call_command("migrate", interactive=False, verbosity=0)
        if demo_company_exists():
            console.print("The database already holds data; leaving it as it is.")
        else:
            demo_company_create(seed=options["seed"], size="S")
            console.print("Created the demo company Northwind Digital & Installations.")
        table = Table(title="Demo accounts")
        for column in ("Username", "Password", "Role"):
            table.add_column(column)
        for account in DEMO_ACCOUNTS:
            table.add_row(account.username, account.password, account.role)
        console.print(table)
        if options["no_serve"]:
            return
        console.print(f"Open http://{options['addrport']}/ (Ctrl+C stops the server).")
        call_command("runserver", options["addrport"], use_reloader=False)
