"""Engine speed on synthetic organisations S / M / L: plan, promise queries, confidence.

Usage::

    nice .venv/bin/python benchmarks/bench_engine.py --sizes S,M,L --queries 200

Each size runs in a fresh child process (so its peak RSS is its own): generate
the organisation, time ``schedule`` on the whole portfolio, then time
``earliest_finish`` and ``can_deliver_by`` (no reshuffle) for ``--queries``
generated new projects on top of the plan, and ``confidence`` with 1,000
samples when the module exists. Writes ``benchmarks/results/engine.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from common import (
    current_rss_mib,
    peak_rss_mib,
    python_command,
    reset_peak_rss,
    summary_ms,
    target,
    timed,
    timed_cpu,
    window_peak_rss_mib,
    write_result,
)
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from promisekeeper.engine.plan import ProjectStatus
from promisekeeper.engine.promise import can_deliver_by, earliest_finish
from promisekeeper.engine.schedule import schedule
from promisekeeper.research.synthetic import SIZES, generate_new_project, generate_organisation

GIB = 1024.0
TARGETS = (
    # (size, metric key, label, limit, unit); "CPU" rows use this process's CPU
    # time, which is what wall time would be on an idle machine.
    ("M", "earliest_finish_p95_ms", "earliest_finish p95 (M)", 5.0, "ms"),
    ("M", "earliest_finish_cpu_p95_ms", "earliest_finish p95 (M), CPU", 5.0, "ms"),
    ("L", "earliest_finish_p95_ms", "earliest_finish p95 (L)", 50.0, "ms"),
    ("L", "earliest_finish_cpu_p95_ms", "earliest_finish p95 (L), CPU", 50.0, "ms"),
    ("M", "schedule_s", "schedule whole portfolio (M)", 0.5, "s"),
    ("M", "schedule_cpu_s", "schedule whole portfolio (M), CPU", 0.5, "s"),
    ("L", "schedule_s", "schedule whole portfolio (L)", 5.0, "s"),
    ("L", "schedule_cpu_s", "schedule whole portfolio (L), CPU", 5.0, "s"),
    ("L", "peak_rss_gib", "peak memory (L)", 2.0, "GiB"),
    ("M", "confidence_p95_ms", "confidence, 1,000 samples, p95 (M)", 250.0, "ms"),
    ("M", "confidence_cpu_p95_ms", "confidence, 1,000 samples, p95 (M), CPU", 250.0, "ms"),
)
GROWTH_METRICS = (
    ("schedule_s", "schedule (s)"),
    ("schedule_constructive_s", "schedule, no repair (s)"),
    ("schedule_cpu_s", "schedule, CPU (s)"),
    ("earliest_finish_p50_ms", "earliest_finish p50 (ms)"),
    ("earliest_finish_cpu_p50_ms", "earliest_finish p50, CPU (ms)"),
    ("can_deliver_by_p50_ms", "can_deliver_by p50 (ms)"),
    ("confidence_p50_ms", "confidence p50 (ms)"),
    ("peak_rss_gib", "peak RSS (GiB)"),
)
QUERY_WARMUP = 5


def progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def plan_stats(plan: Any) -> dict[str, Any]:
    statuses = Counter(r.status for r in plan.projects.values())
    lateness = [r.lateness_days for r in plan.projects.values() if r.status is ProjectStatus.LATE]
    return {
        "projects": len(plan.projects),
        "late": statuses[ProjectStatus.LATE],
        "on_time": statuses[ProjectStatus.ON_TIME],
        "unscheduled": statuses[ProjectStatus.UNSCHEDULED],
        "total_lateness_days": int(sum(lateness)),
        "makespan_days": plan.makespan_days,
    }


def run_size(
    size: str, *, queries: int, confidence_queries: int, seed: int, repeat: int
) -> dict[str, Any]:
    """Measure one size in this process (called in a fresh child)."""
    console = Console(stderr=True)
    out: dict[str, Any] = {"size": size, "seed": seed, "load_average": os.getloadavg()[0]}
    people, projects, _ = SIZES[size]
    out["people"], out["projects"] = people, projects
    gen_s, instance = timed(lambda: generate_organisation(size, seed=seed))
    out["generate_s"] = round(gen_s, 3)
    out["phases"] = sum(len(p.phases) for p in instance.projects)
    out["rss_after_generate_mib"] = current_rss_mib()

    warm = generate_organisation("S", seed=seed + 1)  # import and first-call costs
    schedule(warm, time_limit=0.0)

    with progress(console) as bars:
        task = bars.add_task(f"{size}: schedule ×{2 * repeat}", total=2 * repeat)
        constructive, constructive_cpu = [], []
        for _ in range(repeat):
            seconds, cpu, _plan = timed_cpu(lambda: schedule(instance, time_limit=0.0))
            constructive.append(seconds)
            constructive_cpu.append(cpu)
            bars.advance(task)
        reset_peak_rss()
        full, full_cpu = [], []
        plan = None
        for _ in range(repeat):
            seconds, cpu, plan = timed_cpu(lambda: schedule(instance))
            full.append(seconds)
            full_cpu.append(cpu)
            bars.advance(task)
        out["schedule_window_peak_rss_mib"] = window_peak_rss_mib()
    assert plan is not None
    out["schedule_runs_s"] = [round(s, 4) for s in full]
    out["schedule_s"] = round(sorted(full)[len(full) // 2], 4)
    out["schedule_cpu_s"] = round(sorted(full_cpu)[len(full_cpu) // 2], 4)
    out["schedule_constructive_cpu_s"] = round(sorted(constructive_cpu)[len(full_cpu) // 2], 4)
    out["schedule_constructive_runs_s"] = [round(s, 4) for s in constructive]
    out["schedule_constructive_s"] = round(sorted(constructive)[len(constructive) // 2], 4)
    out["plan"] = plan_stats(plan)

    new = [generate_new_project(instance, seed=10_000 + k) for k in range(queries)]
    first_s, _ = timed(lambda: earliest_finish(plan, new[0]))
    out["first_query_ms"] = round(first_s * 1000, 3)
    for project in new[:QUERY_WARMUP]:
        earliest_finish(plan, project)

    with progress(console) as bars:
        times, cpus, statuses = [], [], Counter()
        task = bars.add_task(f"{size}: earliest_finish", total=len(new))
        for project in new:
            seconds, cpu, answer = timed_cpu(lambda p=project: earliest_finish(plan, p))
            times.append(seconds)
            cpus.append(cpu)
            statuses[answer.status.value] += 1
            bars.advance(task)
        out["earliest_finish"] = (
            summary_ms(times) | summary_ms(cpus, "cpu_") | {"statuses": dict(statuses)}
        )

        times, cpus, feasible = [], [], 0
        task = bars.add_task(f"{size}: can_deliver_by", total=len(new))
        for project in new:
            by_day = project.promised_day if project.promised_day is not None else 0
            seconds, cpu, answer = timed_cpu(lambda p=project, d=by_day: can_deliver_by(plan, p, d))
            times.append(seconds)
            cpus.append(cpu)
            feasible += bool(answer.feasible)
            bars.advance(task)
        out["can_deliver_by"] = (
            summary_ms(times) | summary_ms(cpus, "cpu_") | {"feasible": feasible}
        )

        if importlib.util.find_spec("promisekeeper.engine.confidence") is not None:
            from promisekeeper.engine.confidence import confidence

            subset = new[: max(1, min(confidence_queries, len(new)))]
            confidence(plan, subset[0], samples=1000, seed=0)  # warm-up
            times, cpus = [], []
            task = bars.add_task(f"{size}: confidence ×1000", total=len(subset))
            for k, project in enumerate(subset):
                seconds, cpu, _ = timed_cpu(
                    lambda p=project, s=k: confidence(plan, p, samples=1000, seed=s)
                )
                times.append(seconds)
                cpus.append(cpu)
                bars.advance(task)
            out["confidence"] = summary_ms(times) | summary_ms(cpus, "cpu_") | {"samples": 1000}

    out["peak_rss_mib"] = peak_rss_mib()
    return out


def flat_metrics(result: dict[str, Any]) -> dict[str, float | None]:
    def pick(section: str, key: str) -> float | None:
        value = result.get(section, {}).get(key)
        return None if value is None else float(value)

    return {
        "schedule_s": result.get("schedule_s"),
        "schedule_constructive_s": result.get("schedule_constructive_s"),
        "schedule_cpu_s": result.get("schedule_cpu_s"),
        "earliest_finish_p50_ms": pick("earliest_finish", "p50_ms"),
        "earliest_finish_p95_ms": pick("earliest_finish", "p95_ms"),
        "earliest_finish_cpu_p50_ms": pick("earliest_finish", "cpu_p50_ms"),
        "earliest_finish_cpu_p95_ms": pick("earliest_finish", "cpu_p95_ms"),
        "can_deliver_by_p50_ms": pick("can_deliver_by", "p50_ms"),
        "confidence_p50_ms": pick("confidence", "p50_ms"),
        "confidence_p95_ms": pick("confidence", "p95_ms"),
        "confidence_cpu_p95_ms": pick("confidence", "cpu_p95_ms"),
        "peak_rss_gib": round(result["peak_rss_mib"] / GIB, 3)
        if "peak_rss_mib" in result
        else None,
    }


def growth(sizes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Cost ratio per 10× size step (S→M, M→L) for each metric."""
    rows = []
    order = [s for s in ("S", "M", "L") if s in sizes]
    for key, label in GROWTH_METRICS:
        row: dict[str, Any] = {"metric": label, "key": key}
        for lo, hi in zip(order, order[1:], strict=False):
            a, b = flat_metrics(sizes[lo]).get(key), flat_metrics(sizes[hi]).get(key)
            row[f"{lo}->{hi}"] = round(b / a, 2) if a and b is not None else None
        rows.append(row)
    return rows


def run_child(size: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{size}.json"
        command = [
            *python_command(),
            __file__,
            "--child",
            size,
            "--out",
            str(out),
            "--queries",
            str(args.queries),
            "--confidence-queries",
            str(args.confidence_queries),
            "--seed",
            str(args.seed),
            "--repeat",
            str(args.repeat),
        ]
        subprocess.run(command, check=True, timeout=args.timeout)
        return json.loads(out.read_text())


def report(console: Console, payload: dict[str, Any]) -> None:
    table = Table(title="Engine speed vs targets")
    for column in ("metric", "measured", "target", "met"):
        table.add_column(column)
    for row in payload["targets"]:
        measured = "—" if row["measured"] is None else f"{row['measured']:g} {row['unit']}"
        met = {True: "[green]met", False: "[red]not met", None: "not measured"}[row["met"]]
        table.add_row(row["metric"], measured, row["target"], met)
    console.print(table)
    table = Table(title="Cost growth per 10× size")
    steps = [k for k in ("S->M", "M->L") if any(k in r for r in payload["growth"])]
    table.add_column("metric")
    for step in steps:
        table.add_column(step)
    for row in payload["growth"]:
        table.add_row(row["metric"], *(f"{row.get(s)}×" if row.get(s) else "—" for s in steps))
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,M,L", help="comma-separated, from S,M,L")
    parser.add_argument("--queries", type=int, default=200, help="new projects to query")
    parser.add_argument("--confidence-queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=0, help="schedule runs (0: 3, 1 at L)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per size")
    parser.add_argument("--name", default="engine", help="results/<name>.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = run_size(
            args.child,
            queries=args.queries,
            confidence_queries=args.confidence_queries,
            seed=args.seed,
            repeat=args.repeat or (1 if args.child == "L" else 3),
        )
        Path(args.out).write_text(json.dumps(result))
        return 0

    console = Console()
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown sizes {unknown}; expected S, M or L")
    results: dict[str, dict[str, Any]] = {}
    for size in sizes:
        console.rule(f"size {size}: {SIZES[size][0]:,} people, {SIZES[size][1]:,} projects")
        results[size] = run_child(size, args)
    targets = []
    for size, key, label, limit, unit in TARGETS:
        measured = flat_metrics(results[size]).get(key) if size in results else None
        targets.append(target(label, measured, limit, unit, area="engine"))
    payload = {
        "title": "Engine speed",
        "params": {"queries": args.queries, "confidence_queries": args.confidence_queries},
        "sizes": results,
        "targets": targets,
        "growth": growth(results),
    }
    path = write_result(args.name, payload)
    report(console, payload)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
