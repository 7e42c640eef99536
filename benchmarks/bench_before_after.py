"""The same HTTP and dashboard benchmarks on two checkouts, interleaved, to tell a real change
from the machine's drift.

A single run of ``bench_http.py`` moves by 15 % or more from one minute to the next on the
shared 2-core machine, so comparing one run before a change with one run after it says
little. This script alternates: before, after, before, after, ... (``--pairs`` times), each
run on a fresh cluster, and reports every run and the median of each side.

    git worktree add --detach /work/wt/before 10699df
    nice .venv/bin/python benchmarks/bench_before_after.py --before /work/wt/before --pairs 5

    # or only summarise runs already made (results/<prefix>_{before,after}_<k>.json):
    .venv/bin/python benchmarks/bench_before_after.py --collect --before-dir DIR --after-dir DIR

Each checkout runs its own benchmark scripts with its own ``src`` on the path, on the
interpreter running this script. Result: ``results/http_before_after.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO_DIR, RESULTS_DIR, git_commit, write_result  # noqa: E402

SIDES = ("before", "after")


def _run(checkout: Path, script: str, args: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(checkout / "src")}
    subprocess.run(
        [sys.executable, f"benchmarks/{script}", *args],
        cwd=checkout,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def measure(checkouts: dict[str, Path], pairs: range, store: Path) -> None:
    """Alternate the two checkouts for each pair number; move each run's JSON to ``store``."""
    store.mkdir(parents=True, exist_ok=True)
    for k in pairs:
        for side in SIDES:
            checkout = checkouts[side]
            name = f"http_quote_{side}_{k}"
            _run(checkout, "bench_http.py", ["--runs", "1", "--output", name])
            shutil.move(
                checkout / "benchmarks" / "results" / f"{name}.json", store / f"{name}.json"
            )
            _run(checkout, "bench_dashboard.py", [])
            shutil.copy(
                checkout / "benchmarks" / "results" / "dashboard.json",
                store / f"dashboard_{side}_{k}.json",
            )
            print(f"pair {k}: {side} done", flush=True)


def _http_row(document: dict[str, Any]) -> dict[str, Any]:
    commit = document["commit"]
    return {
        "quote p95 ms (16 clients)": document["quote"].get("p95_ms"),
        "quote p95 ms (1 client)": document["quote_single_client"].get("p95_ms"),
        "quotes/s": document["quote"].get("per_s"),
        "commits/s": commit.get("per_s"),
        "worker CPU ms per promise": commit["cpu_ms_per_promise"]["workers"],
        "over-committed": document["backstop"]["overcommitted_person_days"]
        + document["backstop"]["overcommitted_products"],
        "load": document["machine"].get("load_average", [None])[0],
    }


def collect(dirs: dict[str, Path]) -> dict[str, Any]:
    """Every run of each side and the medians of the figures issue 14 compares."""
    runs: list[dict[str, Any]] = []
    medians: dict[str, dict[str, float]] = {}
    commits: dict[str, str] = {}
    for side in SIDES:
        rows = []
        for path in sorted(dirs[side].glob(f"http_quote_{side}_*.json")):
            document = json.loads(path.read_text())
            commits[side] = document["machine"].get("commit", "")
            rows.append({"side": side, "run": path.stem.rsplit("_", 1)[1], **_http_row(document)})
        dashboards = [
            json.loads(p.read_text())["measured"]
            for p in sorted(dirs[side].glob(f"dashboard_{side}_*.json"))
        ]
        runs += rows
        figures = [k for k in rows[0] if k not in ("side", "run", "load", "over-committed")]
        medians[side] = {
            f: round(statistics.median(r[f] for r in rows if r[f] is not None), 2) for f in figures
        }
        if dashboards:
            medians[side]["dashboard p95 ms"] = round(statistics.median(dashboards), 1)
        medians[side]["runs"] = len(rows)
    table = [
        {
            "figure": figure,
            "before (median)": medians["before"].get(figure),
            "after (median)": medians["after"].get(figure),
            "change %": round(100 * (medians["after"][figure] / medians["before"][figure] - 1), 1)
            if medians["before"].get(figure)
            else None,
        }
        for figure in medians["before"]
        if figure != "runs"
    ]
    return {
        "title": "Before and after the promising-core redesign (interleaved runs)",
        "params": {"before": commits.get("before"), "after": commits.get("after")},
        "medians": table,
        "runs": runs,
        "notes": (
            "bench_http (M, PostgreSQL, 2 gunicorn workers, 16 clients) and bench_dashboard "
            "(M, SQLite) run alternately on the two checkouts; medians over the runs."
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="checkout of the old code")
    parser.add_argument("--after", type=Path, default=REPO_DIR, help="checkout of the new code")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument(
        "--first", type=int, default=1, help="number of the first pair (to add runs)"
    )
    parser.add_argument("--collect", action="store_true", help="only summarise existing runs")
    parser.add_argument("--before-dir", type=Path)
    parser.add_argument("--after-dir", type=Path)
    args = parser.parse_args()
    store = RESULTS_DIR / "before_after_runs"
    if not args.collect:
        if args.before is None:
            parser.error("--before: the checkout of the old code is required")
        measure(
            {"before": args.before, "after": args.after},
            range(args.first, args.first + args.pairs),
            store,
        )
    dirs = {"before": args.before_dir or store, "after": args.after_dir or store}
    payload = collect(dirs)
    payload["params"].setdefault("after", git_commit(args.after))
    path = write_result("http_before_after", payload)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
