from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    Calendar,
    Dependency,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Project,
    ProjectState,
    TimeOff,
)
from promisekeeper.engine.plan import ProjectStatus
from promisekeeper.research.synthetic import generate_organisation
from promisekeeper.research.taskjuggler import instance_to_tjp, read_task_report

TJ3_TIMEOUT_SECONDS = 120


def tiny_instance() -> Instance:
    calendar = Calendar(start=date(2026, 1, 5), horizon_days=90, closed_days=frozenset({10}))
    people = (
        Person("ana", {"developer": 1.0}),
        Person("ben", {"developer": 1.2, "installer": 0.6}, delivery_share=0.75),
        Person(
            "cy",
            {"installer": 1.0},
            weekly_hours=(8.0, 8.0, 8.0, 8.0, 0.0, 0.0, 0.0),
            time_off=(TimeOff(14, 17), TimeOff(21, 23, hours_per_day=4.0)),
        ),
        Person("dee", {"installer": 1.0}, start_day=7, end_day=80),
    )
    build = Project(
        "build",
        (
            EffortPhase("design", "developer", 40.0, max_people=2, max_hours_per_day=6.0),
            EffortPhase("code", "developer", 60.0, predecessors=(Dependency("design"),)),
            FixedPhase(
                "fit",
                2,
                {"installer": 2},
                hours_per_day=5.0,
                predecessors=(Dependency("design", lag_days=3),),
            ),
            EffortPhase(
                "handover",
                "developer",
                8.0,
                predecessors=(Dependency("code"), Dependency("fit")),
            ),
        ),
        release_day=2,
        promised_day=30,
        state=ProjectState.COMMITTED,
    )
    quote = Project(
        "quote",
        (EffortPhase("survey", "installer", 16.0), FixedPhase("mount", 1, {"installer": 1})),
        release_day=5,
        promised_day=None,
        state=ProjectState.TENTATIVE,
        win_probability=0.4,
    )
    return Instance(calendar, ("developer", "installer"), people, (build, quote))


def run_tj3(instance: Instance, tmp_path: Path) -> str:
    tj3 = shutil.which("tj3")
    if tj3 is None:
        pytest.fail("tj3 (TaskJuggler) is not on PATH; install the Debian package 'tj3'")
    source = tmp_path / "portfolio.tjp"
    source.write_text(instance_to_tjp(instance))
    done = subprocess.run(
        [tj3, "--silent", "--no-color", "-o", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=TJ3_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return (tmp_path / "tasks.csv").read_text()


def assert_precedence_kept(instance: Instance, results) -> None:
    for project in instance.projects:
        timing = {t.id: t for t in results[project.id].phases}
        for phase in project.phases:
            assert timing[phase.id].start_day >= project.release_day
            for dep in phase.predecessors:
                # tj3 may start a successor on the day its predecessor ends.
                before = timing[dep.phase].end_day - 1 + dep.lag_days
                assert timing[phase.id].start_day >= before


def test_tj3_accepts_tiny_export_and_keeps_precedence(tmp_path):
    instance = tiny_instance()
    results = read_task_report(run_tj3(instance, tmp_path), instance)
    assert set(results) == {"build", "quote"}
    assert_precedence_kept(instance, results)
    assert results["build"].status in (ProjectStatus.ON_TIME, ProjectStatus.LATE)
    assert results["quote"].status is ProjectStatus.NO_PROMISE


def test_tj3_accepts_synthetic_export_and_keeps_precedence(tmp_path):
    org = generate_organisation("S", seed=3)
    instance = dataclasses.replace(org, projects=org.projects[:6])
    results = read_task_report(run_tj3(instance, tmp_path), instance)
    assert len(results) == 6
    assert_precedence_kept(instance, results)


def test_export_maps_people_phases_and_calendar():
    text = instance_to_tjp(tiny_instance())
    assert "leaves holiday" in text and "2026-01-15" in text  # closed day 10
    assert "workinghours fri off" in text  # cy works four days
    assert "workinghours mon 9:00 - 15:00" in text  # ben: 8 h x 0.75
    assert "leaves unemployed 2026-01-05 +7d" in text  # dee starts on day 7
    assert "leaves annual 2026-01-19 +3d" in text  # cy's whole days off
    assert "leaves annual 2026-01-26-9:00 +240min" in text  # cy's partial day off
    assert "effort 2400min" in text  # design: 40 h
    assert "effort 1200min" in text  # fit: 2 people x 2 days x 5 h
    assert "mandatory" in text
    assert "gapduration 3d" in text
    assert "priority 700" in text and "priority 300" in text
    assert "Promised 2026-02-04" in text


def test_cross_trained_people_come_after_specialists():
    text = instance_to_tjp(tiny_instance())
    # installers: cy and dee (main role) before ben (cross-trained)
    assert "allocate r2 { alternative r3, r1 select order }" in text


def test_phase_nobody_can_do_becomes_milestone():
    instance = tiny_instance()
    lonely = Instance(
        instance.calendar,
        ("developer", "installer", "painter"),
        instance.people,
        (Project("paint", (EffortPhase("walls", "painter", 10.0),)),),
    )
    assert "milestone" in instance_to_tjp(lonely)


def test_resolution_must_divide_an_hour():
    with pytest.raises(InvalidInput) as raised:
        instance_to_tjp(tiny_instance(), resolution_minutes=7)
    assert raised.value.field == "resolution_minutes"


def test_report_ends_are_exclusive_days():
    instance = tiny_instance()
    report = "\n".join(
        [
            '"Id";"Name";"Start";"End"',
            '"prj0";"build";"2026-01-07-09:00";"2026-02-10-00:00"',
            '"prj0.ph0";"design";"2026-01-07-09:00";"2026-01-09-17:00"',
            '"prj0.ph1";"code";"2026-01-12-09:00";"2026-01-20-12:00"',
            '"prj0.ph2";"fit";"2026-01-14-09:00";"2026-01-15-14:00"',
            '"prj0.ph3";"handover";"2026-01-21-09:00";"2026-02-10-00:00"',
            '"prj1";"quote";"2026-01-12-09:00";"2026-01-14-17:00"',
            '"prj1.ph0";"survey";"2026-01-12-09:00";"2026-01-13-17:00"',
            '"prj1.ph1";"mount";"2026-01-14-09:00";"2026-01-14-17:00"',
        ]
    )
    results = read_task_report(report, instance)
    design = results["build"].phases[0]
    assert (design.start_day, design.end_day) == (2, 5)
    assert results["build"].finish_day == 36  # ends at midnight starting day 36
    assert results["build"].lateness_days == 5
    assert results["build"].status is ProjectStatus.LATE


def test_report_missing_a_phase_is_rejected():
    report = (
        '"Id";"Name";"Start";"End"\n"prj0.ph0";"design";"2026-01-07-09:00";"2026-01-09-17:00"\n'
    )
    with pytest.raises(InvalidInput):
        read_task_report(report, tiny_instance())


def test_leaver_stays_gone_for_the_whole_span():
    text = instance_to_tjp(tiny_instance(), span_days=120)
    assert "leaves unemployed 2026-03-26 +40d" in text  # dee leaves on day 80


def test_span_shorter_than_horizon_is_rejected():
    with pytest.raises(InvalidInput) as raised:
        instance_to_tjp(tiny_instance(), span_days=30)
    assert raised.value.field == "span_days"
