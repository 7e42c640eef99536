"""Quote latency and commit throughput through HTTP, as a salesperson's browser would see them.

Usage::

    nice .venv/bin/python benchmarks/bench_http.py                 # M demo, 16 clients
    nice .venv/bin/python benchmarks/bench_http.py --workers 4     # more processes than cores
    nice .venv/bin/python benchmarks/bench_http.py --size S --quotes 200 --commits 100

It starts a throwaway PostgreSQL cluster (``tests.postgres.cluster_start``: initdb in a temp
dir, 127.0.0.1 only), migrates it, seeds the demo company (``promisekeeper seed``), serves the
app with gunicorn on 127.0.0.1 and drives it with 16 client threads over ``http.client``:

* quotes: htmx ``POST /sales/quote/`` with a random offering, quantity and wanted date, bounded
  by ``--quotes`` requests and ``--seconds``; p50/p95 latency;
* commits: ``POST /sales/deals/<id>/commit/`` for open deals at a far date, every fifth one
  sent twice with the same idempotency key; commits per second, and afterwards the database
  backstop (reserved hours per person-day, reserved stock) must show zero over-commitment and
  exactly one promise per key;
* replays: every committed request sent twice more with its key, which must give back the
  same promise and create none: the cost of a commit request that places and writes nothing.

During both commit phases it reads from ``/proc`` the CPU that the gunicorn processes,
PostgreSQL and the client threads use, per promise and per replayed request.

Result: ``results/http_quote.json`` (targets: quote p95 ≤ 150 ms, ≥ 100 commits/s).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path[:0] = [str(REPO_DIR), str(BENCH_DIR), str(REPO_DIR / "src")]

from common import RESULTS_DIR, summary_ms, target, write_result  # noqa: E402

HOST = "127.0.0.1"  # loopback only: the server binds here and the clients connect here
VENV_BIN = Path(sys.executable).parent
CLIENT_TIMEOUT_S = 300.0
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- a tiny HTTP client with a cookie jar ----------------------------------------------------


@dataclass
class Client:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=CLIENT_TIMEOUT_S)
        return self.conn

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, Any] | list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        *,
        json_body: Any = None,
    ) -> tuple[int, str, dict[str, str]]:
        """Send a form (``data``) or a JSON body (``json_body``) with the jar's cookies."""
        sent = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        body: str | None = None
        if json_body is not None:
            body = json.dumps(json_body)
            sent["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if body is not None and "csrftoken" in self.cookies:
            sent["X-CSRFToken"] = self.cookies["csrftoken"]
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                conn = self._connection()
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text, {k.lower(): v for k, v in response.getheaders()}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def login(self, username: str, password: str) -> None:
        status, page, _ = self.request("GET", "/login/")
        token = CSRF_RE.search(page)
        assert status == 200 and token, f"login page: {status}"
        status, _, headers = self.request(
            "POST",
            "/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        )
        assert status == 302 and "sessionid" in self.cookies, f"login as {username}: {status}"


# --- the server ----------------------------------------------------------------------------


def server_env(database_url: str, data_dir: str, *, repo: Path = REPO_DIR) -> dict[str, str]:
    """The environment of the CLI and of gunicorn: production settings on this database,
    running the code of ``repo``'s ``src`` (first on ``PYTHONPATH``, ahead of the venv's
    editable install)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PK_"))}
    python_path = [str(repo / "src"), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(python_path),
            "DJANGO_SETTINGS_MODULE": "promisekeeper.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "benchmark-only-" + uuid.uuid4().hex,
            "ALLOWED_HOSTS": HOST,
            "DEBUG": "0",
            "PROMISEKEEPER_DATA_DIR": data_dir,
            "LOG_LEVEL": "WARNING",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
        }
    )
    return env


def run_command(args: list[str], env: dict[str, str], *, cwd: Path = REPO_DIR) -> str:
    """Run a command to the end; its standard output (an error shows its standard error)."""
    try:
        done = subprocess.run(args, env=env, check=True, cwd=cwd, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"{' '.join(args)} failed:\n{error.stderr}") from error
    return done.stdout


def _run(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    run_command(args, env)
    return time.perf_counter() - started


def database_create(cluster: Any) -> str:
    """Create the ``promisekeeper`` database on the cluster; its URL."""
    import psycopg

    with psycopg.connect(
        host=HOST, port=cluster.port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute("CREATE DATABASE promisekeeper")
    return f"postgres://postgres@{HOST}:{cluster.port}/promisekeeper"


def gunicorn_start(
    env: dict[str, str],
    *,
    workers: int,
    log_path: Path,
    cwd: Path = REPO_DIR,
    extra_args: tuple[str, ...] = (),
) -> tuple[subprocess.Popen[bytes], int]:
    """Serve the app with gunicorn on a free loopback port; the server and its port, once
    it listens."""
    port = free_port()
    command = [
        str(VENV_BIN / "gunicorn"),
        "promisekeeper.wsgi",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--timeout",
        "120",
        "--log-level",
        "warning",
        *extra_args,
    ]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log)
    try:
        _wait_for_port(port, 60)
    except RuntimeError:
        server_stop(server)
        raise
    return server, port


def server_stop(server: subprocess.Popen[bytes], *, timeout: float = 180) -> None:
    """Stop gunicorn gracefully (requests in flight finish), killing it after ``timeout``."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def quote_choices() -> tuple[list[int], list[int]]:
    """(Django set up.) The offerings a quote can ask for and up to 200 customers."""
    from promisekeeper.catalog.models import Offering
    from promisekeeper.sales.models import Customer

    offerings = list(
        Offering.objects.filter(active=True, sop_versions__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    customers = list(Customer.objects.values_list("pk", flat=True)[:200])
    return offerings, customers


def sellers_open_deals(limit: int) -> list[int]:
    """(Django set up.) Up to ``limit`` open, not held deals of the ``sales`` user that have
    an offering, oldest first: deals that can be committed or held."""
    from promisekeeper.sales.models import Deal
    from promisekeeper.sales.selectors import OPEN_STAGES

    return list(
        Deal.objects.filter(stage__in=OPEN_STAGES, lines__offering__isnull=False)
        .exclude(stage=Deal.Stage.HELD)
        .filter(owner__username="sales")
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def postmaster_pid(cluster: Any) -> int:
    """The cluster's postmaster: its first line of ``postmaster.pid``."""
    return int((cluster.datadir / "postmaster.pid").read_text().split()[0])


def _wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {HOST}:{port} within {seconds:.0f} s")


# --- load ----------------------------------------------------------------------------------


def run_threads(count: int, work: Callable[[int], None], *, seconds: float) -> float:
    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return time.perf_counter() - started


def quote_load(
    port: int,
    clients: list[Client],
    offerings: list[int],
    customers: list[int],
    *,
    total: int,
    seconds: float,
    seed: int,
) -> tuple[list[float], dict[int, int], float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    issued = [0]
    deadline = time.monotonic() + seconds
    today = datetime.date.today()  # noqa: DTZ011 - the server's today; both are UTC here

    def work(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        client = clients[k]
        while time.monotonic() < deadline:
            with lock:
                if issued[0] >= total:
                    return
                issued[0] += 1
            wanted = today + datetime.timedelta(days=rng.randint(14, 180))
            data = [
                ("customer", str(rng.choice(customers))),
                ("line_item", f"offering:{rng.choice(offerings)}"),
                ("line_quantity", str(rng.randint(1, 3))),
                ("wanted_date", wanted.isoformat()),
                ("action", "ask"),
            ]
            started = time.perf_counter()
            try:
                status, _, _ = client.request("POST", "/sales/quote/", data, {"HX-Request": "true"})
            except (OSError, http.client.HTTPException):
                status = 0  # timed out or dropped: counted, not timed
            elapsed = time.perf_counter() - started
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    wall = run_threads(len(clients), work, seconds=seconds)
    return latencies, statuses, wall


CommitJob = tuple[int, str, int]
"""One deal to commit: its pk, the idempotency key, how many times the same request is sent."""


def post_commits(
    clients: list[Client],
    jobs: list[CommitJob],
    *,
    seconds: float,
    promised: datetime.date,
    ok: str,
) -> tuple[list[float], dict[str, int], float, set[str]]:
    """Send the jobs' commit requests from every client; a 302 counts as ``ok``, a 409 as
    taken. Returns latencies, outcomes, wall seconds and the keys that were sent."""
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    sent: set[str] = set()
    lock = threading.Lock()
    queue = list(reversed(jobs))
    deadline = time.monotonic() + seconds

    def work(k: int) -> None:
        client = clients[k]
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                deal, key, sends = queue.pop()
            data = {"promised_date": promised.isoformat(), "idempotency_key": key}
            for _ in range(sends):
                with lock:
                    sent.add(key)
                started = time.perf_counter()
                try:
                    status, _, _ = client.request("POST", f"/sales/deals/{deal}/commit/", data)
                except (OSError, http.client.HTTPException):
                    status = 0
                elapsed = time.perf_counter() - started
                outcome = {302: ok, 409: "taken", 0: "client timeout"}.get(status, f"http {status}")
                with lock:
                    if status in (302, 409):
                        latencies.append(elapsed)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1

    wall = run_threads(len(clients), work, seconds=seconds)
    return latencies, outcomes, wall, sent


def commit_load(
    clients: list[Client],
    deals: list[int],
    *,
    seconds: float,
    promised: datetime.date,
) -> tuple[list[float], dict[str, int], float, set[str]]:
    """Commit each deal once (every fifth twice, same key); returns every key that was sent."""
    jobs = [(deal, str(uuid.uuid4()), 2 if deal % 5 == 0 else 1) for deal in deals]
    return post_commits(clients, jobs, seconds=seconds, promised=promised, ok="committed")


def sequential_quotes(
    client: Client,
    offerings: list[int],
    customers: list[int],
    *,
    total: int,
    seconds: float,
    seed: int,
) -> list[float]:
    """One client, one request at a time: the latency without queueing behind others."""
    latencies, _, _ = quote_load(
        0, [client], offerings, customers, total=total, seconds=seconds, seed=seed
    )
    return latencies


# --- CPU per process tree (Linux /proc) ----------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stats() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of the process and of its children it has reaped)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, ...
        ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        stats[int(entry)] = (int(fields[1]), ticks / CLOCK_TICKS)
    return stats


def tree_cpu_s(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process and all its descendants."""
    stats = _proc_stats()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    totals = {}
    for name, root in roots.items():
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            if pid in stats:
                total += stats[pid][1]
                todo += children.get(pid, [])
        totals[name] = total
    return totals


def cpu_phase(roots: dict[str, int], run: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    """``run()`` and the CPU seconds each process tree and this process (the clients) used."""
    before, mine = tree_cpu_s(roots), time.process_time()
    result = run()
    after = tree_cpu_s(roots)
    used = {name: after[name] - before[name] for name in roots}
    used["clients"] = time.process_time() - mine
    return result, used


def per_item_ms(used: dict[str, float], count: int) -> dict[str, float | None]:
    return {name: round(s / count * 1000, 2) if count else None for name, s in used.items()}


# --- main ----------------------------------------------------------------------------------


def measure(args: argparse.Namespace, console: Any) -> dict[str, Any]:
    """One full measurement on a fresh cluster: the result document without machine info."""
    from tests.postgres import cluster_start

    cluster = cluster_start()
    data_dir = tempfile.mkdtemp(prefix="pk-bench-http-")
    server: subprocess.Popen[bytes] | None = None
    try:
        database_url = database_create(cluster)
        env = server_env(database_url, data_dir)
        promisekeeper = str(VENV_BIN / "promisekeeper")
        console.print(
            f"PostgreSQL on {HOST}:{cluster.port}; migrating and seeding size {args.size}"
        )
        migrate_s = _run([promisekeeper, "migrate", "--noinput"], env)
        seed_s = _run([promisekeeper, "seed", "--size", args.size, "--seed", str(args.seed)], env)

        os.environ.update(env)
        import django

        django.setup()
        from django.db.models import F

        from promisekeeper.promising.integrity import person_day_overcommitted
        from promisekeeper.sales.models import (
            CapacityReservation,
            ProductAvailability,
            Promise,
        )

        offerings, customers = quote_choices()
        deals = sellers_open_deals(args.commits)
        promises_before = Promise.objects.count()

        server, port = gunicorn_start(
            env, workers=args.workers, log_path=Path(data_dir) / "gunicorn.log"
        )
        clients = [Client(port) for _ in range(args.clients)]
        for client in clients:
            client.login("sales", "promise-demo")

        # Warm up: every worker builds its snapshot of the portfolio once.
        console.print(f"gunicorn {args.workers} workers on {HOST}:{port}; warming up")
        warm, warm_status, _ = quote_load(
            port,
            clients,
            offerings,
            customers,
            total=4 * args.workers,
            seconds=300,
            seed=args.seed + 99,
        )
        console.print("1 client: sequential quotes")
        single = sequential_quotes(
            clients[0],
            offerings,
            customers,
            total=30,
            seconds=min(60.0, args.seconds),
            seed=args.seed + 7,
        )
        console.print(f"{args.clients} clients: {args.quotes} quotes (≤ {args.seconds:.0f} s)")
        quote_s, quote_status, quote_wall = quote_load(
            port,
            clients,
            offerings,
            customers,
            total=args.quotes,
            seconds=args.seconds,
            seed=args.seed,
        )
        console.print(f"{args.clients} clients: committing {len(deals)} deals")
        promised = datetime.date.today() + datetime.timedelta(days=400)  # noqa: DTZ011
        roots = {"workers": server.pid, "postgres": postmaster_pid(cluster)}
        (commit_s, outcomes, commit_wall, sent), commit_cpu = cpu_phase(
            roots,
            lambda: commit_load(clients, deals, seconds=args.seconds, promised=promised),
        )
        # The floor under a commit: the same requests again, answered from the idempotency
        # key alone (HTTP, session, form, one lookup, redirect; no engine and no writes).
        promised_so_far = Promise.objects.count()
        replays = [
            (deal, key, 2)
            for deal, key in Promise.objects.filter(idempotency_key__in=sent)
            .order_by("pk")
            .values_list("deal_id", "idempotency_key")
        ]
        console.print(f"{args.clients} clients: the same {len(replays)} commits again, twice")
        (replay_s, replay_outcomes, replay_wall, _), replay_cpu = cpu_phase(
            roots,
            lambda: post_commits(
                clients, replays, seconds=args.seconds, promised=promised, ok="same promise"
            ),
        )
        replay_made_promises = Promise.objects.count() - promised_so_far
        for client in clients:
            client.close()
        # Stop serving first, so requests the clients gave up on have finished or rolled back.
        server_stop(server)
        server = None

        over = person_day_overcommitted()
        stock_over = ProductAvailability.objects.filter(
            reserved_quantity__gt=F("supply_quantity")
        ).count()
        new_promises = Promise.objects.count() - promises_before
        keyed = Promise.objects.filter(idempotency_key__in=sent).count()
        reservations = CapacityReservation.objects.count()
    finally:
        if server is not None:
            server_stop(server, timeout=30)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up if seeding failed
            pass
        cluster.stop()

    quote_summary = summary_ms(quote_s)
    single_summary = summary_ms(single)
    commit_summary = summary_ms(commit_s)
    committed = outcomes.get("committed", 0)
    commits_per_s = round(new_promises / commit_wall, 2) if commit_wall > 0 else None
    replay_count = len(replay_s)
    replays_per_s = round(replay_count / replay_wall, 2) if replay_wall > 0 else None
    quotes_per_s = round(len(quote_s) / quote_wall, 2) if quote_wall > 0 else None
    payload: dict[str, Any] = {
        "title": "HTTP: quote latency and commit throughput",
        "params": {
            "size": args.size,
            "workers": args.workers,
            "clients": args.clients,
            "quotes": args.quotes,
            "deals": len(deals),
            "seconds_bound": args.seconds,
            "database": "PostgreSQL (throwaway cluster, fsync off)",
        },
        "setup_s": {"migrate": round(migrate_s, 1), "seed": round(seed_s, 1)},
        "warmup": {"requests": len(warm), "statuses": warm_status, **summary_ms(warm)},
        "quote_single_client": summary_ms(single),
        "quote": {
            **quote_summary,
            "statuses": quote_status,
            "wall_s": round(quote_wall, 2),
            "per_s": quotes_per_s,
        },
        "commit": {
            **commit_summary,
            "outcomes": outcomes,
            "wall_s": round(commit_wall, 2),
            "promises_created": new_promises,
            "keys_sent": len(sent),
            "promises_with_those_keys": keyed,
            "per_s": commits_per_s,
            "capacity_reservations": reservations,
            "cpu_ms_per_promise": per_item_ms(commit_cpu, new_promises),
            "cores_busy": round(sum(commit_cpu.values()) / commit_wall, 2) if commit_wall else None,
        },
        "replay": {
            **summary_ms(replay_s),
            "outcomes": replay_outcomes,
            "wall_s": round(replay_wall, 2),
            "per_s": replays_per_s,
            "promises_created": replay_made_promises,
            "cpu_ms_per_request": per_item_ms(replay_cpu, replay_count),
        },
        "backstop": {
            "overcommitted_person_days": len(over),
            "overcommitted_products": stock_over,
            # Every new promise carries one of the keys sent, and no key has two (unique).
            "one_promise_per_key": keyed == new_promises <= len(sent),
            "replays_made_no_promise": replay_made_promises == 0
            and set(replay_outcomes) <= {"same promise"},
        },
        "targets": [
            target(
                f"quote p95, {args.clients} clients",
                quote_summary.get("p95_ms"),
                150,
                "ms",
                area="http",
            ),
            target("quote p95, 1 client", single_summary.get("p95_ms"), 150, "ms", area="http"),
            target(
                "commits per second", commits_per_s, 100, "/s", area="http", higher_is_better=True
            ),
            target("over-committed person-days", float(len(over) + stock_over), 0, "", area="http"),
        ],
    }
    console.print(
        f"single-client quotes: {single_summary}; "
        f"quotes: {quote_summary} statuses {quote_status}; commits: {commit_summary} "
        f"outcomes {outcomes}; {committed} committed responses, {len(sent)} keys sent, "
        f"{new_promises} promises; CPU ms per promise {payload['commit']['cpu_ms_per_promise']}; "
        f"replays: {replays_per_s}/s, {replay_outcomes}, CPU ms per request "
        f"{payload['replay']['cpu_ms_per_request']}; backstop {payload['backstop']}"
    )
    return payload


def _measure_in_child(args: argparse.Namespace, run: int, console: Any) -> dict[str, Any]:
    """One run in a fresh interpreter (Django is set up once per process, per database)."""
    console.print(f"run {run + 1} of {args.runs}")
    output = f"{args.output}.run{run + 1}"
    options = ("size", "workers", "clients", "quotes", "commits", "seconds", "seed")
    command = [sys.executable, __file__, "--runs", "1", "--output", output]
    for name in options:
        command += [f"--{name}", str(getattr(args, name))]
    subprocess.run(command, check=True, cwd=REPO_DIR)
    path = RESULTS_DIR / f"{output}.json"
    document: dict[str, Any] = json.loads(path.read_text())
    path.unlink()
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="M", choices=["S", "M", "L"])
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn worker processes (default: one per core, see benchmarks/README.md)",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--quotes", type=int, default=800, help="quote requests in total")
    parser.add_argument("--commits", type=int, default=200, help="deals to commit at most")
    parser.add_argument("--seconds", type=float, default=90.0, help="time bound per phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default="http_quote")
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="measure this many times, each on a fresh cluster; the median run is reported",
    )
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    console = Console()
    if args.runs == 1:
        runs = [measure(args, console)]
    else:
        runs = [_measure_in_child(args, run, console) for run in range(args.runs)]
    # This machine's speed drifts from run to run; report the median run and show them all.
    runs.sort(key=lambda r: r["quote"].get("p95_ms") or float("inf"))
    payload = runs[len(runs) // 2]
    payload["runs"] = [
        {
            "quote_p95_ms": r["quote"].get("p95_ms"),
            "quote_single_client_p95_ms": r["quote_single_client"].get("p95_ms"),
            "quotes_per_s": r["quote"]["per_s"],
            "commits_per_s": r["commit"]["per_s"],
            "commit_cpu_ms": r["commit"]["cpu_ms_per_promise"],
            "replays_per_s": r["replay"]["per_s"],
            "overcommitted": r["backstop"]["overcommitted_person_days"]
            + r["backstop"]["overcommitted_products"],
        }
        for r in runs
    ]
    cores = os.cpu_count() or 1
    payload["notes"] = [
        f"{len(runs)} runs, each on a fresh cluster: the targets table is the median run by "
        "16-client quote p95, `runs` lists them all and the over-commitment row is the worst run.",
        f"CPU budget: at 100 commits/s, {cores} cores give the whole machine "
        f"{10 * cores} ms of CPU per promise, for the gunicorn workers, "
        "PostgreSQL and the clients together (`commit.cpu_ms_per_promise`). `replay` sends "
        "each committed request twice more: answered from its idempotency key alone, it is "
        "the cost of a commit request that places nothing and writes nothing.",
    ]
    worst = max(r["overcommitted"] for r in payload["runs"])
    for row in payload["targets"]:
        if row["metric"] == "over-committed person-days" and worst > (row["measured"] or 0):
            row["measured"], row["met"] = float(worst), False
    path = write_result(args.output, payload)

    table = Table(
        title=f"HTTP benchmark, size {args.size}: {args.workers} workers, {args.clients} clients"
    )
    for column in ("metric", "measured", "target", "met"):
        table.add_column(column)
    for row in payload["targets"]:
        measured = row["measured"]
        table.add_row(
            row["metric"],
            "—" if measured is None else f"{measured:g} {row['unit']}".strip(),
            row["target"],
            {True: "yes", False: "no", None: "—"}[row["met"]],
        )
    console.print(table)
    for run in payload["runs"]:
        console.print(f"run: {run}")
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
