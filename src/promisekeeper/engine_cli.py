"""Command line for the engine: schedule a portfolio, quote a promise, check a plan.

Plain Python and rich, no Django: it reads the JSON formats of
:mod:`promisekeeper.engine.io` (or PSPLIB ``.sm`` files through
:mod:`promisekeeper.research.psplib`) and prints tables. It plans with
:func:`promisekeeper.research.schedule.schedule`: the engine's scheduler, with
the RCPSP solvers for RCPSP-shaped instances such as PSPLIB files.
Run it as ``python -m promisekeeper.engine_cli`` or ``promisekeeper engine``::

    python -m promisekeeper.engine_cli schedule studio.json --out plan.json
    python -m promisekeeper.engine_cli promise studio.json --project new.json --by 2026-02-20
    python -m promisekeeper.engine_cli check studio.json plan.json
    python -m promisekeeper.engine_cli calibrate --history h.csv --predict p.csv --out q.csv

Exit codes: 0 success, 1 the plan is invalid (``check``), 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from promisekeeper.engine.calibration import CalibrationSettings, calibrate
from promisekeeper.engine.calibration_csv import read_history, read_predict, write_quantiles
from promisekeeper.engine.check import check_plan
from promisekeeper.engine.errors import EngineError, InvalidInput
from promisekeeper.engine.io import (
    dump_json,
    load_instance,
    plan_from_dict,
    plan_to_dict,
    project_from_dict,
    read_json,
)
from promisekeeper.engine.model import Calendar, Instance, Project
from promisekeeper.engine.plan import Plan
from promisekeeper.research.psplib import read_sm

if TYPE_CHECKING:
    from promisekeeper.engine.confidence import ConfidenceAnswer
    from promisekeeper.engine.promise import DeliveryAnswer, PromiseAnswer

EXIT_OK = 0
EXIT_INVALID_PLAN = 1
EXIT_BAD_INPUT = 2
LATE_ROWS_SHOWN = 10

Handler = Callable[[argparse.Namespace, Console], int]


class _UsageError(Exception):
    """argparse wants to stop with this exit code (after --help or a usage error)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            sys.stderr.write(message)
        raise _UsageError(status)


def _non_negative_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``promisekeeper engine``."""
    parser = _Parser(
        prog="promisekeeper engine",
        description="Plan capacity and quote promises from JSON files, without the web app.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("schedule", help="plan every project of an instance")
    run.add_argument("instance", type=Path, help="instance JSON, or a PSPLIB .sm file")
    run.add_argument("--out", type=Path, required=True, help="where to write PLAN.json")
    _add_solver_options(run)
    run.set_defaults(handler=_schedule)

    quote = commands.add_parser("promise", help="when could a new project finish?")
    quote.add_argument("instance", type=Path, help="instance JSON, or a PSPLIB .sm file")
    quote.add_argument("--project", type=Path, required=True, help="the new project's JSON")
    quote.add_argument("--plan", type=Path, help="an existing PLAN.json (default: schedule now)")
    quote.add_argument("--by", type=str, metavar="DATE", help="can it finish by this date?")
    quote.add_argument(
        "--reshuffle", action="store_true", help="with --by: may re-plan unstarted work"
    )
    quote.add_argument(
        "--confidence", action="store_true", help="simulate effort uncertainty (P50/P80/P95)"
    )
    quote.add_argument("--samples", type=_positive_int, default=1000, help="default 1000")
    quote.add_argument("--seed", type=int, default=0, help="default 0")
    quote.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_solver_options(quote)
    quote.set_defaults(handler=_promise)

    verify = commands.add_parser("check", help="verify that a plan keeps every rule")
    verify.add_argument("instance", type=Path, help="instance JSON, or a PSPLIB .sm file")
    verify.add_argument("plan", type=Path, help="PLAN.json to verify")
    verify.add_argument("--all", action="store_true", help="list every violation")
    verify.set_defaults(handler=_check)

    fit = commands.add_parser(
        "calibrate", help="P50/P80/P95 hours of estimates, learnt from finished work (CSV)"
    )
    fit.add_argument(
        "--history",
        type=Path,
        required=True,
        help="CSV: id,group,estimate_hours,actual_hours,finished_on",
    )
    fit.add_argument("--predict", type=Path, required=True, help="CSV: id,group,estimate_hours,on")
    fit.add_argument(
        "--out", type=Path, required=True, help="CSV written: id,p50_hours,p80_hours,p95_hours"
    )
    fit.add_argument(
        "--half-life-days",
        type=_positive_int,
        default=365,
        help="how fast old history fades (default 365)",
    )
    fit.set_defaults(handler=_calibrate)
    return parser


def _add_solver_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-limit",
        type=_non_negative_seconds,
        default=10.0,
        metavar="SECONDS",
        help="seconds the improvement search may use (default 10)",
    )
    parser.add_argument("--exact", action="store_true", help="improve with CP-SAT (OR-Tools)")


def main(argv: list[str] | None = None) -> int:
    """Run one engine command; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as stop:
        return stop.code
    handler: Handler = args.handler
    try:
        return handler(args, Console(markup=False, highlight=False))
    except InvalidInput as error:
        return _fail(f"{error.field}: {error.message}")
    except FileNotFoundError as error:
        return _fail(f"{error.filename}: file not found")
    except OSError as error:
        return _fail(f"{error.filename}: {error.strerror}")
    except EngineError as error:
        return _fail(str(error))


def _calibrate(args: argparse.Namespace, console: Console) -> int:
    started = time.perf_counter()
    history = read_history(args.history)
    predict = read_predict(args.predict)
    settings = CalibrationSettings(half_life_days=float(args.half_life_days))
    answers = calibrate(history, predict, settings=settings)
    write_quantiles(args.out, answers)
    table = Table(title="Effort calibration", show_header=False)
    table.add_row("history rows", str(len(history)))
    table.add_row("predicted rows", str(len(predict)))
    table.add_row("groups", str(len({row.group for row in history})))
    table.add_row("seconds", f"{time.perf_counter() - started:.2f}")
    table.add_row("written", str(args.out))
    console.print(table)
    return EXIT_OK


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


# --------------------------------------------------------------------------- schedule


def _read_instance(path: Path) -> Instance:
    """An instance JSON file, or a PSPLIB ``.sm`` file (told apart by the suffix)."""
    if path.suffix.lower() == ".sm":
        return read_sm(path)
    return load_instance(path)


def _run_schedule(instance: Instance, args: argparse.Namespace) -> Plan:
    from promisekeeper.research.schedule import schedule

    try:
        return schedule(instance, time_limit=args.time_limit, exact=args.exact)
    except ImportError as error:
        raise EngineError(f"--exact needs OR-Tools, which is not importable ({error})") from None


def _schedule(args: argparse.Namespace, console: Console) -> int:
    instance = _read_instance(args.instance)
    started = time.perf_counter()
    plan = _run_schedule(instance, args)
    elapsed = time.perf_counter() - started
    dump_json(plan_to_dict(plan), args.out)
    console.print(_summary_table(plan, elapsed, args.out))
    late = _late_table(plan)
    if late is not None:
        console.print(late)
    return EXIT_OK


def _summary_table(plan: Plan, elapsed: float, out: Path) -> Table:
    calendar = plan.instance.calendar
    counts = Counter(result.status.value for result in plan.projects.values())
    table = Table(title="Plan summary", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("projects", str(len(plan.projects)))
    table.add_row("on time", str(counts["on_time"]))
    table.add_row("late", str(counts["late"]))
    table.add_row("no promise", str(counts["no_promise"]))
    table.add_row("unscheduled", str(counts["unscheduled"]))
    makespan = plan.makespan_days
    last = _finish_date(calendar, makespan) if makespan > 0 else "-"
    table.add_row("makespan", f"{makespan} days (last work {last})")
    table.add_row("time taken", f"{elapsed:.2f} s")
    table.add_row("written to", str(out))
    return table


def _late_table(plan: Plan) -> Table | None:
    calendar = plan.instance.calendar
    late = [r for r in plan.projects.values() if r.status.value in ("late", "unscheduled")]
    if not late:
        return None
    late.sort(key=lambda r: (r.status.value != "unscheduled", -(r.lateness_days or 0)))
    title = "Late and unscheduled projects"
    if len(late) > LATE_ROWS_SHOWN:
        title += f" (worst {LATE_ROWS_SHOWN} of {len(late)})"
    table = Table(title=title)
    for column in ("project", "status", "finish", "promised"):
        table.add_column(column)
    table.add_column("days late", justify="right")
    for result in late[:LATE_ROWS_SHOWN]:
        table.add_row(
            result.id,
            result.status.value,
            "-" if result.finish_day is None else _finish_date(calendar, result.finish_day),
            "-"
            if result.promised_day is None
            else calendar.date_of(result.promised_day).isoformat(),
            "-" if result.lateness_days is None else str(result.lateness_days),
        )
    return table


def _finish_date(calendar: Calendar, finish_day: int) -> str:
    """The last day of work of something that ends (exclusive) on ``finish_day``."""
    return calendar.date_of(finish_day - 1).isoformat()


# --------------------------------------------------------------------------- promise


def _by_day(text: str, calendar: Calendar) -> int:
    try:
        when = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("--by", f"must be an ISO date YYYY-MM-DD, got {text!r}") from None
    day = calendar.day_of(when)
    if not 0 <= day < calendar.horizon_days:
        last = calendar.date_of(calendar.horizon_days - 1)
        raise InvalidInput(
            "--by",
            f"{when.isoformat()} is outside the planning horizon "
            f"{calendar.start.isoformat()}..{last.isoformat()}",
        )
    return day


def _promise(args: argparse.Namespace, console: Console) -> int:
    from promisekeeper.engine.promise import can_deliver_by, earliest_finish

    if args.reshuffle and args.by is None:
        raise InvalidInput("--reshuffle", "needs --by DATE")
    instance = _read_instance(args.instance)
    calendar = instance.calendar
    project = project_from_dict(read_json(args.project), calendar, instance.roles)
    by_day = None if args.by is None else _by_day(args.by, calendar)
    if args.plan is not None:
        plan = plan_from_dict(read_json(args.plan), instance)
    else:
        plan = _run_schedule(instance, args)
    confidence = None
    if args.confidence:
        try:
            from promisekeeper.engine.confidence import confidence as simulate
        except ImportError:
            raise EngineError(
                "--confidence: the confidence module is not available in this build"
            ) from None
    answer = earliest_finish(plan, project)
    delivery = None
    if by_day is not None:
        delivery = can_deliver_by(plan, project, by_day, allow_reshuffle=args.reshuffle)
    if args.confidence:
        confidence = simulate(plan, project, samples=args.samples, seed=args.seed)
    report = promise_report(calendar, project, answer, delivery, confidence)
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        console.print(_promise_table(report))
        if report["delivery"] and report["delivery"]["moves"]:
            console.print(_moves_table(report["delivery"]["moves"]))
    return EXIT_OK


def promise_report(
    calendar: Calendar,
    project: Project,
    answer: PromiseAnswer,
    delivery: DeliveryAnswer | None = None,
    confidence: ConfidenceAnswer | None = None,
) -> dict[str, Any]:
    """The ``promise --json`` document: plain JSON values, every day also as a date.

    ``*_day`` values that are finish days are exclusive ends; their
    ``*_date`` is the last day of work, like ``finish_date`` in PLAN.json.
    """

    def finish(day: int | None) -> str | None:
        return None if day is None else _finish_date(calendar, int(day))

    def on(day: int | None) -> str | None:
        return None if day is None else calendar.date_of(int(day)).isoformat()

    bottleneck = answer.bottleneck
    report: dict[str, Any] = {
        "project": project.id,
        "promised_date": on(project.promised_day),
        "earliest_finish": {
            "status": str(answer.status.value),
            "finish_day": _int_or_none(answer.finish_day),
            "finish_date": finish(answer.finish_day),
            "unconstrained_finish_day": _int_or_none(answer.unconstrained_finish_day),
            "unconstrained_finish_date": finish(answer.unconstrained_finish_day),
            "phases": [
                {
                    "id": t.id,
                    "start_day": int(t.start_day),
                    "end_day": int(t.end_day),
                    "start_date": on(t.start_day),
                    "end_date": finish(t.end_day),
                }
                for t in answer.phases
            ],
            "bottleneck": None
            if bottleneck is None
            else {
                "phase": bottleneck.phase,
                "role": bottleneck.role,
                "delay_days": int(bottleneck.delay_days),
                "weeks": [
                    {
                        "week_start_day": int(week),
                        "week_start_date": on(week),
                        "utilisation": float(load),
                    }
                    for week, load in bottleneck.weeks
                ],
            },
        },
        "delivery": None,
        "confidence": None,
    }
    if delivery is not None:
        report["delivery"] = {
            "by_day": int(delivery.by_day),
            "by_date": on(delivery.by_day),
            "feasible": bool(delivery.feasible),
            "finish_day": _int_or_none(delivery.finish_day),
            "finish_date": finish(delivery.finish_day),
            "reshuffled": bool(delivery.reshuffled),
            "reason": str(delivery.reason),
            "moves": [
                {
                    "project": move.project_id,
                    "old_finish_day": int(move.old_finish_day),
                    "new_finish_day": int(move.new_finish_day),
                    "old_finish_date": finish(move.old_finish_day),
                    "new_finish_date": finish(move.new_finish_day),
                    "shift_days": int(move.shift_days),
                }
                for move in delivery.moves
            ],
        }
    if confidence is not None:
        spread: dict[str, Any] = {
            "samples": int(confidence.samples),
            "seed": int(confidence.seed),
            "beyond_horizon": int(confidence.beyond_horizon),
            "on_time_probability": _float_or_none(confidence.on_time_probability),
            "by_probability": None
            if delivery is None
            else float(confidence.probability_by(delivery.by_day)),
        }
        for level in ("p50", "p80", "p95"):
            day = _int_or_none(getattr(confidence, f"{level}_day"))
            spread[f"{level}_day"] = day
            spread[f"{level}_date"] = finish(day)
        report["confidence"] = spread
    return report


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _promise_table(report: dict[str, Any]) -> Table:
    earliest = report["earliest_finish"]
    table = Table(title=f"Promise for {report['project']}", show_header=False)
    table.add_column("what")
    table.add_column("answer")
    if earliest["finish_date"] is None:
        table.add_row("earliest finish", "does not fit before the horizon ends")
    else:
        table.add_row(
            "earliest finish", f"{earliest['finish_date']} ({earliest['status'].replace('_', ' ')})"
        )
    if report["promised_date"]:
        table.add_row("promised", report["promised_date"])
    if earliest["unconstrained_finish_date"]:
        table.add_row("on an empty calendar", earliest["unconstrained_finish_date"])
    bottleneck = earliest["bottleneck"]
    if bottleneck is not None:
        loads = ", ".join(
            f"{w['week_start_date']} {w['utilisation']:.0%}" for w in bottleneck["weeks"][:6]
        )
        table.add_row(
            "bottleneck",
            f"role {bottleneck['role']} in phase {bottleneck['phase']} "
            f"(+{bottleneck['delay_days']} days)",
        )
        if loads:
            table.add_row("role load by week", loads)
    delivery = report["delivery"]
    if delivery is not None:
        verdict = "yes" if delivery["feasible"] else "no"
        if delivery["feasible"] and delivery["reshuffled"]:
            verdict += f", by moving {len(delivery['moves'])} project(s)"
        if delivery["reason"]:
            verdict += f" ({delivery['reason']})"
        table.add_row(f"can deliver by {delivery['by_date']}", verdict)
    confidence = report["confidence"]
    if confidence is not None:
        for level in ("p50", "p80", "p95"):
            table.add_row(
                f"{level.upper()} finish", confidence[f"{level}_date"] or "beyond the horizon"
            )
        if confidence["on_time_probability"] is not None:
            table.add_row(
                "chance of meeting the promise", f"{confidence['on_time_probability']:.0%}"
            )
        if confidence["by_probability"] is not None:
            table.add_row(
                f"chance of finishing by {delivery['by_date']}",
                f"{confidence['by_probability']:.0%}",
            )
        table.add_row("simulated", f"{confidence['samples']} samples, seed {confidence['seed']}")
    return table


def _moves_table(moves: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="Projects the reshuffle moves")
    for column in ("project", "finish before", "finish after", "shift (days)"):
        table.add_column(column)
    for move in moves:
        table.add_row(
            move["project"],
            move["old_finish_date"],
            move["new_finish_date"],
            f"{move['shift_days']:+d}",
        )
    return table


# --------------------------------------------------------------------------- check


def _check(args: argparse.Namespace, console: Console) -> int:
    instance = _read_instance(args.instance)
    violations = check_plan(instance, read_json(args.plan))
    if not violations:
        console.print("plan is valid", highlight=False)
        return EXIT_OK
    first = violations[0]
    noun = "violation" if len(violations) == 1 else "violations"
    console.print(
        f"plan is invalid ({len(violations)} {noun}); first: {first.code}: {first.message}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if args.all:
        table = Table(title="Violations")
        for column in ("code", "message"):
            table.add_column(column)
        for violation in violations:
            table.add_row(violation.code, violation.message)
        console.print(table)
    return EXIT_INVALID_PLAN


if __name__ == "__main__":
    sys.exit(main())
