"""The business replay: its stream, its delivery, its scores and its command line."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from promisekeeper.simulation import (
    Policy,
    agency_scenario,
    queue_scenario,
    queue_theory,
    replay,
    score,
)
from promisekeeper.simulation.cli import main
from promisekeeper.simulation.scenarios import TrueEffort, arrivals, mean_true_ratio


@pytest.mark.parametrize(
    ("rho", "alpha", "optimal", "constant"),
    [(0.8, 0.8, 6.55, 8.05), (0.8, 0.95, 8.82, 14.98), (0.9, 0.8, 12.24, 16.09)]
    + [(0.9, 0.95, 15.17, 29.96)],
)
def test_queue_theory_gives_the_published_mean_quotes(
    rho: float, alpha: float, optimal: float, constant: float
) -> None:
    theory = queue_theory(rho, alpha)
    assert round(theory.optimal, 2) == optimal
    assert round(theory.constant, 2) == constant


def test_the_stream_depends_on_the_seed_only() -> None:
    scenario = agency_scenario()
    first, again, other = (arrivals(scenario, 120, s) for s in (4, 4, 5))
    assert first == again
    assert first != other
    assert all(scenario.is_working_day(a.day) for a in first)
    assert all(0 < a.day < 120 or a.day == 0 for a in first)


def test_published_true_effort_has_the_published_quantiles() -> None:
    import numpy as np

    ratios = TrueEffort.PUBLISHED.ratios(np.random.default_rng(1), 200_000)
    p50, p80, p95 = np.quantile(ratios, [0.5, 0.8, 0.95])
    assert abs(p50 - 1.0) < 0.02 and abs(p80 - 1.43) < 0.03 and abs(p95 - 3.1) < 0.08
    assert mean_true_ratio(TrueEffort.EXPONENTIAL) == pytest.approx(1.0, abs=0.01)


def test_the_agency_arrivals_need_the_stated_share_of_its_hours() -> None:
    scenario = agency_scenario(0.85)
    stream = arrivals(scenario, 3650, 2)
    working_days = sum(scenario.is_working_day(d) for d in range(3650))
    arriving = sum(sum(a.true_hours) for a in stream) / working_days
    assert arriving / (8.0 * len(scenario.people)) == pytest.approx(0.85, abs=0.05)


def test_every_promise_is_delivered_and_every_true_hour_is_worked() -> None:
    scenario = queue_scenario(0.8)
    result = replay(scenario, Policy.P80, days=150, seed=3, samples=100)
    stream = arrivals(scenario, 150, 3)
    assert [p.number for p in result.promises] == [a.number for a in stream]
    assert all(p.finish_day is not None for p in result.promises)
    # one worker at efficiency 1: the hours worked are the hidden true efforts, exactly
    assert result.total_worked_hours == pytest.approx(sum(a.true_hours[0] for a in stream))
    for promise in result.promises:
        assert promise.kept == (
            promise.finish_day is not None and promise.finish_day <= promise.promised_day
        )


def test_a_job_on_an_idle_firm_takes_its_true_effort_and_work_goes_in_order() -> None:
    """The first job is worked from its arrival until its hidden true effort is done, and
    while every job stays inside its effort's range, jobs finish in the order promised."""
    scenario = queue_scenario(0.5)
    result = replay(scenario, Policy.DETERMINISTIC, days=60, seed=8, samples=100)
    stream = arrivals(scenario, 60, 8)
    first = result.promises[0]
    assert first.finish_day == stream[0].day + math.ceil(stream[0].true_hours[0] / 8.0) - 1
    finishes = [p.finish_day or 0 for p in result.promises[:6]]
    assert finishes == sorted(finishes)


def test_higher_stated_confidence_keeps_more_promises_with_longer_quotes() -> None:
    scenario = queue_scenario(0.8)
    scores = {
        p: score(replay(scenario, p, days=700, seed=2, samples=200))
        for p in (Policy.DETERMINISTIC, Policy.P50, Policy.P95)
    }
    assert scores[Policy.P95].kept_share > scores[Policy.P50].kept_share
    assert scores[Policy.P50].kept_share >= scores[Policy.DETERMINISTIC].kept_share - 0.05
    assert scores[Policy.P95].mean_quoted_days > scores[Policy.P50].mean_quoted_days
    assert scores[Policy.P95].kept_share >= 0.8
    assert scores[Policy.P95].promises == scores[Policy.P50].promises > 60


def test_the_standard_lead_time_is_the_idle_duration_plus_the_buffer() -> None:
    scenario = agency_scenario()
    result = replay(scenario, Policy.STANDARD, days=120, seed=1, samples=50)
    by_offering: dict[str, set[int]] = {}
    for p in result.promises:
        by_offering.setdefault(p.offering, set()).add(p.quoted_days)
    # every order of an offering gets the same calendar lead time, whatever the queue
    assert all(len(days) == 1 for days in by_offering.values())
    assert min(min(d) for d in by_offering.values()) > scenario.standard_buffer_days


def test_the_command_writes_the_table_json_and_chart(tmp_path: Path) -> None:
    out, chart = tmp_path / "run.json", tmp_path / "chart.html"
    code = main(
        [
            "--scenario",
            "queue",
            "--days",
            "120",
            "--samples",
            "100",
            "--policies",
            "standard,p80",
            "--out",
            str(out),
            "--chart",
            str(chart),
        ]
    )
    assert code == 0
    document = json.loads(out.read_text())
    assert [p["policy"] for p in document["policies"]] == ["standard", "p80"]
    assert document["theory"]["0.8"]["optimal_days"] == 32.7
    assert all(0 <= p["kept_share"] <= 1 and p["promises"] > 0 for p in document["policies"])
    html = chart.read_text()
    assert "Promises kept against stated confidence" in html
    # plotly.js is inlined (no script loaded from the network): the chart opens offline
    assert not re.search(r"<script[^>]+src=", html)
    assert "Plotly.newPlot" in html and len(html) > 1_000_000


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--days", "5"], "--days"),
        (["--samples", "3"], "--samples"),
        (["--utilisation", "1.2"], "--utilisation"),
        (["--policies", "p80,guess"], "--policies"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_bad_input_names_the_option_and_exits_2(
    argv: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.json"
    assert main([*argv, "--out", str(out)]) == 2
    assert named in capsys.readouterr().err
    assert not out.exists()


def test_promisekeeper_simulate_runs_without_django() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "promisekeeper", "simulate", "--days", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "--days" in done.stderr
