"""Quote latency while one seller places a hold every second (the "hold storm").

Usage::

    nice .venv/bin/python benchmarks/bench_hold_storm.py                      # M, 2 workers, 4 clients
    nice .venv/bin/python benchmarks/bench_hold_storm.py --size S --seconds 10
    nice .venv/bin/python benchmarks/bench_hold_storm.py --repo /path/to/other/checkout \\
        --out hold_storm_before                                               # that code instead

A hold changes what every process plans, so each gunicorn worker must bring its snapshot
of the portfolio up to date before its next quote: by replaying the journal (cheap) or by
rebuilding the whole plan (1-2 s at M). This measures what a hold a second costs everyone
else, through HTTP on PostgreSQL, with ``bench_http``'s machinery (throwaway cluster,
``promisekeeper seed``, gunicorn on 127.0.0.1, ``http.client`` threads logged in as
``sales``):

* limit probe: a one-worker server with the default ``HOLDS_PER_USER_PER_MINUTE`` takes
  ``--probe-holds`` holds at one a second (``POST /api/holds`` with a token from
  ``promisekeeper api_token sales``): how many it accepts and how many it refuses (429).
  It first waits until the holds the seed gave ``sales`` are a minute old (up to a minute),
  since they count against the limit too;
* baseline: the main server (``--workers``, ``HOLDS_PER_USER_PER_MINUTE`` raised to
  ``--storm-limit`` so the storm is not refused) answers ``--clients`` quote clients (htmx
  ``POST /sales/quote/``) for ``--seconds``, with no holds;
* storm: the same quote clients for ``--seconds`` while one more client places a hold a
  second, on a different open deal each time (cycling when there are fewer deals).

For each phase: quote p50/p95/max and quotes/s, the CPU of the gunicorn and PostgreSQL
process trees per quote, and the plan cache counters of every worker (snapshot builds =
plan rebuilds, snapshot replays = journal catch-ups), which the workers write to files
after each request through ``benchmarks/gunicorn_plan_stats.py`` (a gunicorn hook; the
product serves no debug endpoint). It also counts how many of the storm's holds the
default per-user limit would have refused.

``--repo`` serves the code of another checkout (its ``src`` first on ``PYTHONPATH`` for the
CLI, gunicorn and this process's database reads); nothing here depends on a model field
the code before the fix lacks. Result: ``results/<--out>.json`` (default ``hold_storm``),
with the commit of the code measured. Target: storm quote p95 ≤ 2 × baseline p95, or
≤ 150 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path[:0] = [str(REPO_DIR), str(BENCH_DIR)]

from bench_http import (  # noqa: E402
    HOST,
    VENV_BIN,
    Client,
    cpu_phase,
    database_create,
    gunicorn_start,
    per_item_ms,
    postmaster_pid,
    quote_choices,
    quote_load,
    run_command,
    sellers_open_deals,
    server_env,
    server_stop,
)
from common import git_commit, summary_ms, target, write_result  # noqa: E402

DEFAULT_HOLD_LIMIT = 6
"""``HOLDS_PER_USER_PER_MINUTE``'s default since the fix (the code before it has no limit)."""
LIMIT_WINDOW_S = 60.0
STATS_HOOK = BENCH_DIR / "gunicorn_plan_stats.py"
PLAN_COUNTERS = ("snapshot_builds", "snapshot_replays", "engine_runs")
UNBOUNDED = 10**9  # quote requests: the phase is bounded by time only


# --- the seller placing holds ----------------------------------------------------------------


@dataclass
class HoldAttempt:
    """One ``POST /api/holds``: when it was sent (seconds into the phase), for which deal,
    the answer's status and how long it took."""

    sent_s: float
    deal: int
    status: int
    latency_s: float


def place_holds(
    port: int, token: str, deals: list[int], *, seconds: float, interval: float
) -> list[HoldAttempt]:
    """One hold every ``interval`` seconds for ``seconds``, each on the next deal (cycling).
    A hold that takes longer than the interval delays the next one, as a real client would."""
    client = Client(port)
    headers = {"Authorization": f"Bearer {token}"}
    attempts: list[HoldAttempt] = []
    started = time.monotonic()
    for number in range(int(seconds / interval)):
        time.sleep(max(0.0, started + number * interval - time.monotonic()))
        deal = deals[number % len(deals)]
        sent = time.perf_counter()
        try:
            status, _, _ = client.request(
                "POST", "/api/holds", headers=headers, json_body={"deal_id": deal, "days": 7}
            )
        except (OSError, http.client.HTTPException):
            status = 0
        attempts.append(
            HoldAttempt(
                sent_s=round(time.monotonic() - started, 3),
                deal=deal,
                status=status,
                latency_s=time.perf_counter() - sent,
            )
        )
    client.close()
    return attempts


def hold_summary(attempts: list[HoldAttempt]) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    for attempt in attempts:
        statuses[attempt.status] = statuses.get(attempt.status, 0) + 1
    placed = [a for a in attempts if a.status == 201]
    return {
        "attempted": len(attempts),
        "placed": len(placed),
        "distinct_deals": len({a.deal for a in placed}),
        "statuses": statuses,
        "latency": summary_ms([a.latency_s for a in attempts]),
    }


def refused_at_limit(sent_s: list[float], limit: int, window_s: float = LIMIT_WINDOW_S) -> int:
    """How many of holds sent at these times a per-user limit of ``limit`` in any
    ``window_s`` would refuse (a refused hold does not count against the limit)."""
    accepted: list[float] = []
    refused = 0
    for sent in sent_s:
        if sum(1 for at in accepted if at > sent - window_s) >= limit:
            refused += 1
        else:
            accepted.append(sent)
    return refused


# --- the workers' plan cache counters --------------------------------------------------------


def plan_counters(stats_dir: Path) -> dict[int, dict[str, int]]:
    """Each worker's plan cache counters as it last wrote them, by pid."""
    time.sleep(0.5)  # the hook writes after the response: let the last requests' land
    counters = {}
    for path in stats_dir.glob("worker-*.json"):
        counters[int(path.stem.split("-")[1])] = json.loads(path.read_text())
    return counters


def counters_delta(
    before: dict[int, dict[str, int]], after: dict[int, dict[str, int]]
) -> dict[str, Any]:
    """What the workers did between two readings: totals, and per worker."""
    per_worker = {
        pid: {
            name: counts.get(name, 0) - before.get(pid, {}).get(name, 0) for name in PLAN_COUNTERS
        }
        for pid, counts in sorted(after.items())
    }
    totals = {name: sum(w[name] for w in per_worker.values()) for name in PLAN_COUNTERS}
    return {**totals, "per_worker": list(per_worker.values())}


# --- phases --------------------------------------------------------------------------------


@dataclass
class Server:
    """The main server and what the phases need to load it."""

    port: int
    clients: list[Client]
    offerings: list[int]
    customers: list[int]
    roots: dict[str, int]
    stats_dir: Path


def quote_phase(
    server: Server, args: argparse.Namespace, *, seed: int, alongside: Callable[[], Any] | None
) -> tuple[dict[str, Any], Any]:
    """``--clients`` quote clients for ``--seconds`` (and ``alongside()`` in a thread at
    the same time): quote latencies, CPU and plan counters, and what ``alongside`` returned."""
    before = plan_counters(server.stats_dir)
    side: list[Any] = []
    thread = None
    if alongside is not None:
        thread = threading.Thread(target=lambda: side.append(alongside()), daemon=True)

    def run() -> tuple[list[float], dict[int, int], float]:
        if thread is not None:
            thread.start()
        loaded = quote_load(
            server.port,
            server.clients,
            server.offerings,
            server.customers,
            total=UNBOUNDED,
            seconds=args.seconds,
            seed=seed,
        )
        if thread is not None:
            thread.join(timeout=args.seconds + 300)
        return loaded

    (latencies, statuses, wall), cpu = cpu_phase(server.roots, run)
    summary = summary_ms(latencies)
    phase = {
        **summary,
        "statuses": statuses,
        "wall_s": round(wall, 2),
        "per_s": round(len(latencies) / wall, 2) if wall > 0 else None,
        "over_1s": sum(1 for s in latencies if s > 1.0),
        "cpu_ms_per_quote": per_item_ms(cpu, len(latencies)),
        "cores_busy": round(sum(cpu.values()) / wall, 2) if wall > 0 else None,
        "plan": counters_delta(before, plan_counters(server.stats_dir)),
    }
    return phase, side[0] if side else None


def limit_probe(
    env: dict[str, str], repo: Path, data_dir: Path, token: str, deals: list[int], *, count: int
) -> dict[str, Any]:
    """``count`` holds at one a second against a one-worker server with the default limit,
    once the holds ``sales`` already has (the seed places some) are out of its window."""
    if count <= 0 or not deals:
        return {"attempted": 0}
    waited = wait_for_limit_window("sales")
    probe_env = {k: v for k, v in env.items() if k != "HOLDS_PER_USER_PER_MINUTE"}
    server, port = gunicorn_start(
        probe_env, workers=1, log_path=data_dir / "gunicorn-probe.log", cwd=repo
    )
    try:
        attempts = place_holds(port, token, deals, seconds=float(count), interval=1.0)
    finally:
        server_stop(server, timeout=60)
    return {**hold_summary(attempts), "waited_for_window_s": round(waited, 1)}


def wait_for_limit_window(username: str) -> float:
    """(Django set up.) Sleep until the user's newest hold is older than the limit's
    window, so every hold of the probe is judged on its own; the seconds slept."""
    from django.db.models import Max
    from django.utils import timezone

    from promisekeeper.sales.models import Hold

    newest = Hold.objects.filter(created_by__username=username).aggregate(Max("created_at"))
    if newest["created_at__max"] is None:
        return 0.0
    age = (timezone.now() - newest["created_at__max"]).total_seconds()
    wait = max(0.0, LIMIT_WINDOW_S + 1.0 - age)
    time.sleep(wait)
    return wait


def serve(
    env: dict[str, str], repo: Path, data_dir: Path, cluster: Any, args: argparse.Namespace
) -> tuple[Any, Server]:
    """Start the main server, log the quote clients in and warm every worker's plan."""
    stats_dir = data_dir / "plan-stats"
    stats_dir.mkdir()
    storm_env = {
        **env,
        "HOLDS_PER_USER_PER_MINUTE": str(args.storm_limit),
        "BENCH_PLAN_STATS_DIR": str(stats_dir),
    }
    process, port = gunicorn_start(
        storm_env,
        workers=args.workers,
        log_path=data_dir / "gunicorn.log",
        cwd=repo,
        extra_args=("--config", str(STATS_HOOK)),
    )
    clients = [Client(port) for _ in range(args.clients)]
    for client in clients:
        client.login("sales", "promise-demo")
    offerings, customers = quote_choices()
    roots = {"workers": process.pid, "postgres": postmaster_pid(cluster)}
    server = Server(port, clients, offerings, customers, roots, stats_dir)
    return process, server


def warm_up(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    """A few quotes per worker, so each has built its snapshot before the baseline."""
    latencies, statuses, _ = quote_load(
        server.port,
        server.clients,
        server.offerings,
        server.customers,
        total=4 * args.workers,
        seconds=600,
        seed=args.seed + 99,
    )
    return {"statuses": statuses, **summary_ms(latencies)}


# --- main ----------------------------------------------------------------------------------


def measure(args: argparse.Namespace, console: Any) -> dict[str, Any]:
    """Seed a fresh cluster, probe the hold limit, then the baseline and the storm."""
    from tests.postgres import cluster_start

    repo: Path = args.repo
    cluster = cluster_start()
    data_dir = Path(tempfile.mkdtemp(prefix="pk-bench-holds-"))
    process = None
    try:
        env = server_env(database_create(cluster), str(data_dir), repo=repo)
        cli = str(VENV_BIN / "promisekeeper")
        console.print(f"{repo} on PostgreSQL {HOST}:{cluster.port}: seeding size {args.size}")
        setup_started = time.perf_counter()
        run_command([cli, "migrate", "--noinput"], env, cwd=repo)
        run_command([cli, "seed", "--size", args.size, "--seed", str(args.seed)], env, cwd=repo)
        token = run_command([cli, "api_token", "sales", "--name", "hold storm"], env, cwd=repo)
        setup_s = time.perf_counter() - setup_started

        os.environ.update(env)
        import django

        django.setup()
        from promisekeeper.sales.models import Hold, ReservationChange

        deals = sellers_open_deals(UNBOUNDED)
        probe_deals, storm_deals = deals[: args.probe_holds], deals[args.probe_holds :]
        assert storm_deals, f"no open deal left to hold after the probe ({len(deals)} in all)"
        console.print(f"limit probe: {args.probe_holds} holds at the default limit")
        probe = limit_probe(env, repo, data_dir, token.strip(), probe_deals, count=args.probe_holds)

        process, server = serve(env, repo, data_dir, cluster, args)
        console.print(f"gunicorn {args.workers} workers on {HOST}:{server.port}; warming up")
        warm = warm_up(server, args)
        console.print(f"baseline: {args.clients} quote clients, {args.seconds:g} s")
        baseline, _ = quote_phase(server, args, seed=args.seed, alongside=None)
        console.print(f"storm: the same and a hold every {args.hold_interval:g} s")
        holds_before, journal_before = Hold.objects.count(), ReservationChange.objects.count()
        storm, attempts = quote_phase(
            server,
            args,
            seed=args.seed + 1,
            alongside=lambda: place_holds(
                server.port,
                token.strip(),
                storm_deals,
                seconds=args.seconds,
                interval=args.hold_interval,
            ),
        )
        for client in server.clients:
            client.close()
        server_stop(process)
        process = None
        storm["holds"] = {
            **hold_summary(attempts),
            "hold_rows_created": Hold.objects.count() - holds_before,
            "journal_rows_created": ReservationChange.objects.count() - journal_before,
        }
        placed_at = [a.sent_s for a in attempts if a.status == 201]
        storm["holds"]["refused_at_default_limit"] = refused_at_limit(placed_at, DEFAULT_HOLD_LIMIT)
    finally:
        if process is not None:
            server_stop(process, timeout=30)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up if seeding failed
            pass
        cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return result_document(args, setup_s, warm, baseline, storm, probe, len(storm_deals))


def result_document(
    args: argparse.Namespace,
    setup_s: float,
    warm: dict[str, Any],
    baseline: dict[str, Any],
    storm: dict[str, Any],
    probe: dict[str, Any],
    storm_deals: int,
) -> dict[str, Any]:
    base_p95, storm_p95 = baseline.get("p95_ms"), storm.get("p95_ms")
    allowed = max(2 * base_p95, 150.0) if base_p95 is not None else 150.0
    targets = [
        target(
            f"quote p95 during the storm (≤ 2 × baseline p95 {base_p95} ms, or ≤ 150 ms)",
            storm_p95,
            round(allowed, 1),
            "ms",
            area="http",
        )
    ]
    if probe.get("attempted"):
        targets.append(
            target(
                f"holds accepted of {probe['attempted']} in {probe['attempted']} s "
                "at the default limit",
                float(probe["placed"]),
                DEFAULT_HOLD_LIMIT,
                "",
                area="http",
            )
        )
    commit = git_commit(args.repo)
    return {
        "title": f"HTTP: quote latency during a hold storm, code {commit}",
        "params": {
            "size": args.size,
            "workers": args.workers,
            "clients": args.clients,
            "seconds_per_phase": args.seconds,
            "hold_interval_s": args.hold_interval,
            "storm_holds_per_user_per_minute": args.storm_limit,
            "open_deals_to_hold": storm_deals,
            "database": "PostgreSQL (throwaway cluster, fsync off)",
        },
        "code": {"repo": str(args.repo), "commit": commit},
        "benchmark_commit": git_commit(REPO_DIR),
        "setup_s": round(setup_s, 1),
        "warmup": warm,
        "baseline": baseline,
        "storm": storm,
        "limit_probe": {
            "setting": "HOLDS_PER_USER_PER_MINUTE unset: "
            f"{DEFAULT_HOLD_LIMIT} since the fix, no limit before it",
            **probe,
        },
        "targets": targets,
        "notes": [
            "plan.snapshot_builds counts plan rebuilds (the whole portfolio read and planned "
            "again), plan.snapshot_replays journal catch-ups, summed over the gunicorn "
            "workers (per_worker lists each).",
            f"The storm runs with HOLDS_PER_USER_PER_MINUTE={args.storm_limit}; "
            "storm.holds.refused_at_default_limit is how many of its holds a limit of "
            f"{DEFAULT_HOLD_LIMIT} a minute would have refused. limit_probe placed holds at "
            "one a second on a server with the default setting.",
        ],
    }


def print_summary(console: Any, payload: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=payload["title"])
    for column in ("phase", "quotes", "p50 ms", "p95 ms", "max ms", "rebuilds", "replays"):
        table.add_column(column)
    for name in ("baseline", "storm"):
        phase = payload[name]
        table.add_row(
            name,
            str(phase.get("n", 0)),
            *(str(phase.get(k, "—")) for k in ("p50_ms", "p95_ms", "max_ms")),
            str(phase["plan"]["snapshot_builds"]),
            str(phase["plan"]["snapshot_replays"]),
        )
    console.print(table)
    console.print(f"storm holds: {payload['storm']['holds']}")
    console.print(f"limit probe: {payload['limit_probe']}")
    for row in payload["targets"]:
        console.print(f"{row['metric']}: {row['measured']} (target {row['target']}): {row['met']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="M", choices=["S", "M", "L"])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--clients", type=int, default=4, help="quote clients")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--hold-interval", type=float, default=1.0, help="seconds between holds")
    parser.add_argument(
        "--storm-limit",
        type=int,
        default=1000,
        help="HOLDS_PER_USER_PER_MINUTE of the main server (high: the storm is not refused)",
    )
    parser.add_argument(
        "--probe-holds", type=int, default=10, help="holds sent to the default-limit server"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repo",
        type=Path,
        default=REPO_DIR,
        help="the checkout whose code to serve (default: this one)",
    )
    parser.add_argument("--out", default="hold_storm", help="results/<out>.json")
    args = parser.parse_args(argv)
    args.repo = args.repo.resolve()
    if not (args.repo / "src" / "promisekeeper").is_dir():
        parser.error(f"--repo {args.repo} has no src/promisekeeper")
    # This process reads the database through the measured code's models.
    sys.path.insert(0, str(args.repo / "src"))

    from rich.console import Console

    console = Console()
    payload = measure(args, console)
    path = write_result(args.out, payload, repo=args.repo)
    print_summary(console, payload)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
