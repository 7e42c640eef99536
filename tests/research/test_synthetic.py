from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    EffortPhase,
    FixedPhase,
    ProjectState,
    topological_order,
    validate_instance,
    validate_project,
)
from promisekeeper.research.synthetic import (
    SIZES,
    generate_new_project,
    generate_organisation,
)


@pytest.fixture(scope="module")
def small():
    return generate_organisation("S", seed=0)


def test_same_seed_gives_equal_instance(small):
    assert generate_organisation("S", seed=0) == small


def test_different_seed_gives_different_instance(small):
    assert generate_organisation("S", seed=1) != small


@pytest.mark.parametrize("size", ["S", "M"])
def test_size_sets_people_projects_and_roles(size):
    people, projects, roles = SIZES[size]
    instance = generate_organisation(size, seed=2)
    assert len(instance.people) == people
    assert len(instance.projects) == projects
    assert len(instance.roles) == roles


def test_unknown_size_is_rejected():
    with pytest.raises(InvalidInput) as raised:
        generate_organisation("XL")
    assert raised.value.field == "size"


@pytest.mark.parametrize("size", ["S", "M"])
def test_generated_instance_is_valid(size):
    validate_instance(generate_organisation(size, seed=5))


def test_phases_respect_documented_ranges(small):
    for project in small.projects:
        assert 3 <= len(project.phases) <= 8
        assert project.release_day <= project.promised_day
        for phase in project.phases:
            if isinstance(phase, EffortPhase):
                assert 16 <= phase.effort_hours <= 300
                assert 1 <= phase.max_people <= 3
                assert 6 <= phase.max_hours_per_day <= 8
            else:
                assert 1 <= phase.days <= 5
                assert 1 <= sum(phase.crew.values()) <= 3
            assert all(0 <= dep.lag_days <= 5 for dep in phase.predecessors)


def test_organisation_has_realistic_mix():
    instance = generate_organisation("M", seed=0)
    people = instance.people
    assert 0.1 < sum(len(p.skills) == 2 for p in people) / len(people) < 0.4
    assert 0.1 < sum(sum(p.weekly_hours) < 40 for p in people) / len(people) < 0.3
    assert any(p.start_day > 0 for p in people)
    assert any(p.end_day is not None for p in people)
    assert all(0.7 <= p.delivery_share <= 1.0 for p in people)
    assert any(off.hours_per_day is not None for p in people for off in p.time_off)
    assert len(instance.calendar.closed_days) >= 10
    states = Counter(p.state for p in instance.projects)
    assert 0.2 < states[ProjectState.IN_DELIVERY] / 600 < 0.4
    assert 0.35 < states[ProjectState.COMMITTED] / 600 < 0.55
    assert any(isinstance(ph, FixedPhase) for p in instance.projects for ph in p.phases)
    tentative = [p for p in instance.projects if p.state is ProjectState.TENTATIVE]
    assert all(0 < p.win_probability < 1 for p in tentative)


def test_demand_is_calibrated_to_load_target(small):
    assert small.meta["load_target"] == pytest.approx(0.85)
    assert set(small.meta["effort_scale"]) <= set(small.roles)


def test_new_project_is_tentative_and_valid(small):
    project = generate_new_project(small, seed=11)
    assert project.state is ProjectState.TENTATIVE
    assert 0 <= project.release_day <= 30
    assert 3 <= len(project.phases) <= 8
    validate_project(project, small.calendar, frozenset(small.roles), "project")


def test_new_project_is_deterministic(small):
    assert generate_new_project(small, seed=4) == generate_new_project(small, seed=4)


def test_new_project_honours_phase_count(small):
    project = generate_new_project(small, seed=4, phases=(5, 5))
    assert len(project.phases) == 5


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_every_generated_project_is_a_dag(seed):
    instance = generate_organisation("S", seed=seed, horizon_days=365)
    for project in instance.projects:
        order = topological_order(project)
        position = {project.phases[i].id: n for n, i in enumerate(order)}
        for phase in project.phases:
            for dep in phase.predecessors:
                assert position[dep.phase] < position[phase.id]


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_every_new_project_is_a_dag(seed, small):
    project = generate_new_project(small, seed=seed)
    assert len(topological_order(project)) == len(project.phases)
