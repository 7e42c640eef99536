"""Synthetic organisations for benchmarks, demos and property tests.

:func:`generate_organisation` builds a plausible services organisation of size
``"S"`` (20 people, 60 projects), ``"M"`` (200 / 600) or ``"L"`` (2,000 /
6,000): roles, part-timers, cross-training, public holidays, time off, hires
and leavers, and a book of projects in every state whose total demand is about
85 % of the capacity of the busy months. Promised days are quoted as a sales
team would: release + 1.2-1.8 × the longer of the uncontended duration and a
role-backlog estimate, so the plan is tight and some promises (mostly held and
tentative work) are missed. :func:`generate_new_project` makes a tentative
project to ask the promise engine about. Everything is deterministic for a
given ``seed``.

>>> from promisekeeper.research.synthetic import generate_organisation
>>> instance = generate_organisation("S", seed=1)
>>> len(instance.people), len(instance.projects)
(20, 60)
>>> instance == generate_organisation("S", seed=1)
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import date

import numpy as np

from promisekeeper.engine.capacity import capacity_matrix
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    DEFAULT_HORIZON_DAYS,
    Calendar,
    Dependency,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Phase,
    Project,
    ProjectState,
    TimeOff,
)

SIZES: dict[str, tuple[int, int, int]] = {
    "S": (20, 60, 6),
    "M": (200, 600, 8),
    "L": (2_000, 6_000, 10),
}
"""Size name → (people, projects, roles)."""

# Role, share of headcount, stage in a project (phases run in stage order).
_ROLES: tuple[tuple[str, float, int], ...] = (
    ("developer", 0.24, 2),
    ("designer", 0.12, 1),
    ("project_manager", 0.08, 0),
    ("installer", 0.14, 4),
    ("electrician", 0.12, 4),
    ("tester", 0.12, 3),
    ("analyst", 0.10, 0),
    ("architect", 0.06, 1),
    ("data_engineer", 0.08, 2),
    ("plumber", 0.08, 4),
)
_FIELD_ROLES = frozenset({"installer", "electrician", "plumber"})

# Fixed public holidays (month, day), applied every year of the horizon.
PUBLIC_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (1, 1),
    (4, 3),
    (4, 6),
    (5, 1),
    (5, 14),
    (5, 25),
    (10, 3),
    (12, 24),
    (12, 25),
    (12, 26),
    (12, 31),
)

_PART_TIME_WEEKS: tuple[tuple[float, ...], ...] = (
    (8.0, 8.0, 8.0, 8.0, 0.0, 0.0, 0.0),  # four days
    (0.0, 8.0, 8.0, 8.0, 8.0, 0.0, 0.0),  # four days, Monday off
    (6.0, 6.0, 6.0, 6.0, 6.0, 0.0, 0.0),  # 30 h
    (5.0, 5.0, 5.0, 5.0, 5.0, 0.0, 0.0),  # 25 h
    (8.0, 8.0, 8.0, 0.0, 0.0, 0.0, 0.0),  # 24 h
)
_FULL_WEEK = (8.0, 8.0, 8.0, 8.0, 8.0, 0.0, 0.0)
_STATE_SHARES = (
    (ProjectState.IN_DELIVERY, 0.30),
    (ProjectState.COMMITTED, 0.45),
    (ProjectState.HELD, 0.10),
    (ProjectState.TENTATIVE, 0.15),
)
LOAD_TARGET = 0.85
"""Demand over capacity of the busy months that generated effort is scaled to."""
_BUSY_DAYS = 456  # release window (~12 months) plus a quarter to finish
_MIN_EFFORT, _MAX_EFFORT = 16.0, 300.0


def _holidays(start: date, horizon_days: int) -> frozenset[int]:
    calendar = Calendar(start=start, horizon_days=horizon_days)
    last = calendar.date_of(horizon_days - 1)
    days = set()
    for year in range(start.year, last.year + 1):
        for month, day in PUBLIC_HOLIDAYS:
            index = calendar.day_of(date(year, month, day))
            if 0 <= index < horizon_days:
                days.add(index)
    return frozenset(days)


def _headcounts(n_people: int, roles: Sequence[str]) -> list[int]:
    """People per primary role: proportional to the role's share, at least two each."""
    shares = np.array([share for name, share, _ in _ROLES if name in roles])
    shares = shares / shares.sum()
    counts = np.maximum(2, np.floor(shares * n_people)).astype(int)
    order = np.argsort(-(shares * n_people - np.floor(shares * n_people)))
    k = 0
    while counts.sum() < n_people:
        counts[order[k % len(order)]] += 1
        k += 1
    while counts.sum() > n_people:
        counts[int(np.argmax(counts))] -= 1
    return [int(c) for c in counts]


def _time_off(rng: random.Random, horizon_days: int) -> tuple[TimeOff, ...]:
    blocks: list[TimeOff] = []
    for year_start in range(0, horizon_days, 365):
        for _ in range(rng.randint(2, 4)):
            start = year_start + rng.randrange(365)
            if start >= horizon_days:
                continue
            length = rng.randint(1, 10)
            partial = rng.random() < 0.2
            hours = float(rng.choice((2, 4))) if partial else None
            blocks.append(TimeOff(start, min(horizon_days, start + length), hours))
    blocks.sort(key=lambda off: off.start_day)
    return tuple(blocks)


def _people(
    rng: random.Random, n_people: int, roles: tuple[str, ...], horizon_days: int
) -> tuple[Person, ...]:
    primaries = [
        role
        for role, count in zip(roles, _headcounts(n_people, roles), strict=True)
        for _ in range(count)
    ]
    rng.shuffle(primaries)
    people = []
    for k, role in enumerate(primaries):
        skills = {role: rng.choice((0.8, 1.0, 1.0, 1.0, 1.0, 1.2))}
        if rng.random() < 0.25:
            second = rng.choice([r for r in roles if r != role])
            skills[second] = round(rng.uniform(0.5, 0.8), 2)
        weekly = rng.choice(_PART_TIME_WEEKS) if rng.random() < 0.2 else _FULL_WEEK
        share = 0.7 if role == "project_manager" else 0.8
        delivery_share = round(rng.uniform(share, 1.0), 2)
        start_day, end_day = 0, None
        turnover = rng.random()
        if turnover < 0.04:
            start_day = rng.randint(20, min(240, horizon_days - 1))
        elif turnover < 0.08:
            end_day = rng.randint(min(90, horizon_days), horizon_days)
        people.append(
            Person(
                id=f"person-{k + 1:04d}",
                skills=skills,
                weekly_hours=weekly,
                start_day=start_day,
                end_day=end_day,
                delivery_share=delivery_share,
                time_off=_time_off(rng, horizon_days),
            )
        )
    return tuple(people)


def _draw_phases(
    rng: random.Random,
    roles: tuple[str, ...],
    role_weights: Sequence[float],
    headcount: dict[str, int],
    n_phases: int,
    effort_scale: dict[str, float] | None,
    remaining: float = 1.0,
) -> tuple[Phase, ...]:
    stage = {name: s for name, _, s in _ROLES}
    drawn = sorted(
        rng.choices(roles, weights=role_weights, k=n_phases), key=lambda r: stage.get(r, 2)
    )
    phases: list[Phase] = []
    sinks: set[str] = set()
    for k, role in enumerate(drawn):
        phase_id = f"ph{k + 1}"
        predecessors: tuple[Dependency, ...] = ()
        if k > 0:
            branch = k >= 2 and rng.random() < 0.25
            pred = phases[rng.randrange(k - 1)] if branch else phases[k - 1]
            lag = 0 if rng.random() < 0.7 else rng.randint(1, 5)
            predecessors = (Dependency(pred.id, lag),)
            sinks.discard(pred.id)
        if k == n_phases - 1:
            extra = sorted(s for s in sinks if all(s != d.phase for d in predecessors))
            predecessors += tuple(Dependency(s) for s in extra)
        sinks.add(phase_id)
        fixed_share = 0.5 if role in _FIELD_ROLES else 0.08
        if rng.random() < fixed_share:
            crew_roles = {role}
            if rng.random() < 0.4:
                crew_roles.add(rng.choices(roles, weights=role_weights)[0])
            crew: dict[str, int] = {}
            seats = 3  # a crew is one to three people, at least one per role
            for n, r in enumerate(sorted(crew_roles)):
                still_needed = len(crew_roles) - n - 1
                crew[r] = rng.randint(1, max(1, min(seats - still_needed, headcount[r] // 3)))
                seats -= crew[r]
            days = rng.randint(1, 5)
            phases.append(
                FixedPhase(
                    id=phase_id,
                    days=days,
                    crew=crew,
                    # below a full day: availability is hours x delivery share
                    hours_per_day=float(rng.choice((4, 5, 6))),
                    predecessors=predecessors,
                    days_low=max(1, days - 1),
                    days_high=days + rng.randint(1, 3),
                    name=f"{role.replace('_', ' ')} on site",
                )
            )
            continue
        raw = rng.triangular(_MIN_EFFORT, _MAX_EFFORT, 60.0) * remaining
        scale = 1.0 if effort_scale is None else effort_scale.get(role, 1.0)
        likely = round(min(_MAX_EFFORT, max(_MIN_EFFORT, raw * scale)))
        crowd = rng.choice((1, 2, 2, 3))  # drawn always, so scaling keeps the structure
        max_people = 1 if likely < 80 else crowd
        phases.append(
            EffortPhase(
                id=phase_id,
                role=role,
                effort_hours=float(likely),
                max_people=max_people,
                max_hours_per_day=float(rng.choice((6, 7, 8, 8))),
                predecessors=predecessors,
                effort_low=float(round(likely * rng.uniform(0.7, 0.95))),
                effort_high=float(round(likely * rng.uniform(1.2, 1.8))),
                per_unit_hours=float(round(likely * rng.uniform(0.2, 0.6))),
                name=role.replace("_", " "),
            )
        )
    return tuple(phases)


def estimated_duration_days(project: Project) -> int:
    """Calendar days the project takes with no contention and full staffing.

    Effort phases take ``effort / (max_people * max_hours_per_day)`` working
    days, fixed phases their ``days``; the longest path (with lags) is
    converted to calendar days at five working days a week.
    """
    finish: dict[str, float] = {}
    for phase in project.phases:  # generated phases are in topological order
        start = max((finish[d.phase] + d.lag_days * 5 / 7 for d in phase.predecessors), default=0)
        if isinstance(phase, EffortPhase):
            work = phase.effort_hours / (phase.max_people * phase.max_hours_per_day)
        else:
            work = float(phase.days)
        finish[phase.id] = start + math.ceil(work)
    return math.ceil(max(finish.values(), default=0.0) * 7 / 5)


def _project(
    rng: random.Random,
    project_id: str,
    state: ProjectState,
    release_day: int,
    phases: tuple[Phase, ...],
    horizon_days: int,
    backlog: int,
) -> Project:
    release_day = min(release_day, horizon_days - 1)
    alone = estimated_duration_days(Project(id=project_id, phases=phases))
    # Quoted from the uncontended duration with a margin, or from the backlog
    # when that is longer; sales is sometimes optimistic about the backlog.
    duration = max(alone, backlog) * rng.uniform(1.2, 1.8)
    promised = min(horizon_days - 1, release_day + math.ceil(duration))
    win = round(rng.uniform(0.2, 0.8), 2) if state is ProjectState.TENTATIVE else 1.0
    quantity = float(rng.randint(1, 20))
    phases = tuple(
        _per_unit(phase, quantity) if isinstance(phase, EffortPhase) else phase for phase in phases
    )
    return Project(
        id=project_id,
        phases=phases,
        release_day=release_day,
        promised_day=promised,
        state=state,
        win_probability=win,
        quantity=quantity,
        name=f"{state.label.replace('_', ' ')} project {project_id}",
    )


def _backlog_estimates(
    projects: Sequence[tuple[Phase, ...]],
    releases: Sequence[int],
    role_daily: dict[str, np.ndarray],
) -> list[int]:
    """Calendar days each project takes when it queues behind earlier releases.

    A role-level fluid model of how the organisation quoted its dates:
    projects are served in release order, each phase takes its role's
    remaining hours day by day (at most ``max_people × max_hours_per_day``
    a day) from when its predecessors end. It ignores who exactly does the
    work, so it is optimistic next to a real plan.
    """
    remaining = {role: daily.copy() for role, daily in role_daily.items()}
    horizon = len(next(iter(role_daily.values())))
    estimates = [0] * len(projects)
    for k in sorted(range(len(projects)), key=lambda k: releases[k]):
        finish: dict[str, int] = {}
        for phase in projects[k]:
            start = max(
                (finish[d.phase] + d.lag_days for d in phase.predecessors), default=releases[k]
            )
            if isinstance(phase, EffortPhase):
                demand = {
                    phase.role: (phase.effort_hours, phase.max_people * phase.max_hours_per_day)
                }
            else:
                demand = {
                    r: (n * phase.days * phase.hours_per_day, n * phase.hours_per_day)
                    for r, n in phase.crew.items()
                }
            end = start
            for role, (hours, per_day) in demand.items():
                end = max(end, _consume(remaining[role], start, hours, per_day, horizon))
            finish[phase.id] = end
        estimates[k] = max(finish.values(), default=releases[k]) - releases[k]
    return estimates


def _consume(free: np.ndarray, start: int, hours: float, per_day: float, horizon: int) -> int:
    """Take ``hours`` from ``free`` from ``start`` on; the exclusive day it is done."""
    if start >= horizon:
        return start + math.ceil(hours / per_day * 7 / 5)
    take = np.minimum(free[start:], per_day)
    done = np.cumsum(take)
    last = int(np.searchsorted(done, hours - 1e-9))
    if last >= len(done):
        free[start:] = 0.0
        left = hours - float(done[-1]) if len(done) else hours
        return horizon + math.ceil(left / per_day * 7 / 5)
    free[start : start + last] -= take[:last]
    free[start + last] -= hours - (float(done[last - 1]) if last else 0.0)
    return start + last + 1


def _per_unit(phase: EffortPhase, quantity: float) -> EffortPhase:
    """Express the scalable part of the effort per unit of the project's quantity."""
    return EffortPhase(
        id=phase.id,
        role=phase.role,
        effort_hours=phase.effort_hours,
        max_people=phase.max_people,
        max_hours_per_day=phase.max_hours_per_day,
        predecessors=phase.predecessors,
        effort_low=phase.effort_low,
        effort_high=phase.effort_high,
        per_unit_hours=round(phase.per_unit_hours / quantity, 3),
        name=phase.name,
    )


def _release_day(rng: random.Random, state: ProjectState) -> int:
    if state is ProjectState.IN_DELIVERY:
        return rng.randint(0, 14)
    if state is ProjectState.COMMITTED:
        return rng.randint(0, 300)
    return rng.randint(30, 365)


def _role_demand(
    projects: Sequence[tuple[Phase, ...]],
) -> tuple[dict[str, float], dict[str, float]]:
    """Effort hours and fixed-crew hours per role."""
    effort: dict[str, float] = {}
    fixed: dict[str, float] = {}
    for phases in projects:
        for phase in phases:
            if isinstance(phase, EffortPhase):
                effort[phase.role] = effort.get(phase.role, 0.0) + phase.effort_hours
            else:
                for role, count in phase.crew.items():
                    hours = count * phase.days * phase.hours_per_day
                    fixed[role] = fixed.get(role, 0.0) + hours
    return effort, fixed


def _role_capacity(
    people: tuple[Person, ...], roles: tuple[str, ...], calendar: Calendar
) -> dict[str, np.ndarray]:
    """Hours each role can deliver per day, counting main roles only."""
    hours = capacity_matrix(Instance(calendar, roles, people))
    capacity = {role: np.zeros(calendar.horizon_days) for role in roles}
    for person, daily in zip(people, hours, strict=True):
        role, efficiency = max(person.skills.items(), key=lambda kv: kv[1])
        capacity[role] += daily * efficiency
    return capacity


def generate_organisation(
    size: str,
    *,
    seed: int = 0,
    start: date = date(2026, 1, 5),
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> Instance:
    """A synthetic organisation with a heavily loaded project portfolio.

    Parameters
    ----------
    size
        ``"S"`` (20 people, 60 projects, 6 roles), ``"M"`` (200 / 600 / 8) or
        ``"L"`` (2,000 / 6,000 / 10).
    seed
        The same seed always gives an equal instance.
    start, horizon_days
        Day 0 and length of the planning horizon.

    Returns
    -------
    Instance
        Valid per :func:`~promisekeeper.engine.model.validate_instance`.
        ``meta`` records the generator, size, seed and the per-role effort
        scale that calibrates demand to :data:`LOAD_TARGET` of capacity.

    Examples
    --------
    >>> org = generate_organisation("S", seed=3)
    >>> sorted({p.state.label for p in org.projects})
    ['committed', 'held', 'in_delivery', 'tentative']
    """
    if size not in SIZES:
        raise InvalidInput("size", f"expected one of {', '.join(SIZES)}, got {size!r}")
    n_people, n_projects, n_roles = SIZES[size]
    rng = random.Random(f"promisekeeper-synthetic-{size}-{seed}")
    roles = tuple(name for name, _, _ in _ROLES[:n_roles])
    calendar = Calendar(
        start=start, horizon_days=horizon_days, closed_days=_holidays(start, horizon_days)
    )
    people = _people(rng, n_people, roles, horizon_days)
    headcount = dict.fromkeys(roles, 0)
    for person in people:
        for role in person.skills:
            headcount[role] += 1
    capacity = _role_capacity(people, roles, calendar)
    busy = {role: float(daily[:_BUSY_DAYS].sum()) for role, daily in capacity.items()}
    weights = [busy[role] for role in roles]

    states = rng.choices(
        [s for s, _ in _STATE_SHARES], weights=[w for _, w in _STATE_SHARES], k=n_projects
    )
    phase_seeds = [rng.getrandbits(64) for _ in range(n_projects)]
    n_phases = [rng.randint(3, 8) for _ in range(n_projects)]
    # Work in delivery has partly been done: only some of its effort remains.
    remaining = [
        rng.uniform(0.3, 0.8) if state is ProjectState.IN_DELIVERY else 1.0 for state in states
    ]

    def draw(scale: dict[str, float] | None) -> list[tuple[Phase, ...]]:
        return [
            _draw_phases(random.Random(s), roles, weights, headcount, n, scale, left)
            for s, n, left in zip(phase_seeds, n_phases, remaining, strict=True)
        ]

    effort, fixed = _role_demand(draw(None))
    scale = {
        role: max(0.2, (LOAD_TARGET * busy[role] - fixed.get(role, 0.0)) / effort[role])
        for role in roles
        if effort.get(role)
    }
    releases = [_release_day(rng, state) for state in states]
    drawn = draw(scale)
    estimates = _backlog_estimates(drawn, releases, capacity)
    projects = tuple(
        _project(rng, f"P{k + 1:04d}", state, release, phases, horizon_days, estimate)
        for k, (state, release, phases, estimate) in enumerate(
            zip(states, releases, drawn, estimates, strict=True)
        )
    )
    meta: dict[str, object] = {
        "generator": "promisekeeper.research.synthetic",
        "size": size,
        "seed": seed,
        "load_target": LOAD_TARGET,
        "effort_scale": {role: round(value, 4) for role, value in scale.items()},
    }
    return Instance(calendar=calendar, roles=roles, people=people, projects=projects, meta=meta)


def generate_new_project(
    instance: Instance, *, seed: int, phases: tuple[int, int] = (3, 8)
) -> Project:
    """A tentative project to quote on top of ``instance``'s plan.

    It uses the instance's roles (weighted by headcount) and, when the
    instance came from :func:`generate_organisation`, the same effort scale.
    Its release day is 0-30 and its promised day the usual 1.2-1.8 × the
    uncontended duration.

    Examples
    --------
    >>> org = generate_organisation("S", seed=0)
    >>> project = generate_new_project(org, seed=7)
    >>> project.state.label, 3 <= len(project.phases) <= 8
    ('tentative', True)
    """
    rng = random.Random(f"promisekeeper-new-project-{seed}")
    headcount = dict.fromkeys(instance.roles, 0)
    for person in instance.people:
        for role in person.skills:
            headcount[role] = headcount.get(role, 0) + 1
    roles = tuple(role for role in instance.roles if headcount[role] > 0)
    if not roles:
        raise InvalidInput("people", "nobody has a role, so no project can be generated")
    scale_meta = instance.meta.get("effort_scale")
    scale = dict(scale_meta) if isinstance(scale_meta, dict) else None
    drawn = _draw_phases(
        rng,
        roles,
        [headcount[r] for r in roles],
        headcount,
        rng.randint(phases[0], phases[1]),
        scale,
    )
    return _project(
        rng,
        f"NEW-{seed}",
        ProjectState.TENTATIVE,
        rng.randint(0, min(30, instance.calendar.horizon_days - 1)),
        drawn,
        instance.calendar.horizon_days,
        estimated_duration_days(Project(id="new", phases=drawn)),
    )
