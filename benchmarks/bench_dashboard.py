"""Dashboard render time on the M-size demo company (200 people, 150 projects in delivery).

Seeds a throwaway SQLite database exactly like ``promisekeeper seed --size M``, renders the
dashboard once cold (that request builds and caches the portfolio snapshot), then times warm
renders through Django's test client: server time, from request to finished response.

    nice .venv/bin/python benchmarks/bench_dashboard.py            # 40 warm renders
    nice .venv/bin/python benchmarks/bench_dashboard.py --repeat 100 --size S
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import summary_ms, target, timed, timed_cpu, write_result  # noqa: E402

TARGET_P95_MS = 500.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", choices=["S", "M", "L"])
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="pk-bench-dashboard-")
    os.environ["PROMISEKEEPER_DATA_DIR"] = data_dir
    os.environ["PROMISEKEEPER_DEV"] = "1"
    os.environ["DATABASE_URL"] = ""
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promisekeeper.settings")

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    seed_s, _ = timed(lambda: call_command("seed", size=args.size, verbosity=0))

    client = Client()
    client.force_login(get_user_model().objects.get(username="ops"))

    def render(path: str = "/") -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    cold_s, cold_cpu_s, _ = timed_cpu(render)
    warm_runs = [timed_cpu(render) for _ in range(args.repeat)]
    warm = [wall for wall, _, _ in warm_runs]
    warm_cpu = [cpu for _, cpu, _ in warm_runs]
    timeline = [timed(lambda: render("/insights/timeline/?role=developer"))[0] for _ in range(10)]
    cell = [
        timed(lambda: render("/insights/heatmap/cell/?row=role:developer&week=1"))[0]
        for _ in range(10)
    ]

    summary = summary_ms(warm)
    cpu_summary = summary_ms(warm_cpu)
    p95 = summary["p95_ms"]
    path = write_result(
        "dashboard",
        {
            "title": f"Dashboard render time ({args.size}-size demo company)",
            "params": {
                "size": args.size,
                "repeat": args.repeat,
                "client": "django.test.Client, warm",
            },
            "metric": "dashboard p95 server time (warm)",
            "measured": p95,
            "target": f"≤ {TARGET_P95_MS:g} ms",
            "met": p95 <= TARGET_P95_MS,
            "seed_s": round(seed_s, 2),
            "cold_ms": round(cold_s * 1000, 1),
            "cold_cpu_ms": round(cold_cpu_s * 1000, 1),
            "warm": summary,
            "warm_cpu": cpu_summary,
            "timeline_partial": summary_ms(timeline),
            "heatmap_cell_partial": summary_ms(cell),
            "targets": [
                target(
                    "dashboard p95 server time (warm)",
                    p95,
                    TARGET_P95_MS,
                    "ms",
                    area="dashboard",
                ),
                target(
                    "dashboard p95 server CPU time (warm; wall time without a busy machine)",
                    cpu_summary["p95_ms"],
                    TARGET_P95_MS,
                    "ms",
                    area="dashboard",
                ),
            ],
        },
    )
    print(f"seed {seed_s:.1f} s, cold render {cold_s * 1000:.0f} ms, warm {summary}")
    print(f"warm CPU {cpu_summary}")
    print(f"p95 {p95:.1f} ms (target ≤ {TARGET_P95_MS:.0f} ms) → {path}")


if __name__ == "__main__":
    main()
