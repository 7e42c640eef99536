"""Per-role, per-week load: capacity counted once, every allocated hour counted once."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from promisekeeper.engine.model import (
    Calendar,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Project,
    ProjectState,
)
from promisekeeper.engine.report import role_week_load
from promisekeeper.engine.schedule import schedule

from .strategies import instances


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_hour_of_capacity_and_load_lands_in_exactly_one_cell(instance: Instance) -> None:
    plan = schedule(instance, time_limit=0.1)
    report = role_week_load(plan)
    skilled = [p for p, person in enumerate(instance.people) if person.skills]
    assert report.capacity.sum() == pytest.approx(plan.capacity[skilled].sum())
    booked = report.committed.sum() + report.held.sum() + report.tentative.sum()
    assert booked == pytest.approx(plan.allocations.hours.sum())


def test_load_is_split_by_project_state_and_by_crew_role() -> None:
    wednesday = date(2027, 1, 6)
    instance = Instance(
        calendar=Calendar(start=wednesday, horizon_days=12),
        roles=("dev", "install"),
        people=(Person("ana", {"dev": 1.0}), Person("bo", {"install": 1.0, "dev": 0.5})),
        projects=(
            Project("sold", (EffortPhase("b", "dev", 8.0),)),
            Project("kept", (FixedPhase("i", 1, {"install": 1}),), state=ProjectState.HELD),
            Project("maybe", (EffortPhase("b", "dev", 4.0),), state=ProjectState.TENTATIVE),
        ),
    )
    report = role_week_load(schedule(instance))
    # The horizon starts on a Wednesday: the first week began two days earlier.
    assert report.week_starts == (-2, 5, 12)[: len(report.week_starts)]
    dev, install = 0, 1
    # ana's Wed-Fri (24 h) is dev capacity; bo's 24 h counts for install, his main role.
    assert report.capacity[dev, 0] == 24.0
    assert report.capacity[install, 0] == 24.0
    assert report.committed[dev, 0] == 8.0
    assert report.held[install, 0] == 8.0
    assert report.tentative[dev, 0] == 4.0
    assert np.isclose(report.utilisation()[install, 0], 8.0 / 24.0)
