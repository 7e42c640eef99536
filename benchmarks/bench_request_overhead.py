"""What the fixed SQL statements of ``promising/sql.py`` save against the ORM they replace.

The SQL policy (docs/architecture.md) keeps the ORM by default and asks a before/after
figure for every fixed statement. This measures, on a throwaway SQLite database seeded like
``promisekeeper seed --size M``:

* the read every quote and commit starts with (ledger version and whether a hold is due):
  the ORM ``Exists`` annotation against ``sql.ledger_version_and_holds_due``;
* a commit's reservation rows (``--rows``, default 30: a typical M-size commit): ORM
  ``bulk_create`` against ``sql.capacity_reservations_insert``, each inside a transaction
  that is rolled back, so every repetition inserts the same rows;
* the role-group read of a signed-in user: the related manager's ``IN`` query against the
  plain group names the permissions module reads now.

    nice .venv/bin/python benchmarks/bench_request_overhead.py
    nice .venv/bin/python benchmarks/bench_request_overhead.py --repeat 2000 --rows 100

Result: ``results/request_overhead.json`` (µs per call, median of ``--rounds`` rounds).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import write_result  # noqa: E402


def per_call_us(fn: Callable[[], Any], *, repeat: int, rounds: int) -> float:
    """Median over ``rounds`` of the mean CPU µs of ``repeat`` calls (after a warm-up)."""
    for _ in range(min(repeat, 20)):
        fn()
    means = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            fn()
        means.append((time.process_time() - started) / repeat * 1e6)
    return round(statistics.median(means), 1)


def _setup_django() -> None:
    os.environ["PROMISEKEEPER_DATA_DIR"] = tempfile.mkdtemp(prefix="pk-bench-overhead-")
    os.environ["PROMISEKEEPER_DEV"] = "1"
    os.environ["DATABASE_URL"] = ""
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promisekeeper.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed", size="M", verbosity=0)


def _reservation_rows(count: int) -> list[tuple[int, int, str, int, datetime.date, int, int]]:
    from promisekeeper.delivery.models import Project
    from promisekeeper.people.models import Person
    from promisekeeper.sales.models import Promise

    promise = Promise.objects.order_by("pk").first()
    project = Project.objects.order_by("pk").first()
    person = Person.objects.order_by("pk").first()
    assert promise and project and person, "the seeded company has promises and people"
    start = datetime.date(2099, 1, 1)  # far from every seeded reservation
    return [
        (promise.pk, project.pk, "bench", person.pk, start + datetime.timedelta(days=k), 60, 0)
        for k in range(count)
    ]


def measure(repeat: int, rounds: int, rows: int) -> list[dict[str, Any]]:
    from django.contrib.auth.models import Group, User
    from django.db import transaction
    from django.db.models import Exists
    from django.utils import timezone

    from promisekeeper.organisation.models import Ledger
    from promisekeeper.promising import sql
    from promisekeeper.sales.models import CapacityReservation, Hold

    now = timezone.now()

    def ledger_orm() -> object:
        due = Hold.objects.filter(active=True, expires_at__lte=now)
        return (
            Ledger.objects.annotate(due=Exists(due))
            .order_by("pk")
            .values_list("version", "due")
            .first()
        )

    reservation_rows = _reservation_rows(rows)

    def rolled_back(write: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            with transaction.atomic():
                write()
                transaction.set_rollback(True)

        return run

    def reservations_orm() -> object:
        return CapacityReservation.objects.bulk_create(
            CapacityReservation(
                promise_id=r[0],
                project_id=r[1],
                phase_key=r[2],
                person_id=r[3],
                day=r[4],
                minutes=r[5],
                overtime_minutes=r[6],
            )
            for r in reservation_rows
        )

    user = User.objects.get(username="sales")
    names = ("sales", "operations", "admin")
    cases = [
        (
            "ledger version + hold due",
            ledger_orm,
            lambda: sql.ledger_version_and_holds_due(now=now),
            repeat,
        ),
        (
            f"insert {rows} reservation rows",
            rolled_back(reservations_orm),
            rolled_back(lambda: sql.capacity_reservations_insert(reservation_rows)),
            max(20, repeat // 20),
        ),
        (
            "role groups of a user",
            lambda: frozenset(user.groups.filter(name__in=names).values_list("name", flat=True)),
            lambda: frozenset(Group.objects.filter(user=user.pk).values_list("name", flat=True)),
            repeat,
        ),
    ]
    results = []
    for name, before, after, times in cases:
        before_us = per_call_us(before, repeat=times, rounds=rounds)
        after_us = per_call_us(after, repeat=times, rounds=rounds)
        results.append(
            {
                "read or write": name,
                "before (ORM) µs": before_us,
                "after µs": after_us,
                "saved µs": round(before_us - after_us, 1),
            }
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=30, help="reservation rows per insert")
    args = parser.parse_args()
    _setup_django()
    results = measure(args.repeat, args.rounds, args.rows)
    path = write_result(
        "request_overhead",
        {
            "title": "Request overhead: fixed statements against the ORM they replace",
            "params": {"database": "SQLite, M demo", "repeat": args.repeat, "rows": args.rows},
            "cases": results,
            "notes": "CPU µs per call, median of rounds; the insert rolls back each time.",
        },
    )
    for row in results:
        print(row)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
