"""Gunicorn settings for benchmarks: every worker keeps its plan cache counters in a file.

Passed as ``gunicorn -c benchmarks/gunicorn_plan_stats.py``. After each request a worker
whose counters (``promising.cache.plan_cache_stats``: snapshot builds, journal replays,
engine runs, ...) have changed writes them to ``$BENCH_PLAN_STATS_DIR/worker-<pid>.json``,
so a benchmark can read how often each process rebuilt its plan without the product
serving any debug endpoint. Without ``BENCH_PLAN_STATS_DIR`` it does nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

_written: dict[int, tuple[int, ...]] = {}


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """Gunicorn's hook, run in the worker once the response has been sent."""
    directory = os.environ.get("BENCH_PLAN_STATS_DIR")
    if not directory:
        return
    from promisekeeper.promising.cache import plan_cache_stats

    counters = asdict(plan_cache_stats())
    pid = os.getpid()
    if _written.get(pid) == tuple(counters.values()):
        return
    path = Path(directory) / f"worker-{pid}.json"
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(counters))
    partial.replace(path)  # atomic: a reader sees the old counters or the new ones
    _written[pid] = tuple(counters.values())
