"""Portfolio-aware confidence: its error against re-planning per sample, and its speed at M.

``portfolio_confidence`` (``engine/portfolio.py``) adds the effort uncertainty of the firm
work a new project competes with through a per-role fluid queue. This script measures:

* **Error** on small portfolios (``research.synthetic`` size S: 20 people, 60 projects,
  constructive plans), for ``--error-queries`` new projects per organisation seed: the
  P50 / P80 / P95 finish days of the fluid queue and of the plain ``confidence`` against
  ``portfolio_confidence(..., exact=True)``, which re-places the whole portfolio with each
  sample's efforts (the same draws), ``--error-samples`` samples each. Reported in days:
  mean and largest absolute error per quantile, and the mean bias.
* **Speed** at M (200 people, 600 projects), warm, engine only: ``portfolio_confidence``
  and the plain ``confidence`` with 1,000 samples for ``--queries`` generated projects,
  wall and CPU p50 / p95.

Targets: portfolio-aware confidence p95 ≤ 100 ms at M (wall and CPU); P80 within 2 days of
re-planning on average. Result: ``results/engine_portfolio_confidence.json``.

    nice .venv/bin/python benchmarks/bench_portfolio_confidence.py
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from typing import Any

import numpy as np
from common import summary_ms, target, timed_cpu, write_result

from promisekeeper.engine.confidence import ConfidenceAnswer, confidence
from promisekeeper.engine.model import Instance, ProjectState
from promisekeeper.engine.portfolio import portfolio_confidence
from promisekeeper.engine.schedule import schedule
from promisekeeper.research.synthetic import generate_new_project, generate_organisation

QUANTILES = (0.5, 0.8, 0.95)


def _days(answer: ConfidenceAnswer) -> list[int | None]:
    return [answer.quantile(q) for q in QUANTILES]


def _errors(rows: list[dict[str, Any]], method: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, q in enumerate(QUANTILES):
        pairs = [
            (r[method][k], r["exact"][k])
            for r in rows
            if r[method][k] is not None and r["exact"][k] is not None
        ]
        diff = np.array([a - b for a, b in pairs], dtype=np.float64)
        name = f"p{round(q * 100)}"
        out[f"{name}_mean_abs_days"] = round(float(np.abs(diff).mean()), 2) if len(diff) else None
        out[f"{name}_max_abs_days"] = int(np.abs(diff).max()) if len(diff) else None
        out[f"{name}_bias_days"] = round(float(diff.mean()), 2) if len(diff) else None
    return out


def firm_only(instance: Instance) -> Instance:
    """The portfolio a quote sees (the snapshot's firm plan): no tentative pipeline."""
    firm = tuple(p for p in instance.projects if p.state is not ProjectState.TENTATIVE)
    return replace(instance, projects=firm)


def measure_error(orgs: int, queries: int, samples: int) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for org in range(orgs):
        instance = firm_only(generate_organisation("S", seed=org))
        plan = schedule(instance, time_limit=0.0)
        for k in range(queries):
            new = generate_new_project(instance, seed=20_000 + 100 * org + k)
            fluid = portfolio_confidence(plan, new, samples=samples, seed=k)
            exact = portfolio_confidence(plan, new, samples=samples, seed=k, exact=True)
            plain = confidence(plan, new, samples=samples, seed=k)
            rows.append(
                {
                    "org_seed": org,
                    "query": k,
                    "deterministic": fluid.deterministic.finish_day,
                    "plain": _days(plain),
                    "fluid": _days(fluid),
                    "exact": _days(exact),
                }
            )
    return {
        "size": "S",
        "samples": samples,
        "queries": len(rows),
        "fluid_vs_exact": _errors(rows, "fluid"),
        "plain_vs_exact": _errors(rows, "plain"),
        "runs": [
            {
                "org_seed": r["org_seed"],
                "query": r["query"],
                "deterministic": r["deterministic"],
                "plain_p50_p80_p95": "/".join(map(str, r["plain"])),
                "fluid_p50_p80_p95": "/".join(map(str, r["fluid"])),
                "exact_p50_p80_p95": "/".join(map(str, r["exact"])),
            }
            for r in rows
        ],
    }


def measure_speed(queries: int) -> dict[str, Any]:
    instance = firm_only(generate_organisation("M", seed=0))
    plan = schedule(instance)
    new = [generate_new_project(instance, seed=10_000 + k) for k in range(queries)]
    portfolio_confidence(plan, new[0], samples=1000)  # warm-up
    confidence(plan, new[0], samples=1000)
    out: dict[str, Any] = {"size": "M", "samples": 1000, "load_average": os.getloadavg()[0]}
    shifts = []
    for name, run in (("portfolio", portfolio_confidence), ("plain", confidence)):
        walls, cpus = [], []
        for k, project in enumerate(new):
            wall, cpu, answer = timed_cpu(
                lambda p=project, s=k, f=run: f(plan, p, samples=1000, seed=s)
            )
            walls.append(wall)
            cpus.append(cpu)
            if name == "portfolio":
                plain = confidence(plan, project, samples=1000, seed=k)
                if answer.p80_day is not None and plain.p80_day is not None:
                    shifts.append(answer.p80_day - plain.p80_day)
        out[name] = summary_ms(walls) | summary_ms(cpus, "cpu_")
    out["p80_later_than_plain_days_mean"] = round(float(np.mean(shifts)), 2) if shifts else None
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=3, help="S organisations (seeds 0..n-1)")
    parser.add_argument("--error-queries", type=int, default=4, help="new projects per org")
    parser.add_argument("--error-samples", type=int, default=200)
    parser.add_argument("--queries", type=int, default=50, help="timed queries at M")
    args = parser.parse_args(argv)
    error = measure_error(args.orgs, args.error_queries, args.error_samples)
    speed = measure_speed(args.queries)
    fluid = error["fluid_vs_exact"]
    payload = {
        "title": "Portfolio-aware confidence: error against re-planning, speed at M",
        "targets": [
            target(
                "portfolio_confidence, 1,000 samples, p95 (M)",
                speed["portfolio"]["p95_ms"],
                100.0,
                "ms",
                area="engine",
            ),
            target(
                "portfolio_confidence, 1,000 samples, p95 (M), CPU",
                speed["portfolio"]["cpu_p95_ms"],
                100.0,
                "ms",
                area="engine",
            ),
            target(
                "P80 mean abs. error vs re-planning (S)",
                fluid["p80_mean_abs_days"],
                2.0,
                "days",
                area="engine",
            ),
        ],
        "params": vars(args),
        "error": error,
        "speed": speed,
    }
    path = write_result("engine_portfolio_confidence", payload)
    print(path)
    print("fluid vs exact:", fluid)
    print("plain vs exact:", error["plain_vs_exact"])
    print("speed:", {k: v for k, v in speed.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
