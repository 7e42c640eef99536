from __future__ import annotations

import os
import shlex
import sys
from typing import IO, Any, cast

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from honcho.manager import Manager
from rich.console import Console
from rich.table import Table

from promisekeeper.demo.seed import DEMO_ACCOUNTS, demo_company_create, demo_company_exists


class Command(BaseCommand):
    help = (
        "Migrate, create the demo company if the database is empty, and serve it locally with "
        "a background worker and the scheduler of periodic jobs."
    )

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
        console.print(
            f"Open http://{options['addrport']}/ (the web server, a background worker and the "
            "scheduler run until Ctrl+C)."
        )
        returncode = _serve(options["addrport"])
        if returncode not in _CLEAN_EXITS:
            raise CommandError(
                f"A demo process exited with code {returncode}, so the others were stopped too."
            )


# A process that finished by itself, or honcho's codes for SIGINT (Ctrl+C) and SIGTERM.
_CLEAN_EXITS = {0, 130, 143}


def _serve(addrport: str) -> int:
    """Run the web server, a db_worker and the scheduler until Ctrl+C or one of them exits,
    then stop the others; returns honcho's exit code.

    honcho starts each in its own session, so Ctrl+C reaches only this process, which then
    stops every child once. runserver is a child too: when it fails to bind it leaves with
    os._exit, which would skip any clean-up written around it in this process.
    """
    promisekeeper = [sys.executable, "-m", "promisekeeper"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # honcho reads lines from pipes
    manager = Manager()
    for name, command in (
        ("web", ["runserver", addrport, "--noreload"]),
        ("worker", ["db_worker", "--no-reload"]),
        ("scheduler", ["scheduler"]),
    ):
        # honcho runs a shell line; exec makes the command the process it signals and waits for.
        manager.add_process(name, "exec " + shlex.join([*promisekeeper, *command]), env=env)
    # The children open their own connections; none should share this process's.
    connections.close_all()
    manager.loop()
    return int(manager.returncode)
