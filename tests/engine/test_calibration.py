"""Effort calibration: P50/P80/P95 hours learnt from finished work, through the engine's
Python API and the fixed CSV command (``promisekeeper engine calibrate``)."""

from __future__ import annotations

import csv
import math
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promisekeeper.engine.calibration import (
    LEVELS,
    PRIOR_RATIOS,
    CalibrationSettings,
    HistoryRow,
    PredictRow,
    calibrate,
    effort_distribution,
    pinball_loss,
    ratio_quantiles,
)
from promisekeeper.engine.effort import EffortKind
from promisekeeper.engine_cli import main
from promisekeeper.research.effort_history import (
    as_predictions,
    history_generate,
    rolling_multiplier,
)

DAY = date(2026, 3, 2)


def _rows(group: str, ratios: list[float], first: date = DAY) -> list[HistoryRow]:
    return [
        HistoryRow(f"{group}-{k}", group, 10.0, 10.0 * r, first + timedelta(days=k))
        for k, r in enumerate(ratios)
    ]


def test_only_history_finished_before_the_prediction_date_counts():
    history = _rows("Site/design", [2.0] * 10)
    first, last = history[0].finished_on, history[-1].finished_on

    on_first_day = ratio_quantiles(history, "Site/design", first)
    after_all = ratio_quantiles(history, "Site/design", last + timedelta(days=1))

    assert on_first_day == pytest.approx(PRIOR_RATIOS)  # the row finishing that day is unseen
    assert 1.5 < after_all[0] <= 2.0
    assert ratio_quantiles(history, "Site/design", last)[0] < after_all[0]


def test_a_rare_group_borrows_from_its_offering_and_a_common_one_speaks_for_itself():
    rng = np.random.default_rng(1)
    common = list(np.exp(rng.normal(math.log(1.5), 0.2, size=300)))
    history = [
        *_rows("Site/build", common),
        *_rows("Site/launch", [1.0, 1.0]),
        *_rows("Site/design", [1.25] * 100),
    ]
    on = DAY + timedelta(days=400)

    rare = ratio_quantiles(history, "Site/launch", on)[0]
    plenty = ratio_quantiles(history, "Site/design", on)[0]
    unseen = ratio_quantiles(history, "Site/qa", on)[0]

    assert plenty == pytest.approx(1.25, rel=0.02)
    assert 1.0 < rare < unseen  # pulled towards the offering, not all the way
    assert ratio_quantiles(history, "Site/build", on)[0] == pytest.approx(1.5, rel=0.05)


def test_on_history_with_a_known_truth_p80_and_p95_cover_and_beat_a_rolling_multiplier():
    history, _ = history_generate(rows=4000, seed=3)
    predicted = calibrate(history, as_predictions(history))
    baseline = rolling_multiplier(history)
    warm = slice(500, None)  # the first months have little history to learn from
    actual = np.array([h.actual_hours for h in history])[warm]
    ours = np.array([[q.p50_hours, q.p80_hours, q.p95_hours] for q in predicted])[warm]
    simple = np.array([q.p50_hours for q in baseline])[warm]

    covered = [(actual <= ours[:, i]).mean() for i in range(3)]
    assert covered[0] == pytest.approx(0.50, abs=0.04)
    assert covered[1] == pytest.approx(0.80, abs=0.03)
    assert covered[2] == pytest.approx(0.95, abs=0.02)
    for i, level in enumerate(LEVELS):
        our_loss = np.mean(
            [pinball_loss(a, q, level) for a, q in zip(actual, ours[:, i], strict=True)]
        )
        simple_loss = np.mean(
            [pinball_loss(a, q, level) for a, q in zip(actual, simple, strict=True)]
        )
        assert our_loss < simple_loss, level


@settings(max_examples=60, deadline=None)
@given(
    ratios=st.lists(st.floats(0.0, 20.0, allow_nan=False), min_size=0, max_size=30),
    estimate=st.floats(0.1, 500.0),
    offset=st.integers(-10, 60),
)
def test_quantiles_are_positive_and_ordered_for_any_history(ratios, estimate, offset):
    history = _rows("A/b", ratios) + _rows("A/c", ratios[::-1])
    [answer] = calibrate(history, [PredictRow("x", "A/b", estimate, DAY + timedelta(days=offset))])
    assert 0 < answer.p50_hours <= answer.p80_hours <= answer.p95_hours
    assert all(math.isfinite(h) for h in (answer.p50_hours, answer.p80_hours, answer.p95_hours))


# --------------------------------------------------------------------------- the CSV command


def _write(path: Path, header: str, lines: list[str]) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


HISTORY_HEADER = "id,group,estimate_hours,actual_hours,finished_on"
PREDICT_HEADER = "id,group,estimate_hours,on"


def test_the_command_writes_one_row_per_prediction_in_order(tmp_path, capsys):
    history = _write(
        tmp_path / "history.csv",
        HISTORY_HEADER,
        [f"h{k},Website build/design,10,{10 + k},2026-01-{k + 1:02d}" for k in range(20)],
    )
    predict = _write(
        tmp_path / "predict.csv",
        PREDICT_HEADER,
        ["late,Website build/design,40,2026-06-01", "early,Website build/design,40,2025-01-01"],
    )
    out = tmp_path / "out.csv"

    code = main(
        ["calibrate", "--history", str(history), "--predict", str(predict), "--out", str(out)]
    )

    assert code == 0
    with out.open(newline="") as written:
        rows = list(csv.DictReader(written))
    assert [r["id"] for r in rows] == ["late", "early"]
    assert list(rows[0]) == ["id", "p50_hours", "p80_hours", "p95_hours"]
    early = [float(rows[1][c]) for c in ("p50_hours", "p80_hours", "p95_hours")]
    assert early == pytest.approx([40 * r for r in PRIOR_RATIOS], abs=0.01)
    late = [float(rows[0][c]) for c in ("p50_hours", "p80_hours", "p95_hours")]
    assert late[0] > early[0] and late[0] <= late[1] <= late[2]
    assert "history rows" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("which", "line", "expected"),
    [
        ("history", "h1,A/b,ten,12,2026-01-01", "history.csv line 2, estimate_hours: 'ten' is not"),
        ("history", "h1,A/b,0,12,2026-01-01", "history.csv line 2, estimate_hours: must be"),
        ("history", "h1,A/b,10,-1,2026-01-01", "history.csv line 2, actual_hours: must be"),
        ("history", "h1,A/b,10,12,01/02/2026", "history.csv line 2, finished_on: '01/02/2026'"),
        ("history", "h1,A/b,10,nan,2026-01-01", "history.csv line 2, actual_hours: must be"),
        ("history", ",A/b,10,12,2026-01-01", "history.csv line 2, id: is empty"),
        ("history", "h1,A/b,10,12", "history.csv line 2: has the wrong number of cells"),
        ("predict", "p1,A/b,10,2026-02-30", "predict.csv line 2, on: '2026-02-30' is not a date"),
        ("predict", "p1,A/b,inf,2026-02-01", "predict.csv line 2, estimate_hours: must be"),
    ],
)
def test_a_bad_cell_names_its_file_line_and_column_and_writes_nothing(
    tmp_path, capsys, which, line, expected
):
    good_history = "h0,A/b,10,12,2026-01-01"
    good_predict = "p0,A/b,10,2026-02-01"
    history = _write(
        tmp_path / "history.csv",
        HISTORY_HEADER,
        [line, good_history] if which == "history" else [good_history],
    )
    predict = _write(
        tmp_path / "predict.csv",
        PREDICT_HEADER,
        [line, good_predict] if which == "predict" else [good_predict],
    )
    out = tmp_path / "out.csv"

    code = main(
        ["calibrate", "--history", str(history), "--predict", str(predict), "--out", str(out)]
    )

    assert code == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


def test_a_missing_column_or_a_repeated_prediction_id_is_refused(tmp_path, capsys):
    history = _write(tmp_path / "history.csv", "id,group,estimate_hours,finished_on", [])
    predict = _write(
        tmp_path / "predict.csv", PREDICT_HEADER, ["p,A,1,2026-01-01", "p,A,2,2026-01-02"]
    )
    out = tmp_path / "out.csv"
    args = ["calibrate", "--history", str(history), "--predict", str(predict), "--out", str(out)]

    assert main(args) == 2
    assert "history.csv header: missing column(s): actual_hours" in capsys.readouterr().err
    _write(history, HISTORY_HEADER, [])
    assert main(args) == 2
    assert "predict.csv line 3, id: 'p' appears twice" in capsys.readouterr().err
    assert not out.exists()


# --------------------------------------------------------------------------- distributions


def test_a_fitted_lognormal_has_the_pooled_median_and_a_spread_between_p80_and_p95() -> None:
    rows = _rows("Site/build", [0.9, 1.0, 1.2, 1.3, 1.5, 2.4, 1.1, 1.0, 1.4, 1.2] * 3)
    on = DAY + timedelta(days=60)
    fitted = effort_distribution(rows, "Site/build", on)
    p50, p80, p95 = ratio_quantiles(rows, "Site/build", on)
    assert fitted.kind is EffortKind.LOGNORMAL
    assert fitted.median == pytest.approx(p50)
    z80, z95 = NormalDist().inv_cdf(0.8), NormalDist().inv_cdf(0.95)
    assert min(math.log(p80 / p50) / z80, math.log(p95 / p50) / z95) <= fitted.sigma
    assert fitted.sigma <= max(math.log(p80 / p50) / z80, math.log(p95 / p50) / z95)


def test_an_empirical_fit_takes_the_most_specific_group_with_enough_rows_before_the_day() -> None:
    rows = _rows("Site/build", [1.5] * 4) + _rows("Site/design", [2.0] * 12)
    on = DAY + timedelta(days=30)
    own = effort_distribution(rows, "Site/design", on, kind=EffortKind.EMPIRICAL)
    assert own.kind is EffortKind.EMPIRICAL and own.ratios == pytest.approx([2.0] * 12)
    pooled = effort_distribution(rows, "Site/build", on, kind=EffortKind.EMPIRICAL)
    assert sorted(pooled.ratios) == pytest.approx([1.5] * 4 + [2.0] * 12)  # from "Site"
    too_early = effort_distribution(rows, "Site/design", DAY, kind=EffortKind.EMPIRICAL)
    assert too_early.kind is EffortKind.LOGNORMAL  # nothing finished yet: the prior
    capped = CalibrationSettings(max_rows_per_level=5)
    few = effort_distribution(rows, "Site/build", on, kind=EffortKind.EMPIRICAL, settings=capped)
    assert few.kind is EffortKind.LOGNORMAL  # 5 rows are too few to draw from
