"""RCPSP quality and speed on PSPLIB j30 / j60 (Kolisch & Sprecher, 1996).

Usage::

    nice .venv/bin/python benchmarks/bench_psplib.py --set j30 --mode heuristic --time-limit 0.2
    nice .venv/bin/python benchmarks/bench_psplib.py --set j30 --mode exact --time-limit 1
    nice .venv/bin/python benchmarks/bench_psplib.py --set j60 --mode heuristic --time-limit 5 --sample 48

Reads the instances from ``<repo>/../shared/psplib`` (``--data`` to change)
and, per instance, runs ``rcpsp.rcpsp_solve`` (``heuristic``) or
``exact.improve_rcpsp`` (``exact``: heuristic, then CP-SAT with 2 workers
seeded with it) within ``--time-limit`` seconds, checks the schedule with
``rcpsp.verify_rcpsp_starts``, and compares its makespan with the reference:
the deviation from the optimum for j30, the distance above the critical-path
bound for j60 (plus the gap to the best known makespan). ``--sample N`` picks
N evenly spaced instances in file-name order. Writes
``benchmarks/results/psplib_<set>_<mode>.json`` and the Markdown table
``psplib_<set>_<mode>.md`` beside it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import REPO_DIR, RESULTS_DIR, target, write_result
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from promisekeeper.engine.model import Instance
from promisekeeper.research.exact import improve_rcpsp
from promisekeeper.research.psplib import read_reference, read_sm
from promisekeeper.research.rcpsp import RcpspResult, RcpspStatus, rcpsp_solve, verify_rcpsp_starts

DATA = REPO_DIR / ".." / "shared" / "psplib"
# (set, mode) -> (metric key, limit in %): the quality target of the issue.
QUALITY_TARGETS = {
    ("j30", "heuristic"): ("mean_deviation_pct", 0.5),
    ("j30", "exact"): ("mean_deviation_pct", 0.05),
    ("j60", "heuristic"): ("mean_above_cpm_pct", 11.0),
    ("j60", "exact"): ("mean_above_cpm_pct", 11.0),
}
TIME_TARGETS = {("j30", "heuristic"): 0.2, ("j30", "exact"): 1.0}
DEFAULT_TIME_TARGET = 5.0


def natural_key(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", name))


def sample(files: list[Path], count: int) -> list[Path]:
    """``count`` evenly spaced files (all of them when ``count`` is 0 or too large)."""
    if count <= 0 or count >= len(files):
        return files
    return [files[(k * len(files)) // count] for k in range(count)]


def solver(
    mode: str, time_limit: float, seed: int, max_schedules: int | None
) -> Callable[[Instance], RcpspResult]:
    if mode == "heuristic":
        return lambda instance: rcpsp_solve(
            instance, time_limit=time_limit, seed=seed, max_schedules=max_schedules
        )
    from ortools.sat.python import cp_model  # noqa: F401  (import once, outside the timing)

    return lambda instance: improve_rcpsp(instance, time_limit=time_limit, seed=seed)


def pct(value: int, base: int) -> float:
    return 100.0 * (value - base) / base


def run(args: argparse.Namespace) -> dict[str, Any]:
    data = Path(args.data)
    references = read_reference(data / f"{args.set}_reference.csv")
    files = sample(
        sorted((data / args.set).glob("*.sm"), key=lambda p: natural_key(p.stem)), args.sample
    )
    solve = solver(args.mode, args.time_limit, args.seed, args.max_schedules)
    records: dict[str, dict[str, Any]] = {}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress:
        task = progress.add_task(f"{args.set} {args.mode}", total=len(files))
        for path in files:
            instance = read_sm(path)
            start = time.perf_counter()
            result = solve(instance)
            seconds = time.perf_counter() - start
            ref = references[path.stem]
            assert result.makespan is not None
            records[path.stem] = {
                "makespan": result.makespan,
                "reference": ref.makespan,
                "reference_optimal": ref.optimal,
                "cpm_lb": ref.cpm_lb,
                "status": result.status.value,
                "seconds": round(seconds, 4),
                "schedules": result.schedules,
                "violations": len(verify_rcpsp_starts(instance, result.starts)),
            }
            progress.advance(task)
    return records


def summarise(args: argparse.Namespace, records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rows = list(records.values())
    to_ref = [pct(r["makespan"], r["reference"]) for r in rows]
    to_cpm = [pct(r["makespan"], r["cpm_lb"]) for r in rows]
    ref_cpm = [pct(r["reference"], r["cpm_lb"]) for r in rows]
    seconds = [r["seconds"] for r in rows]
    return {
        "instances": len(rows),
        "mean_deviation_pct": round(statistics.mean(to_ref), 4),
        "max_deviation_pct": round(max(to_ref), 2),
        "mean_above_cpm_pct": round(statistics.mean(to_cpm), 4),
        "reference_above_cpm_pct": round(statistics.mean(ref_cpm), 3),
        "share_reference_reached": round(sum(d <= 0 for d in to_ref) / len(rows), 4),
        "share_proven_optimal": round(
            sum(r["status"] == RcpspStatus.OPTIMAL.value for r in rows) / len(rows), 4
        ),
        "better_than_reference": sum(d < 0 for d in to_ref),
        "mean_seconds": round(statistics.mean(seconds), 4),
        "max_seconds": round(max(seconds), 4),
        "mean_schedules": round(statistics.mean(r["schedules"] for r in rows), 1),
        "violations": sum(r["violations"] for r in rows),
    }


def markdown(
    args: argparse.Namespace, summary: dict[str, Any], targets: list[dict[str, Any]], scope: str
) -> str:
    reference = "optimum" if args.set == "j30" else "best known"
    lines = [
        f"**PSPLIB {args.set}, {args.mode}** ({scope}; time limit {args.time_limit:g} s per "
        + (
            f"instance and at most {args.max_schedules:,} schedules per "
            if args.max_schedules
            else ""
        )
        + f"instance, seed {args.seed}, niceness {os.nice(0)}, {os.cpu_count()} cores shared with other work)",
        "",
        "| metric | measured |",
        "|---|---|",
        f"| mean / max deviation from the {reference} | {summary['mean_deviation_pct']:.4f} % / {summary['max_deviation_pct']:.2f} % |",
        f"| mean above the critical-path bound (reference: {summary['reference_above_cpm_pct']:.2f} %) | {summary['mean_above_cpm_pct']:.2f} % |",
        f"| share reaching the {reference} / proven optimal | {100 * summary['share_reference_reached']:.1f} % / {100 * summary['share_proven_optimal']:.1f} % |",
        f"| mean / max time per instance | {summary['mean_seconds']:.3f} s / {summary['max_seconds']:.3f} s |",
        f"| mean schedules generated | {summary['mean_schedules']:,.0f} |",
        f"| infeasible schedules | {summary['violations']} |",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for t in targets:
        met = "yes" if t["met"] else "no"
        lines.append(f"| {t['metric']} {t['target']} | {t['measured']:g} {t['unit']} | {met} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("j30", "j60"), default="j30")
    parser.add_argument("--mode", choices=("heuristic", "exact"), default="heuristic")
    parser.add_argument("--time-limit", type=float, default=0.2)
    parser.add_argument("--sample", type=int, default=0, help="evenly spaced instances (0 = all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-schedules",
        type=int,
        default=None,
        help="heuristic: also stop after this many SGS passes (load-independent quality)",
    )
    parser.add_argument("--name", default="", help="result name suffix, e.g. _5000")
    parser.add_argument("--data", default=str(DATA))
    args = parser.parse_args(argv)

    records = run(args)
    summary = summarise(args, records)
    total = len(list((Path(args.data) / args.set).glob("*.sm")))
    scope = (
        f"all {total} instances"
        if summary["instances"] == total
        else (f"{summary['instances']} of {total} instances, evenly spaced in file-name order")
    )
    key, limit = QUALITY_TARGETS[(args.set, args.mode)]
    label = {
        "mean_deviation_pct": "mean deviation from optimum",
        "mean_above_cpm_pct": "mean above critical-path bound",
    }[key]
    time_limit = TIME_TARGETS.get((args.set, args.mode), DEFAULT_TIME_TARGET)
    targets = [target(label, summary[key], limit, "%", area=args.set)]
    if args.max_schedules is None:  # a schedule-bound run measures quality, not speed
        targets.append(
            target("max time per instance", summary["max_seconds"], time_limit, "s", area=args.set)
        )
    targets.append(target("infeasible schedules", summary["violations"], 0, "", area=args.set))
    name = f"psplib_{args.set}_{args.mode}{args.name}"
    budget = (
        f"{args.max_schedules:,} schedules"
        if args.max_schedules is not None
        else f"{args.time_limit:g} s"
    )
    write_result(
        name,
        {
            "title": f"PSPLIB {args.set}, {args.mode} ({scope}, {budget} per instance)",
            "targets": targets,
            "settings": {
                "set": args.set,
                "mode": args.mode,
                "time_limit_s": args.time_limit,
                "sample": scope,
                "seed": args.seed,
                "max_schedules": args.max_schedules,
                "niceness": os.nice(0),
            },
            "summary": summary,
            "per_instance": records,
        },
    )
    fragment = markdown(args, summary, targets, scope)
    (RESULTS_DIR / f"{name}.md").write_text(fragment)
    Console().print(fragment)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
