"""Assemble ``benchmarks/RESULTS.md`` from every ``benchmarks/results/*.json``.

Usage::

    .venv/bin/python benchmarks/make_results.py

Any result file with a ``targets`` list (see ``common.target``) becomes a
"metric | measured | target | met" table; the engine and TaskJuggler results
get extra tables; files of unknown shape are rendered generically (scalar
fields, and lists of flat records as tables). Missing files are listed, not
fatal.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
OUTPUT = BENCH_DIR / "RESULTS.md"
EXPECTED_AREAS = (
    ("engine", "bench_engine.py"),
    ("taskjuggler", "bench_taskjuggler.py"),
    ("psplib", "bench_psplib.py"),
    ("http", "HTTP benchmark"),
    ("hold_storm", "bench_hold_storm.py"),
    ("dashboard", "dashboard benchmark"),
)
AREA_ORDER = ("engine", "taskjuggler", "psplib", "http", "hold_storm", "dashboard")


def area_of(name: str) -> str:
    for area in AREA_ORDER:
        if name == area or name.startswith(area + "_") or name.startswith(area + "-"):
            return area
    return "other"


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {fmt(v)}" for k, v in value.items())
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def met_cell(met: Any) -> str:
    return {True: "✅ yes", False: "❌ no"}.get(met, "—")


def machine_line(machine: dict[str, Any]) -> str:
    if not machine:
        return "_machine unknown_"
    parts = [
        f"{machine.get('nproc', '?')} × {machine.get('cpu_model', '?')}",
        f"Python {machine.get('python', '?')}",
        f"NumPy {machine.get('numpy', '?')}",
    ]
    if machine.get("load_average"):
        parts.append(f"load avg {fmt(machine['load_average'])}")
    if machine.get("commit"):
        parts.append(f"commit {machine['commit']}")
    return f"_Measured {machine.get('date', '?')} on {'; '.join(parts)}._"


def targets_table(targets: Sequence[dict[str, Any]]) -> list[str]:
    rows = []
    for t in targets:
        measured = t.get("measured")
        shown = "—" if measured is None else f"{fmt(measured)} {t.get('unit', '')}".strip()
        rows.append((t.get("metric", "?"), shown, t.get("target", "—"), met_cell(t.get("met"))))
    return table(("metric", "measured", "target", "met"), rows)


def engine_sections(doc: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    growth = doc.get("growth") or []
    steps = [s for s in ("S->M", "M->L") if any(r.get(s) is not None for r in growth)]
    if steps:
        lines += ["**Cost growth** (ratio of cost per 10× more people and projects):", ""]
        header = ("metric", *(s.replace("->", " → ") for s in steps))
        rows = [(r["metric"], *(fmt_ratio(r.get(s)) for s in steps)) for r in growth]
        lines += table(header, rows)
    sizes = doc.get("sizes") or {}
    if sizes:
        lines += ["**Per size:**", ""]
        header = (
            "size",
            "people / projects / phases",
            "schedule s: wall / CPU (no repair, wall)",
            "late / unscheduled",
            "earliest_finish p50 / p95 ms (CPU p95)",
            "can_deliver_by p50 / p95 ms (CPU p95)",
            "confidence p50 / p95 ms (CPU p95)",
            "peak RSS MiB",
        )
        rows = []
        for size, r in sizes.items():
            plan = r.get("plan", {})
            rows.append(
                (
                    size,
                    f"{r.get('people', '?'):,} / {r.get('projects', '?'):,} / {r.get('phases', '?'):,}",
                    f"{fmt(r.get('schedule_s'))} / {fmt(r.get('schedule_cpu_s'))}"
                    f" ({fmt(r.get('schedule_constructive_s'))})",
                    f"{fmt(plan.get('late'))} / {fmt(plan.get('unscheduled'))}",
                    pair(r.get("earliest_finish")),
                    pair(r.get("can_deliver_by")),
                    pair(r.get("confidence")),
                    r.get("peak_rss_mib"),
                )
            )
        lines += table(header, rows)
    return lines


def fmt_ratio(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}×"


def pair(section: dict[str, Any] | None) -> str:
    if not section:
        return "—"
    cpu = f" ({fmt(section['cpu_p95_ms'])})" if "cpu_p95_ms" in section else ""
    return f"{fmt(section.get('p50_ms'))} / {fmt(section.get('p95_ms'))}{cpu}"


def taskjuggler_sections(doc: dict[str, Any]) -> list[str]:
    ours, theirs = doc.get("ours") or {}, doc.get("taskjuggler") or {}
    if not ours and not theirs:
        return []
    keys = (
        ("plan time, wall (s)", "seconds"),
        ("plan time, CPU (s)", "cpu_seconds"),
        ("projects late", "late"),
        ("projects unscheduled", "unscheduled"),
        ("total lateness (days)", "total_lateness_days"),
        ("mean lateness of late projects (days)", "mean_lateness_days"),
        ("makespan (days)", "makespan_days"),
    )
    lines = [f"**Same portfolio** ({fmt(doc.get('instance', {}))}):", ""]
    lines += table(
        ("metric", "Promisekeeper", "TaskJuggler"),
        [(label, ours.get(key), theirs.get(key)) for label, key in keys],
    )
    if theirs.get("status") and theirs["status"] != "ok":
        lines += [f"TaskJuggler run status: **{theirs['status']}** {theirs.get('detail', '')}", ""]
    for note in doc.get("notes") or []:
        lines.append(f"- {note}")
    return lines + ([""] if doc.get("notes") else [])


def hold_storm_sections(doc: dict[str, Any]) -> list[str]:
    """The code measured, quotes without and with a hold a second, and the limit probe."""
    code = doc.get("code") or {}
    lines = [f"_Code measured: commit {code.get('commit', '?')} ({code.get('repo', '?')})._", ""]
    if doc.get("params"):
        lines += [f"_Params: {fmt(doc['params'])}._", ""]
    header = (
        "phase",
        "quotes",
        "quotes/s",
        "p50 / p95 / max ms",
        "plan rebuilds",
        "journal replays",
        "worker CPU ms per quote",
        "holds placed",
    )
    rows = []
    for name in ("baseline", "storm"):
        phase = doc.get(name) or {}
        plan = phase.get("plan") or {}
        cpu = phase.get("cpu_ms_per_quote") or {}
        holds = phase.get("holds") or {}
        latency = " / ".join(fmt(phase.get(k)) for k in ("p50_ms", "p95_ms", "max_ms"))
        rows.append(
            (
                name,
                phase.get("n"),
                phase.get("per_s"),
                latency,
                plan.get("snapshot_builds"),
                plan.get("snapshot_replays"),
                cpu.get("workers"),
                holds.get("placed", 0),
            )
        )
    lines += table(header, rows)
    holds = (doc.get("storm") or {}).get("holds") or {}
    if holds:
        lines += [
            f"Storm holds: {fmt(holds.get('placed'))} placed of {fmt(holds.get('attempted'))}"
            f" (statuses {fmt(holds.get('statuses'))}), p95 "
            f"{fmt((holds.get('latency') or {}).get('p95_ms'))} ms; the default limit would "
            f"have refused {fmt(holds.get('refused_at_default_limit'))}.",
            "",
        ]
    probe = doc.get("limit_probe") or {}
    if probe.get("attempted"):
        lines += [
            f"Limit probe ({fmt(probe.get('setting'))}): {fmt(probe.get('placed'))} of "
            f"{fmt(probe.get('attempted'))} holds at one a second accepted (statuses "
            f"{fmt(probe.get('statuses'))}).",
            "",
        ]
    lines += [f"- {note}" for note in doc.get("notes") or []]
    return lines + ([""] if doc.get("notes") else [])


def _measurements(value: Any) -> bool:
    """A mapping of measurements, one row each: scalars, some perhaps broken down by a flat
    mapping shown in one cell ("workers: 27.9, postgres: 6.9"). A mapping of mappings only
    (per instance, per size) is not one: its own renderer or the JSON shows it."""
    if not isinstance(value, dict) or not value:
        return False
    scalars = [v for v in value.values() if not isinstance(v, dict | list)]
    breakdowns = [v for v in value.values() if isinstance(v, dict)]
    flat = all(not isinstance(x, dict | list) for v in breakdowns for x in v.values())
    return bool(scalars) and flat and len(scalars) + len(breakdowns) == len(value)


def generic_sections(doc: dict[str, Any], *, with_scalars: bool = True) -> list[str]:
    skip = {"name", "machine", "title", "targets"}
    scalars = [(k, v) for k, v in doc.items() if k not in skip and not isinstance(v, dict | list)]
    lines: list[str] = []
    if scalars and with_scalars:
        lines += table(
            ("metric", "measured", "target", "met"), [(k, v, "—", "—") for k, v in scalars]
        )
    for key, value in doc.items():
        if key in skip:
            continue
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            columns: list[str] = []
            for record in value:
                columns += [c for c in record if c not in columns]
            lines += [f"**{key}:**", ""]
            lines += table(columns, [[r.get(c) for c in columns] for r in value])
        elif key == "notes" and isinstance(value, list):
            lines += [f"- {note}" for note in value] + [""]
        elif key in ("settings", "params") and isinstance(value, dict):
            lines += [f"_{key.capitalize()}: {fmt(value)}._", ""]
        elif _measurements(value):
            lines += [f"**{key}:**", ""]
            lines += table(("metric", "measured"), list(value.items()))
    return lines


def render(docs: Sequence[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Generated by `benchmarks/make_results.py` from `benchmarks/results/*.json`;"
        " do not edit by hand. How to run each benchmark: `benchmarks/README.md`.",
        "",
    ]
    machines: list[dict[str, Any]] = [doc["machine"] for _, doc in docs if doc.get("machine")]
    if machines:
        lines += ["Machine: " + machine_line(machines[0]), ""]
    present = {area_of(name) for name, _ in docs}
    missing = [f"{area} ({how})" for area, how in EXPECTED_AREAS if area not in present]
    if missing:
        lines += ["Not measured yet: " + ", ".join(missing) + ".", ""]
    ordered = sorted(
        docs,
        key=lambda d: (
            AREA_ORDER.index(area_of(d[0])) if area_of(d[0]) in AREA_ORDER else 99,
            d[0],
        ),
    )
    for name, doc in ordered:
        area = area_of(name)
        lines += [f"## {doc.get('title') or name}", "", machine_line(doc.get("machine", {})), ""]
        if doc.get("targets"):
            lines += targets_table(doc["targets"])
        if area == "engine":
            lines += engine_sections(doc)
        elif area == "taskjuggler":
            lines += taskjuggler_sections(doc)
        elif area == "hold_storm":
            lines += hold_storm_sections(doc)
        else:
            lines += generic_sections(doc, with_scalars=not doc.get("targets"))
    return "\n".join(lines).rstrip() + "\n"


def load(results_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(results_dir.glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            doc = {"title": path.stem, "error": f"unreadable: {error}"}
        if not isinstance(doc, dict):
            doc = {"title": path.stem, "records": doc}
        docs.append((path.stem, doc))
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write RESULTS.md from results/*.json")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    args.output.write_text(render(load(args.results)))
    print(f"wrote {args.output}")  # noqa: T201 - a script's one line of output
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
