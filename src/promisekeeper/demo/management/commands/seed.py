from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from promisekeeper.demo.seed import SIZES, DemoDataExists, demo_company_create


class Command(BaseCommand):
    help = "Create the demo company at a size: S (25 people), M (~200), L (~2000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), default="S")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            spec = demo_company_create(seed=options["seed"], size=options["size"])
        except DemoDataExists as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Created demo company size {options['size']} (seed {options['seed']}): "
            f"{spec.people} people, {spec.active_projects} projects in delivery, "
            f"{spec.finished_projects} delivered, {spec.deals} deals "
            f"in {time.perf_counter() - started:.1f} s."
        )
