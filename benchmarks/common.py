"""Shared helpers for the benchmark scripts: timing, memory, machine info, JSON results.

Every benchmark writes ``benchmarks/results/<name>.json`` through
:func:`write_result`. ``make_results.py`` turns those files into
``RESULTS.md``; it renders any result's ``targets`` list (built with
:func:`target`) as a "metric | measured | target | met" table, so a new
benchmark only needs to fill that list.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
OUT_DIR = BENCH_DIR / "out"  # gitignored scratch space (exports, tj3 reports)
REPO_DIR = BENCH_DIR.parent


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(repo: Path = REPO_DIR) -> str:
    """The short commit checked out in ``repo``."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown"


def machine_info(repo: Path = REPO_DIR) -> dict[str, Any]:
    """Where and when a measurement was taken, and the commit of ``repo`` (the code measured)."""
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(repo),
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of one call and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def timed_cpu(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call, and its result.

    CPU time (this process only) is what the call would take on an idle
    machine; on a shared one wall time also counts waiting for a core.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def repeat_timed(fn: Callable[[], Any], *, repeat: int, warmup: int = 1) -> list[float]:
    """Wall seconds of ``repeat`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    return [timed(fn)[0] for _ in range(repeat)]


def summary_ms(seconds: Sequence[float], prefix: str = "") -> dict[str, float]:
    """p50 / p95 / max / mean in milliseconds (NumPy's linear percentiles)."""
    values = np.asarray(seconds, dtype=np.float64) * 1000.0
    if values.size == 0:
        return {"n": 0}
    return {
        "n": int(values.size),
        f"{prefix}p50_ms": round(float(np.percentile(values, 50)), 3),
        f"{prefix}p95_ms": round(float(np.percentile(values, 95)), 3),
        f"{prefix}max_ms": round(float(values.max()), 3),
        f"{prefix}mean_ms": round(float(values.mean()), 3),
    }


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def current_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        pass
    return float("nan")


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux ``clear_refs``); False if unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def window_peak_rss_mib() -> float:
    """Peak RSS since the last :func:`reset_peak_rss` (``VmHWM``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        pass
    return peak_rss_mib()


def target(
    metric: str,
    measured: float | None,
    limit: float,
    unit: str,
    *,
    area: str = "",
    higher_is_better: bool = False,
) -> dict[str, Any]:
    """A measured value against its target; ``met`` is None when nothing was measured."""
    sign = "≥" if higher_is_better else "≤"
    met = None
    if measured is not None:
        met = measured >= limit if higher_is_better else measured <= limit
    return {
        "area": area,
        "metric": metric,
        "measured": measured,
        "unit": unit,
        "target": f"{sign} {limit:g} {unit}".strip(),
        "limit": limit,
        "met": met,
    }


def write_result(name: str, payload: dict[str, Any], *, repo: Path = REPO_DIR) -> Path:
    """Write ``results/<name>.json`` with machine info added (its commit: that of ``repo``,
    the checkout whose code was measured); return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {"name": name, "machine": machine_info(repo), **payload}
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return path


def python_command() -> list[str]:
    """The interpreter running this benchmark, for child processes."""
    return [sys.executable]
