"""The research scheduler: RCPSP-shaped instances go to the RCPSP solvers, others to the engine."""

from __future__ import annotations

from datetime import date

import pytest

from promisekeeper.engine.check import check_plan
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.io import plan_to_dict
from promisekeeper.engine.model import Calendar, Dependency, EffortPhase, Instance, Person, Project
from promisekeeper.engine.schedule import schedule as engine_schedule
from promisekeeper.research.psplib import read_reference, read_sm
from promisekeeper.research.schedule import schedule

from .paths import PSPLIB


def _office(*projects: Project) -> Instance:
    """Monday-to-Friday work with effort phases: nothing like an RCPSP."""
    people = (Person("ana", {"dev": 1.0}), Person("ben", {"dev": 0.8, "qa": 1.0}))
    return Instance(Calendar(date(2027, 1, 4), horizon_days=60), ("dev", "qa"), people, projects)


def test_an_rcpsp_shaped_instance_gets_the_heuristics_optimum() -> None:
    instance = read_sm(PSPLIB / "j30" / "j3011_10.sm")
    optimum = read_reference(PSPLIB / "j30_reference.csv")["j3011_10"].makespan
    plan = schedule(instance, time_limit=5.0)
    assert plan.makespan_days == optimum
    assert engine_schedule(instance, time_limit=0.0).makespan_days > optimum
    assert check_plan(instance, plan) == []


def test_exact_closes_the_gap_with_cp_sat() -> None:
    instance = read_sm(PSPLIB / "j30" / "j3017_1.sm")
    optimum = read_reference(PSPLIB / "j30_reference.csv")["j3017_1"].makespan
    plan = schedule(instance, time_limit=5.0, exact=True)
    assert plan.makespan_days == optimum
    assert check_plan(instance, plan) == []


@pytest.mark.parametrize("exact", [False, True])
def test_any_other_instance_gets_the_engines_plan(exact: bool) -> None:
    build = EffortPhase("build", "dev", 60.0, max_people=2)
    test = EffortPhase("test", "qa", 16.0, predecessors=(Dependency("build"),))
    instance = _office(Project("site", (build, test), promised_day=10), Project("app", (build,)))
    plan = schedule(instance, time_limit=0.0, exact=exact)
    assert plan_to_dict(plan) == plan_to_dict(engine_schedule(instance, time_limit=0.0))


def test_an_invalid_instance_names_the_field() -> None:
    with pytest.raises(InvalidInput) as error:
        schedule(_office(Project("site", (EffortPhase("build", "design", 8.0),))))
    assert (error.value.field, error.value.message) == (
        "projects[0].phases[0].role",
        "unknown role 'design'",
    )
