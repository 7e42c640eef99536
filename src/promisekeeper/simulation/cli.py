"""``promisekeeper simulate``: replay a business and compare how its quoting policies keep
their promises.

    promisekeeper simulate --scenario queue --utilisation 0.9 --days 3650 --out q.json
    promisekeeper simulate --scenario agency --policies standard,p80,p95 --chart agency.html

Prints a table (per policy: promises scored, share kept, stated confidence, mean quoted
lead time, utilisation; for the queue also the theory's best and best constant quotes)
and, on request, writes the JSON (``--out``) and a chart (``--chart``, a self-contained
HTML file: kept share against stated confidence, and quoted lead time per policy). A
progress bar runs on standard error while it works. Exit codes: 0 done, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from promisekeeper.simulation.policies import Policy
from promisekeeper.simulation.replays import DEFAULT_SAMPLES, RunResult, replay
from promisekeeper.simulation.scenarios import Scenario, agency_scenario, queue_scenario
from promisekeeper.simulation.scoring import PolicyScore, queue_theory, score

EXIT_OK = 0
EXIT_BAD_INPUT = 2
MAX_DAYS = 20 * 365
DEFAULT_UTILISATION = {"queue": 0.8, "agency": 0.85}


class BadInput(ValueError):
    """A command-line value is wrong; the message names the option."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promisekeeper simulate",
        description="Replay a business day by day and compare its quoting policies.",
    )
    parser.add_argument("--scenario", choices=("queue", "agency"), default="agency")
    parser.add_argument(
        "--utilisation",
        type=float,
        help="the share of the firm's hours the arriving work needs "
        "(default 0.8 for the queue, 0.85 for the agency)",
    )
    parser.add_argument("--days", type=int, default=365, help="days of arrivals (default 365)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES)
    parser.add_argument(
        "--policies",
        default=",".join(p.value for p in Policy),
        help="comma-separated: " + ", ".join(p.value for p in Policy),
    )
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--chart", type=Path, help="write an HTML chart here")
    return parser


def parse_policies(text: str) -> list[Policy]:
    """The policies named in ``text`` (comma-separated), in that order."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise BadInput("--policies: name at least one policy")
    try:
        return [Policy(name) for name in names]
    except ValueError:
        allowed = ", ".join(p.value for p in Policy)
        raise BadInput(f"--policies: unknown policy in {text!r}; expected {allowed}") from None


def scenario_of(name: str, utilisation: float | None) -> Scenario:
    """The built-in scenario ``name`` at ``utilisation`` (its default when ``None``)."""
    level = DEFAULT_UTILISATION[name] if utilisation is None else utilisation
    if not 0 < level < 1:
        raise BadInput(f"--utilisation: must be between 0 and 1, got {level}")
    return queue_scenario(level) if name == "queue" else agency_scenario(level)


def check_numbers(args: argparse.Namespace) -> None:
    if not 30 <= args.days <= MAX_DAYS:
        raise BadInput(f"--days: must be between 30 and {MAX_DAYS}, got {args.days}")
    if not 50 <= args.samples <= 10_000:
        raise BadInput(f"--samples: must be between 50 and 10000, got {args.samples}")
    if args.seed < 0:
        raise BadInput(f"--seed: must be 0 or more, got {args.seed}")


def run(
    scenario: Scenario,
    policies: Sequence[Policy],
    *,
    days: int,
    seed: int,
    samples: int,
    console: Console,
) -> list[RunResult]:
    """Replay every policy on the same stream, with a progress bar on ``console``."""
    results: list[RunResult] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("day {task.completed:.0f}/{task.total:.0f}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        tasks = {p: bar.add_task(p.label, total=days) for p in policies}
        for policy in policies:
            task = tasks[policy]

            def step(day: int, _total: int, task: Any = task) -> None:
                bar.update(task, completed=day)

            results.append(
                replay(scenario, policy, days=days, seed=seed, samples=samples, progress=step)
            )
    return results


def report(
    scenario: Scenario, results: Sequence[RunResult], *, days: int, seed: int, samples: int
) -> dict[str, Any]:
    """The JSON document of a simulation: the scores, and the theory for the queue."""
    scores = [score(r) for r in results]
    document: dict[str, Any] = {
        "scenario": scenario.name,
        "people": len(scenario.people),
        "arrivals_per_working_day": scenario.arrivals_per_working_day,
        "days": days,
        "warmup_days": scenario.warmup_days,
        "seed": seed,
        "samples": samples,
        "policies": [s.as_dict() for s in scores],
        "seconds": {r.policy.value: round(r.seconds, 1) for r in results},
    }
    if scenario.name.startswith("queue"):
        document["theory"] = _queue_theory(scenario)
    return document


def _queue_theory(scenario: Scenario) -> dict[str, dict[str, float]]:
    rho = scenario.arrivals_per_working_day * scenario.offerings[0].phases[0].effort_hours / 8.0
    mean_days = scenario.offerings[0].phases[0].effort_hours / 8.0
    out = {}
    for alpha in (0.8, 0.95):
        t = queue_theory(round(rho, 6), alpha)
        out[f"{alpha:g}"] = {
            "rho": round(rho, 4),
            "optimal_mean_jobs": round(t.optimal, 2),
            "constant_mean_jobs": round(t.constant, 2),
            "optimal_days": round(t.optimal * mean_days, 1),
            "constant_days": round(t.constant * mean_days, 1),
        }
    return out


def print_table(console: Console, document: dict[str, Any], scores: Sequence[PolicyScore]) -> None:
    table = Table(title=f"{document['scenario']}: {document['days']} days, seed {document['seed']}")
    for column in ("policy", "stated", "promises", "kept", "mean quote (days)", "utilisation"):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for s in scores:
        table.add_row(
            s.policy.label,
            "-" if s.stated is None else f"{s.stated:.0%}",
            str(s.promises),
            f"{s.kept_share:.1%}",
            f"{s.mean_quoted_days:.1f}",
            f"{s.utilisation:.1%}",
        )
    console.print(table)
    for alpha, t in document.get("theory", {}).items():
        console.print(
            f"theory at {float(alpha):.0%}: best quote {t['optimal_days']} days on average, "
            f"best constant {t['constant_days']} days"
        )


def write_chart(path: Path, document: dict[str, Any]) -> None:
    """A self-contained HTML chart (plotly.js inlined: it opens offline)."""
    from plotly.subplots import make_subplots

    rows = document["policies"]
    stated = [r for r in rows if r["stated"] is not None]
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Promises kept against stated confidence", "Mean quoted lead time"),
    )
    figure.add_scatter(
        x=[0.4, 1.0], y=[0.4, 1.0], mode="lines", name="kept as stated", row=1, col=1
    )
    figure.add_scatter(
        x=[r["stated"] for r in stated],
        y=[r["kept_share"] for r in stated],
        mode="markers+text",
        text=[f"{r['label']} (n={r['promises']})" for r in stated],
        textposition="top left",
        name="engine",
        row=1,
        col=1,
    )
    figure.add_bar(
        x=[r["label"] for r in rows],
        y=[r["mean_quoted_days"] for r in rows],
        text=[f"kept {r['kept_share']:.0%}" for r in rows],
        name="quoted days",
        row=1,
        col=2,
    )
    figure.update_xaxes(title_text="stated confidence", row=1, col=1)
    figure.update_yaxes(title_text="share kept", row=1, col=1)
    figure.update_yaxes(title_text="days", row=1, col=2)
    figure.update_layout(title=document["scenario"], showlegend=False)
    figure.write_html(path, include_plotlyjs=True, full_html=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console, errors = Console(), Console(stderr=True)
    try:
        check_numbers(args)
        policies = parse_policies(args.policies)
        scenario = scenario_of(args.scenario, args.utilisation)
    except BadInput as error:
        errors.print(f"error: {error}")
        return EXIT_BAD_INPUT
    started = time.perf_counter()
    results = run(
        scenario, policies, days=args.days, seed=args.seed, samples=args.samples, console=errors
    )
    document = report(scenario, results, days=args.days, seed=args.seed, samples=args.samples)
    document["total_seconds"] = round(time.perf_counter() - started, 1)
    print_table(console, document, [score(r) for r in results])
    if args.out:
        args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if args.chart:
        write_chart(args.chart, document)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
