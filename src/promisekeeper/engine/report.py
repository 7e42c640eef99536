"""Load against capacity per role and week: the picture both departments share.

Capacity of a person counts towards their main role (highest efficiency). Load
counts towards the role the hours were worked in: an effort phase's role, or
for a fixed phase the crew role the person filled (their best crew role).

Examples
--------
>>> from datetime import date
>>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
>>> from promisekeeper.engine.schedule import schedule
>>> instance = Instance(
...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=14),
...     roles=("developer",),
...     people=(Person("ana", {"developer": 1.0}),),
...     projects=(Project("site", (EffortPhase("build", "developer", 20.0),)),),
... )
>>> report = role_week_load(schedule(instance))
>>> report.week_starts, report.capacity[0].tolist(), report.committed[0].tolist()
((0, 7), [40.0, 40.0], [20.0, 0.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from promisekeeper.engine.model import EffortPhase, ProjectState
from promisekeeper.engine.plan import Plan


@dataclass(frozen=True, slots=True)
class RoleWeekLoad:
    """Hours per role (rows) and week (columns).

    ``week_starts`` are day indices of the Mondays (the first week may start
    before day 0; only days inside the horizon count). ``committed`` is work
    in delivery and committed work, ``held`` is capacity kept for deals on
    hold, ``tentative`` the pipeline.
    """

    roles: tuple[str, ...]
    week_starts: tuple[int, ...]
    capacity: np.ndarray
    committed: np.ndarray
    held: np.ndarray
    tentative: np.ndarray

    def utilisation(self) -> np.ndarray:
        """(committed + held) / capacity, 0 where there is no capacity."""
        booked = self.committed + self.held
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.capacity > 0, booked / self.capacity, 0.0)

    def as_rows(self) -> list[dict[str, object]]:
        """One plain dict per role and week, for JSON and CSV."""
        rows = []
        for r, role in enumerate(self.roles):
            for w, start in enumerate(self.week_starts):
                rows.append(
                    {
                        "role": role,
                        "week_start_day": start,
                        "capacity_hours": round(float(self.capacity[r, w]), 3),
                        "committed_hours": round(float(self.committed[r, w]), 3),
                        "held_hours": round(float(self.held[r, w]), 3),
                        "tentative_hours": round(float(self.tentative[r, w]), 3),
                    }
                )
        return rows


def _week_of_day(plan: Plan) -> tuple[np.ndarray, tuple[int, ...]]:
    calendar = plan.instance.calendar
    offset = calendar.start.weekday()
    horizon = calendar.horizon_days
    week = (np.arange(horizon) + offset) // 7
    starts = tuple(int(w * 7 - offset) for w in range(int(week[-1]) + 1)) if horizon else ()
    return week, starts


def _allocation_roles(plan: Plan) -> np.ndarray:
    """Role index of each allocation row."""
    instance = plan.instance
    role_index = {role: k for k, role in enumerate(instance.roles)}
    efficiency = {
        (p, role_index[role]): eff
        for p, person in enumerate(instance.people)
        for role, eff in person.skills.items()
    }
    alloc = plan.allocations
    if not len(alloc):
        return np.zeros(0, dtype=np.int64)
    keys = np.stack([alloc.project, alloc.phase, alloc.person], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    unique_roles = np.full(len(unique), -1, dtype=np.int64)
    for u, (project, phase_index, person) in enumerate(unique.tolist()):
        if project < 0:
            continue
        phase = instance.projects[project].phases[phase_index]
        if isinstance(phase, EffortPhase):
            unique_roles[u] = role_index[phase.role]
        else:
            crew = [role_index[r] for r, n in phase.crew.items() if n > 0]
            unique_roles[u] = max(crew, key=lambda k: efficiency.get((person, k), 0.0))
    return unique_roles[inverse.reshape(-1)]


def role_week_load(plan: Plan) -> RoleWeekLoad:
    """Capacity and load per role and week of ``plan``."""
    instance = plan.instance
    n_roles = len(instance.roles)
    week, starts = _week_of_day(plan)
    n_weeks = len(starts)
    role_index = {role: k for k, role in enumerate(instance.roles)}
    capacity = np.zeros((n_roles, n_weeks))
    for p, person in enumerate(instance.people):
        if not person.skills:
            continue
        main = role_index[max(person.skills, key=lambda r: (person.skills[r], -role_index[r]))]
        np.add.at(capacity[main], week, plan.capacity[p])
    loads = {state: np.zeros((n_roles, n_weeks)) for state in ("committed", "held", "tentative")}
    alloc = plan.allocations
    if len(alloc):
        roles = _allocation_roles(plan)
        state_of_project = np.array(
            [int(p.state) for p in instance.projects] + [int(ProjectState.TENTATIVE)]
        )
        states = state_of_project[alloc.project]
        weeks = week[alloc.day]
        groups = {
            "committed": states <= int(ProjectState.COMMITTED),
            "held": states == int(ProjectState.HELD),
            "tentative": states == int(ProjectState.TENTATIVE),
        }
        for name, mask in groups.items():
            mask &= roles >= 0
            np.add.at(loads[name], (roles[mask], weeks[mask]), alloc.hours[mask])
    return RoleWeekLoad(
        instance.roles, starts, capacity, loads["committed"], loads["held"], loads["tentative"]
    )
