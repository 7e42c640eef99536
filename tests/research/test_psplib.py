"""The PSPLIB reader maps .sm files onto the engine model and names bad places."""

from __future__ import annotations

from pathlib import Path

import pytest

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import FixedPhase, validate_instance
from promisekeeper.research.psplib import parse_sm, read_reference, read_sm

from .paths import PSPLIB


def test_read_sm_maps_jobs_resources_and_people() -> None:
    instance = read_sm(PSPLIB / "j30" / "j301_1.sm")
    validate_instance(instance)
    (project,) = instance.projects
    assert project.id == "j301_1"
    assert instance.roles == ("R1", "R2", "R3", "R4")
    assert len(project.phases) == 30
    assert [p.id for p in project.phases] == [str(k) for k in range(2, 32)]
    assert len(instance.people) == 12 + 13 + 4 + 12
    assert sum("R3" in p.skills for p in instance.people) == 4
    assert all(p.weekly_hours == (8.0,) * 7 for p in instance.people)
    assert all(instance.calendar.working_weekdays)


def test_read_sm_keeps_durations_requests_and_precedence() -> None:
    phases = {p.id: p for p in read_sm(PSPLIB / "j30" / "j301_1.sm").projects[0].phases}
    assert all(isinstance(p, FixedPhase) for p in phases.values())
    assert (phases["2"].days, dict(phases["2"].crew)) == (8, {"R1": 4})
    assert (phases["31"].days, dict(phases["31"].crew)) == (2, {"R3": 2})
    assert phases["2"].predecessors == ()  # only the dummy source came before
    assert sorted(d.phase for d in phases["20"].predecessors) == ["11", "18", "5"]
    assert all(d.lag_days == 0 for p in phases.values() for d in p.predecessors)
    assert all(d.phase != "32" for p in phases.values() for d in p.predecessors)


def test_read_sm_horizon_covers_every_serial_schedule() -> None:
    instance = read_sm(PSPLIB / "j60" / "j6010_1.sm")
    total = sum(p.days for p in instance.projects[0].phases)
    assert len(instance.projects[0].phases) == 60
    assert instance.calendar.horizon_days == total + 1


def test_read_reference_marks_proven_optima() -> None:
    j30 = read_reference(PSPLIB / "j30_reference.csv")
    assert len(j30) == 480
    assert j30["j301_1"].makespan == 43 and j30["j301_1"].cpm_lb == 38
    assert all(ref.optimal for ref in j30.values())
    j60 = read_reference(PSPLIB / "j60_reference.csv")
    assert not all(ref.optimal for ref in j60.values())


def _text() -> str:
    return (PSPLIB / "j30" / "j301_1.sm").read_text()


def test_parse_sm_does_not_need_the_separator_lines() -> None:
    bare = "\n".join(line for line in _text().splitlines() if not line.startswith("*"))
    assert parse_sm(bare, "j301_1") == read_sm(PSPLIB / "j30" / "j301_1.sm")


@pytest.mark.parametrize(
    ("old", "new", "place"),
    [
        (
            "  12        1          1          14",
            "  12        1          2          14",
            "PRECEDENCE RELATIONS line",
        ),
        (
            "  12        1          1          14",
            "  12        2          1          14",
            "PRECEDENCE RELATIONS line",
        ),
        (
            "  12        1          1          14",
            "  12        1          1          x4",
            "PRECEDENCE RELATIONS line",
        ),
        (" 14      1     3       0    8", " 14      1     3       0", "REQUESTS/DURATIONS line"),
        (
            " 14      1     3       0    8",
            " 14      1    -3       0    8",
            "REQUESTS/DURATIONS line",
        ),
        ("   12   13    4   12", "   12   13    4", "RESOURCEAVAILABILITIES line"),
        ("RESOURCEAVAILABILITIES:", "AVAILABILITIES:", "RESOURCEAVAILABILITIES"),
        ("jobs (incl. supersource/sink ):  32", "jobs:", "header"),
    ],
)
def test_parse_sm_names_the_malformed_place(old: str, new: str, place: str) -> None:
    text = _text()
    assert old in text
    with pytest.raises(InvalidInput) as error:
        parse_sm(text.replace(old, new, 1), "broken")
    assert error.value.field.startswith("broken: " + place)


def test_parse_sm_rejects_a_precedence_cycle() -> None:
    text = _text().replace(
        "  30        1          1          32", "  30        1          1           2"
    )
    with pytest.raises(InvalidInput, match="cycle"):
        parse_sm(text, "cyclic")


def test_read_reference_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "ref.csv"
    path.write_text("instance,makespan,lower_bound,cpm_lb\nj301_1,43,43,38\nj301_2,x,,42\n")
    with pytest.raises(InvalidInput) as error:
        read_reference(path)
    assert error.value.field == "ref.csv line 3"
