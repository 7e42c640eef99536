"""Hypothesis strategies for small, varied engine instances."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

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

HORIZON = 150
PATTERNS = (
    (8.0, 8.0, 8.0, 8.0, 8.0, 0.0, 0.0),
    (8.0, 8.0, 8.0, 8.0, 0.0, 0.0, 0.0),
    (4.0, 4.0, 4.0, 4.0, 4.0, 0.0, 0.0),
    (6.0, 0.0, 6.0, 0.0, 6.0, 0.0, 0.0),
)


@st.composite
def people(draw: st.DrawFn, roles: tuple[str, ...]) -> tuple[Person, ...]:
    count = draw(st.integers(1, 5))
    result = []
    for k in range(count):
        skilled = draw(st.lists(st.sampled_from(roles), min_size=1, max_size=2, unique=True))
        skills = {role: draw(st.sampled_from((1.0, 0.8, 0.5))) for role in skilled}
        offs = tuple(
            TimeOff(start, start + length, draw(st.sampled_from((None, 2.0))))
            for start, length in draw(
                st.lists(st.tuples(st.integers(0, HORIZON - 10), st.integers(1, 6)), max_size=2)
            )
        )
        result.append(
            Person(
                f"p{k}",
                skills,
                weekly_hours=draw(st.sampled_from(PATTERNS)),
                start_day=draw(st.sampled_from((0, 0, 0, 10))),
                delivery_share=draw(st.sampled_from((1.0, 0.8, 0.5))),
                time_off=offs,
            )
        )
    return tuple(result)


@st.composite
def phases(draw: st.DrawFn, roles: tuple[str, ...]) -> tuple[EffortPhase | FixedPhase, ...]:
    count = draw(st.integers(1, 4))
    result: list[EffortPhase | FixedPhase] = []
    for k in range(count):
        preds = tuple(
            Dependency(f"f{j}", draw(st.integers(0, 3)))
            for j in draw(
                st.lists(st.integers(0, k - 1), max_size=2, unique=True) if k else st.just([])
            )
        )
        if draw(st.booleans()):
            likely = draw(st.floats(0, 60, allow_nan=False).map(lambda x: round(x, 1)))
            result.append(
                EffortPhase(
                    f"f{k}",
                    draw(st.sampled_from(roles)),
                    likely,
                    max_people=draw(st.integers(1, 3)),
                    max_hours_per_day=draw(st.sampled_from((8.0, 6.0, 3.5))),
                    predecessors=preds,
                    effort_low=likely * 0.8,
                    effort_high=likely * 1.5,
                )
            )
        else:
            crew_roles = draw(st.lists(st.sampled_from(roles), min_size=1, max_size=2, unique=True))
            result.append(
                FixedPhase(
                    f"f{k}",
                    draw(st.integers(0, 4)),
                    {role: draw(st.integers(1, 2)) for role in crew_roles},
                    hours_per_day=draw(st.sampled_from((4.0, 3.0))),
                    predecessors=preds,
                )
            )
    return tuple(result)


@st.composite
def projects(
    draw: st.DrawFn, roles: tuple[str, ...], prefix: str = "j", max_count: int = 4
) -> tuple[Project, ...]:
    count = draw(st.integers(1, max_count))
    return tuple(
        Project(
            f"{prefix}{k}",
            draw(phases(roles)),
            release_day=draw(st.integers(0, 30)),
            promised_day=draw(st.one_of(st.none(), st.integers(5, HORIZON - 1))),
            priority=draw(st.integers(0, 2)),
            state=draw(st.sampled_from(list(ProjectState))),
        )
        for k in range(count)
    )


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    roles = ("dev", "design", "install")[: draw(st.integers(1, 3))]
    closed = frozenset(draw(st.lists(st.integers(0, HORIZON - 1), max_size=4)))
    return Instance(
        calendar=Calendar(start=date(2027, 1, 4), horizon_days=HORIZON, closed_days=closed),
        roles=roles,
        people=draw(people(roles)),
        projects=draw(projects(roles)),
    )


@st.composite
def instance_and_new_project(draw: st.DrawFn) -> tuple[Instance, Project]:
    instance = draw(instances())
    new = draw(projects(instance.roles, prefix="new", max_count=1))[0]
    return instance, new
