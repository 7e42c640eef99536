"""Effort calibration: speed of the CSV command and the quality of its P50/P80/P95 hours.

    nice .venv/bin/python benchmarks/bench_calibration.py              # 10,000 rows, 3 seeds
    nice .venv/bin/python benchmarks/bench_calibration.py --rows 2000 --seeds 1

Speed: ``promisekeeper engine calibrate`` as a user runs it (a child process, CSV in and
out), on ``--rows`` history rows and as many predictions, each made on the day its row
finished (a rolling origin: only earlier history is used). Target: ≤ 60 s for 10,000 rows.

Quality: on synthetic history whose truth is known
(``promisekeeper.research.effort_history``: per-group log-normal actual/estimate, uneven
group sizes, slow drift), after the first 10 % of rows: the share of actual hours at or
below P50/P80/P95 (targets 0.80 ± 0.03 and 0.95 ± 0.02) and the mean pinball loss at each
level against a rolling multiplier (the mean actual/estimate of the group's last 20 rows).
Result: ``results/calibration.json``.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO_DIR / "src")]

from common import target, write_result  # noqa: E402

from promisekeeper.engine.calibration import LEVELS, EffortQuantiles, pinball_loss  # noqa: E402
from promisekeeper.research.effort_history import (  # noqa: E402
    history_generate,
    rolling_multiplier,
)

TARGET_SECONDS = 60.0
WARM_SHARE = 0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()

    runs = [_run(args.rows, seed) for seed in range(args.seeds)]
    seconds = max(r["seconds"] for r in runs)
    p80 = [r["calibrated"]["covered"][1] for r in runs]
    p95 = [r["calibrated"]["covered"][2] for r in runs]
    beats = all(
        all(c < s for c, s in zip(r["calibrated"]["pinball"], r["rolling"]["pinball"], strict=True))
        for r in runs
    )
    targets = [
        target(f"calibrate {args.rows} rows (CLI)", round(seconds, 2), TARGET_SECONDS, "s"),
        target(
            "P80 coverage, worst seed off 0.80", round(max(abs(c - 0.8) for c in p80), 3), 0.03, ""
        ),
        target(
            "P95 coverage, worst seed off 0.95", round(max(abs(c - 0.95) for c in p95), 3), 0.02, ""
        ),
        target(
            "pinball loss below the rolling multiplier at P50/P80/P95, every seed",
            1.0 if beats else 0.0,
            1.0,
            "",
            higher_is_better=True,
        ),
    ]
    path = write_result(
        "calibration", {"rows": args.rows, "seeds": args.seeds, "runs": runs, "targets": targets}
    )
    for run in runs:
        print(
            f"seed {run['seed']}: {run['seconds']:.1f} s; covered {run['calibrated']['covered']}; "
            f"pinball {run['calibrated']['pinball']} vs rolling {run['rolling']['pinball']}"
        )
    print(f"wrote {path}")


def _run(rows: int, seed: int) -> dict[str, Any]:
    history, truths = history_generate(rows=rows, seed=seed)
    with tempfile.TemporaryDirectory(prefix="pk-bench-calibration-") as tmp:
        folder = Path(tmp)
        _write(
            folder / "history.csv",
            ["id", "group", "estimate_hours", "actual_hours", "finished_on"],
            [[h.id, h.group, h.estimate_hours, h.actual_hours, h.finished_on] for h in history],
        )
        _write(
            folder / "predict.csv",
            ["id", "group", "estimate_hours", "on"],
            [[h.id, h.group, h.estimate_hours, h.finished_on] for h in history],
        )
        command = [
            str(Path(sys.executable).parent / "promisekeeper"),
            "engine",
            "calibrate",
            "--history",
            str(folder / "history.csv"),
            "--predict",
            str(folder / "predict.csv"),
            "--out",
            str(folder / "out.csv"),
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - started
        with (folder / "out.csv").open(newline="") as out:
            written = [
                EffortQuantiles(
                    r["id"], float(r["p50_hours"]), float(r["p80_hours"]), float(r["p95_hours"])
                )
                for r in csv.DictReader(out)
            ]
    warm = slice(int(rows * WARM_SHARE), None)
    actual = np.array([h.actual_hours for h in history])[warm]
    return {
        "seed": seed,
        "groups": len(truths),
        "seconds": round(seconds, 3),
        "calibrated": _score(actual, written[warm]),
        "rolling": _score(actual, rolling_multiplier(history)[warm]),
    }


def _score(actual: np.ndarray, predicted: list[EffortQuantiles]) -> dict[str, list[float]]:
    hours = np.array([[q.p50_hours, q.p80_hours, q.p95_hours] for q in predicted])
    covered = [round(float((actual <= hours[:, i]).mean()), 4) for i in range(3)]
    pinball = [
        round(
            float(
                np.mean(
                    [pinball_loss(a, q, level) for a, q in zip(actual, hours[:, i], strict=True)]
                )
            ),
            4,
        )
        for i, level in enumerate(LEVELS)
    ]
    return {"covered": covered, "pinball": pinball}


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


if __name__ == "__main__":
    main()
