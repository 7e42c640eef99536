"""The engine command line, end to end through ``main(argv)``: files in, tables and exit codes out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from promisekeeper.engine_cli import main

FIXTURES = Path(__file__).parent / "fixtures"
STUDIO = str(FIXTURES / "studio.json")
NEW = str(FIXTURES / "new_project.json")

TINY_SM = """\
jobs (incl. supersource/sink ):  4
RESOURCES
  - renewable                 :  1   R
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           4
   4        1          0
REQUESTS/DURATIONS:
jobnr. mode duration  R 1
------------------------------------------------------------------------
  1      1     0       0
  2      1     3       1
  3      1     2       1
  4      1     0       0
RESOURCEAVAILABILITIES:
  R 1
    1
"""


@pytest.fixture
def plan_path(tmp_path: Path) -> Path:
    out = tmp_path / "plan.json"
    assert main(["schedule", STUDIO, "--out", str(out), "--time-limit", "0.2"]) == 0
    return out


def no_traceback(captured: pytest.CaptureResult) -> None:
    assert "Traceback" not in captured.out + captured.err


# --------------------------------------------------------------------------- schedule


def test_schedule_writes_a_plan_and_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path = tmp_path / "plan.json"
    assert main(["schedule", STUDIO, "--out", str(plan_path), "--time-limit", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "Plan summary" in out
    assert "on time" in out and "makespan" in out and "time taken" in out
    data = json.loads(plan_path.read_text())
    assert data["horizon_start"] == "2026-01-05"
    assert {p["id"] for p in data["projects"]} == {"shopfit", "kiosk"}
    assert data["allocations"]


def test_schedule_reads_a_psplib_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "tiny.sm"
    source.write_text(TINY_SM)
    out = tmp_path / "plan.json"
    assert main(["schedule", str(source), "--out", str(out), "--time-limit", "0.2"]) == 0
    assert json.loads(out.read_text())["makespan_days"] == 5
    assert main(["check", str(source), str(out)]) == 0


def test_malformed_psplib_file_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.sm"
    broken.write_text(TINY_SM.replace("jobs (incl. supersource/sink ):  4", "jobs: 4"))
    assert main(["schedule", str(broken), "--out", str(tmp_path / "p.json")]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == "error: broken: header: missing the number of jobs"
    no_traceback(captured)


def test_schedule_lists_late_projects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(Path(STUDIO).read_text())
    data["projects"][0]["promised_date"] = "2026-01-09"
    instance = tmp_path / "tight.json"
    instance.write_text(json.dumps(data))
    assert main(["schedule", str(instance), "--out", str(tmp_path / "p.json")]) == 0
    out = capsys.readouterr().out
    assert "Late and unscheduled projects" in out and "shopfit" in out


def test_negative_time_limit_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["schedule", STUDIO, "--out", str(tmp_path / "p.json"), "--time-limit", "-1"])
    assert code == 2
    assert "--time-limit" in capsys.readouterr().err


# --------------------------------------------------------------------------- check


def test_check_accepts_the_scheduled_plan(
    plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["check", STUDIO, str(plan_path)]) == 0
    assert capsys.readouterr().out.strip() == "plan is valid"


def test_check_names_the_first_violation_and_the_count(
    plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(plan_path.read_text())
    data["allocations"][0]["hours"] += 30.0
    plan_path.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["check", STUDIO, str(plan_path), "--all"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("plan is invalid (")
    assert "violations); first: " in out
    assert "Violations" in out  # --all prints the table


# --------------------------------------------------------------------------- promise


def test_promise_prints_the_earliest_finish(
    plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["promise", STUDIO, "--project", NEW, "--plan", str(plan_path)]) == 0
    out = capsys.readouterr().out
    assert "Promise for popup" in out and "earliest finish" in out


def test_promise_json_answers_can_deliver_by(
    plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ["promise", STUDIO, "--project", NEW, "--plan", str(plan_path), "--json"]
    assert main([*argv, "--by", "2026-02-27"]) == 0
    report = json.loads(capsys.readouterr().out)
    earliest = report["earliest_finish"]
    assert report["project"] == "popup"
    assert earliest["finish_date"] is not None
    assert report["delivery"]["feasible"] is True
    assert report["delivery"]["by_date"] == "2026-02-27"
    assert report["confidence"] is None
    assert main([*argv, "--by", "2026-01-05"]) == 0
    assert json.loads(capsys.readouterr().out)["delivery"]["feasible"] is False


def test_promise_schedules_when_no_plan_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["promise", STUDIO, "--project", NEW, "--json", "--time-limit", "0.2"]
    assert main([*argv, "--by", "2026-02-27", "--reshuffle"]) == 0
    assert json.loads(capsys.readouterr().out)["delivery"]["feasible"] is True


def test_promise_with_confidence_reports_quantiles(
    plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ["promise", STUDIO, "--project", NEW, "--plan", str(plan_path), "--confidence"]
    assert main([*argv, "--samples", "50", "--seed", "3", "--json"]) == 0
    spread = json.loads(capsys.readouterr().out)["confidence"]
    assert spread["samples"] == 50 and spread["seed"] == 3
    assert spread["p50_day"] <= spread["p80_day"] <= spread["p95_day"]
    assert main([*argv, "--samples", "50"]) == 0
    assert "P80 finish" in capsys.readouterr().out


def test_confidence_without_its_module_is_a_clean_error(
    plan_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "promisekeeper.engine.confidence", None)
    argv = ["promise", STUDIO, "--project", NEW, "--plan", str(plan_path), "--confidence"]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("error: --confidence: the confidence module")


def test_reshuffle_without_a_date_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["promise", STUDIO, "--project", NEW, "--reshuffle"]) == 2
    assert capsys.readouterr().err.strip() == "error: --reshuffle: needs --by DATE"


@pytest.mark.parametrize(
    ("by", "message"),
    [
        ("2027-01-01", "error: --by: 2027-01-01 is outside the planning horizon"),
        ("next friday", "error: --by: must be an ISO date"),
    ],
)
def test_bad_by_date_is_an_error(by: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["promise", STUDIO, "--project", NEW, "--by", by]) == 2
    assert capsys.readouterr().err.startswith(message)


def test_new_project_with_a_bad_field_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(Path(NEW).read_text())
    data["phases"][0]["role"] = "plumbing"
    new = tmp_path / "new.json"
    new.write_text(json.dumps(data))
    assert main(["promise", STUDIO, "--project", str(new)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: project.phases[0].role: unknown role 'plumbing'")
    no_traceback(captured)


# --------------------------------------------------------------------------- errors


def test_missing_file_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert main(["check", STUDIO, str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == f"error: {missing}: file not found"
    no_traceback(captured)


def test_invalid_json_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert main(["schedule", str(broken), "--out", str(tmp_path / "p.json")]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {broken}: not valid JSON")
    no_traceback(captured)


def test_invalid_instance_field_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(Path(STUDIO).read_text())
    data["people"][2]["weekly_hours"] = [8, 8]
    instance = tmp_path / "bad.json"
    instance.write_text(json.dumps(data))
    assert main(["schedule", str(instance), "--out", str(tmp_path / "p.json")]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: people[2].weekly_hours: must have 7 values")
    no_traceback(captured)


def test_malformed_plan_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"horizon_start": "2026-01-05", "projects": []}))
    assert main(["check", STUDIO, str(plan)]) == 2
    assert capsys.readouterr().err.strip() == "error: allocations: is required"


def test_unknown_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_module_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "promisekeeper.engine_cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "schedule" in done.stdout and "promise" in done.stdout and "check" in done.stdout
