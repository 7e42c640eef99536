"""Promisekeeper against TaskJuggler (tj3) on the same synthetic portfolio.

Usage::

    nice .venv/bin/python benchmarks/bench_taskjuggler.py --size M

Exports the organisation to ``benchmarks/out/taskjuggler_<size>.tjp``, times
``tj3`` on it (``--timeout`` seconds, recorded if hit), reads tj3's CSV task
report and compares its lateness against the promised days with our
``schedule`` on the same instance. Also times ``earliest_finish``: answering
a promise query needs no full reschedule. Writes
``benchmarks/results/taskjuggler.json`` (``taskjuggler_<size>.json`` for other
sizes).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import OUT_DIR, summary_ms, target, timed, write_result
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from promisekeeper.engine.model import Instance
from promisekeeper.engine.plan import ProjectResult, ProjectStatus
from promisekeeper.engine.promise import earliest_finish
from promisekeeper.engine.schedule import schedule
from promisekeeper.research.synthetic import generate_new_project, generate_organisation
from promisekeeper.research.taskjuggler import REPORT_NAME, instance_to_tjp, read_task_report

SPEEDUP_TARGET = 10.0
EXTRA_SPAN_DAYS = 365  # let tj3 finish work that overruns the horizon instead of failing


def outcome(results: dict[str, ProjectResult]) -> dict[str, Any]:
    values = list(results.values())
    late = [r.lateness_days for r in values if r.status is ProjectStatus.LATE]
    finishes = [r.finish_day for r in values if r.finish_day is not None]
    return {
        "projects": len(values),
        "late": len(late),
        "unscheduled": sum(r.status is ProjectStatus.UNSCHEDULED for r in values),
        "total_lateness_days": int(sum(late)),
        "mean_lateness_days": round(sum(late) / len(late), 2) if late else 0.0,
        "makespan_days": max(finishes, default=0),
    }


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_tj3(tjp: Path, out_dir: Path, timeout: float) -> dict[str, Any]:
    tj3 = shutil.which("tj3")
    if tj3 is None:
        return {"status": "missing", "detail": "tj3 is not on PATH"}
    command = [tj3, "--silent", "--no-color", "-o", str(out_dir), str(tjp)]
    cpu_before = children_cpu_seconds()
    try:
        seconds, done = timed(
            lambda: subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        )
    except subprocess.TimeoutExpired:
        cpu = round(children_cpu_seconds() - cpu_before, 2)
        return {"status": "timeout", "seconds": None, "timeout_s": timeout, "cpu_seconds": cpu}
    cpu = round(children_cpu_seconds() - cpu_before, 2)
    messages = (done.stdout + done.stderr).splitlines()
    status = "ok" if done.returncode == 0 else "failed"
    return {
        "status": status,
        "seconds": round(seconds, 2),
        "cpu_seconds": cpu,
        "returncode": done.returncode,
        "warnings": sum("Warning" in line for line in messages),
        "errors": sum("Error" in line for line in messages),
        "detail": " / ".join(line for line in messages if "Error" in line)[:500],
    }


def query_times(instance: Instance, plan: Any, queries: int) -> dict[str, Any]:
    projects = [generate_new_project(instance, seed=20_000 + k) for k in range(queries)]
    earliest_finish(plan, projects[0])  # warm-up: builds the plan's lookups
    times = [timed(lambda p=p: earliest_finish(plan, p))[0] for p in projects]
    return summary_ms(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="M", choices=("S", "M", "L"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds for tj3")
    parser.add_argument("--resolution", type=int, default=60, help="tj3 slot, minutes")
    parser.add_argument("--queries", type=int, default=50, help="earliest_finish samples")
    args = parser.parse_args(argv)
    console = Console()
    name = "taskjuggler" if args.size == "M" else f"taskjuggler_{args.size}"

    instance = generate_organisation(args.size, seed=args.seed)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    run_dir = OUT_DIR / name
    run_dir.mkdir(exist_ok=True)
    tjp = OUT_DIR / f"{name}.tjp"
    span = instance.calendar.horizon_days + EXTRA_SPAN_DAYS
    tjp.write_text(instance_to_tjp(instance, resolution_minutes=args.resolution, span_days=span))

    columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as bars:
        task = bars.add_task(f"Promisekeeper schedule ({args.size})", total=None)
        cpu_start = time.process_time()
        ours_s, plan = timed(lambda: schedule(instance))
        ours_cpu = time.process_time() - cpu_start
        bars.update(task, completed=1, total=1)
        task = bars.add_task("earliest_finish queries", total=None)
        queries = query_times(instance, plan, args.queries)
        bars.update(task, completed=1, total=1)
        task = bars.add_task(f"tj3 (timeout {args.timeout:g} s)", total=None)
        tj = run_tj3(tjp, run_dir, args.timeout)
        bars.update(task, completed=1, total=1)

    ours = outcome(plan.projects) | {"seconds": round(ours_s, 3), "cpu_seconds": round(ours_cpu, 3)}
    theirs: dict[str, Any] = dict(tj)
    report = run_dir / f"{REPORT_NAME}.csv"
    if tj["status"] == "ok" and report.exists():
        theirs |= outcome(read_task_report(report.read_text(), instance))

    tj_seconds = tj.get("seconds") or (args.timeout if tj["status"] == "timeout" else None)
    speedup = round(tj_seconds / ours_s, 1) if tj_seconds else None
    cpu_speedup = round(tj["cpu_seconds"] / ours_cpu, 1) if tj.get("cpu_seconds") else None
    query_vs_tj = (
        round(tj_seconds * 1000 / queries["p50_ms"])
        if tj_seconds and queries.get("p50_ms")
        else None
    )
    ours_misses = ours["late"] + ours["unscheduled"]
    targets = [
        target(
            f"speed-up over tj3 ({args.size}{', tj3 timed out: lower bound' if tj['status'] == 'timeout' else ''})",
            speedup,
            SPEEDUP_TARGET,
            "×",
            area="taskjuggler",
            higher_is_better=True,
        ),
        target(
            "projects late: ours − tj3",
            ours_misses - theirs["late"] if "late" in theirs else None,
            0,
            "projects",
            area="taskjuggler",
        ),
        target(
            "total lateness: ours − tj3",
            ours["total_lateness_days"] - theirs["total_lateness_days"]
            if "total_lateness_days" in theirs
            else None,
            0,
            "days",
            area="taskjuggler",
        ),
    ]
    notes = [
        f"A promise query (earliest_finish p50 {queries.get('p50_ms')} ms) needs no full"
        f" reschedule; tj3 needs a full run ({tj_seconds} s), "
        f"{query_vs_tj:,}× longer."
        if query_vs_tj
        else "tj3 produced no timing.",
        f"CPU-time speed-up {cpu_speedup}× (tj3 {tj.get('cpu_seconds')} s CPU vs ours"
        f" {ours['cpu_seconds']} s): fairer than wall time on a shared machine.",
        "Our unscheduled projects (overrunning the horizon) count as late in the comparison;"
        f" tj3's project span is the horizon + {EXTRA_SPAN_DAYS} days so it can finish them.",
        "Mapping caveats favour tj3: one efficiency per resource (the best), crews may split"
        " days, successors may start the day a predecessor ends; see research/taskjuggler.py.",
    ]
    payload = {
        "title": f"TaskJuggler comparison ({args.size})",
        "instance": {
            "size": args.size,
            "seed": args.seed,
            "people": len(instance.people),
            "projects": len(instance.projects),
            "phases": sum(len(p.phases) for p in instance.projects),
            "tj3_resolution_min": args.resolution,
        },
        "ours": ours,
        "taskjuggler": theirs,
        "earliest_finish": queries,
        "speedup": speedup,
        "cpu_speedup": cpu_speedup,
        "targets": targets,
        "notes": notes,
    }
    path = write_result(name, payload)

    view = Table(title=f"Promisekeeper vs TaskJuggler ({args.size})")
    for column in ("metric", "Promisekeeper", "tj3"):
        view.add_column(column)
    for key in (
        "seconds",
        "cpu_seconds",
        "late",
        "unscheduled",
        "total_lateness_days",
        "mean_lateness_days",
    ):
        view.add_row(key, str(ours.get(key, "—")), str(theirs.get(key, "—")))
    view.add_row("status", "ok", str(tj["status"]))
    console.print(view)
    for row in targets:
        met = {True: "[green]met", False: "[red]not met", None: "not measured"}[row["met"]]
        console.print(f"{row['metric']}: {row['measured']} (target {row['target']}) {met}")
    for note in notes:
        console.print(f"- {note}")
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
