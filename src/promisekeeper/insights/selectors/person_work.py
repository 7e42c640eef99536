"""A person's planned work as blocks of consecutive working days."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from promisekeeper.promising.cache import portfolio_snapshot


@dataclass(frozen=True)
class WorkBlock:
    """Consecutive planned days of one person on one phase of one project or deal."""

    ref_kind: str
    pk: int
    project_name: str
    phase_name: str
    start: datetime.date
    end: datetime.date
    hours: float
    tentative: bool


def person_work_blocks(*, person_pk: int, include_tentative: bool = False) -> list[WorkBlock]:
    """A person's planned work as blocks of consecutive working days, earliest first."""
    snapshot = portfolio_snapshot()
    instance = snapshot.plan.instance
    rows = [i for i, p in enumerate(instance.people) if snapshot.people[p.id] == person_pk]
    if not rows:
        return []
    alloc = snapshot.plan.allocations
    mask = alloc.person == rows[0]
    days = alloc.day[mask].tolist()
    projects = alloc.project[mask].tolist()
    phases = alloc.phase[mask].tolist()
    hours = alloc.hours[mask].tolist()
    runs: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for day, project, phase, h in zip(days, projects, phases, hours, strict=True):
        runs[(project, phase)].append((day, h))
    is_working_day = snapshot.instance.calendar.is_working_day
    result = []
    for (project_index, phase_index), items in runs.items():
        engine_project = instance.projects[project_index]
        tentative = engine_project.state.label == "tentative"
        if tentative and not include_tentative:
            continue
        ref = snapshot.projects[engine_project.id]
        phase = engine_project.phases[phase_index]
        for start, end, total in _spans(items, is_working_day):
            result.append(
                WorkBlock(
                    ref.kind,
                    ref.pk,
                    engine_project.name or engine_project.id,
                    phase.name or phase.id,
                    snapshot.date_of(start),
                    snapshot.date_of(end),
                    round(total, 1),
                    tentative,
                )
            )
    result.sort(key=lambda b: (b.start, b.project_name))
    return result


def _spans(
    items: list[tuple[int, float]], is_working_day: Callable[[int], bool]
) -> list[tuple[int, int, float]]:
    """(first day, last day, hours) of each run of days with no working day between them."""
    items.sort()
    spans = []
    start, last, total = items[0][0], items[0][0], 0.0
    for day, h in items:
        gap = range(last + 1, day)
        if day != start and any(is_working_day(d) for d in gap):
            spans.append((start, last, total))
            start, total = day, 0.0
        last = day
        total += h
    spans.append((start, last, total))
    return spans
