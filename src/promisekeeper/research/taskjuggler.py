"""Export a portfolio to TaskJuggler 3 and read TaskJuggler's plan back.

TaskJuggler (``tj3``) is the established open-source resource-levelling
project scheduler; benchmarks compare its plans with ours on the same
instance. This module only builds and parses text: it never runs ``tj3``.

Mapping (engine model → TaskJuggler)
------------------------------------
* Horizon → ``project`` span; one TaskJuggler "day" is 8 hours. Time slots are
  ``resolution_minutes`` long (default and TaskJuggler's maximum: 60), so
  hours are rounded to whole slots.
* Closed days → global ``leaves holiday``.
* Person → ``resource`` with per-weekday ``workinghours`` of
  ``weekly_hours × delivery_share`` (from 09:00), ``leaves annual`` for whole
  days off, a leave of the lost hours at the start of each day for partial
  days off, and ``leaves unemployed`` before ``start_day`` and from
  ``end_day``.
* Efficiency → ``efficiency``. TaskJuggler has one efficiency per resource,
  ours is per role: the resource gets its *best* (main-role) efficiency, and
  people whose efficiency for a role is below their best are listed after the
  main-role people with ``select order``, so they are used only when
  specialists are busy. Cross-trained work is therefore slightly optimistic
  in TaskJuggler (favouring it in comparisons).
* Project → container ``task`` with ``priority`` from its state (in delivery
  900, committed 700, held 500, tentative 300) and the custom date attribute
  ``promised``; phases are sub-tasks scheduled ASAP. Phases without
  predecessors ``start`` on the release day.
* Effort phase → ``effort`` in hours with ``max_people`` allocations, each
  choosing among every qualified person, and a per-resource ``limits
  { dailymax }`` of ``max_hours_per_day``.
* Fixed phase → ``effort`` of ``crew × days × hours_per_day`` with one
  *mandatory* allocation per crew member (so the crew always works together)
  and a per-resource daily limit of ``hours_per_day``. TaskJuggler may split
  the crew's days (ours are consecutive working days), again in its favour:
  a ``length`` task would not wait for the crew at all.
* Dependency lag (calendar days) → ``depends … { gapduration Nd }``. Without
  a lag TaskJuggler may start a successor on the day its predecessor ends;
  the engine starts it the next day.
* A CSV ``taskreport`` ``tasks.csv`` lists every task's full id, start and
  end; :func:`read_task_report` turns it into per-project results computed
  exactly like the engine's (:func:`~promisekeeper.engine.plan.project_result`).

Examples
--------
>>> from datetime import date
>>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
>>> instance = Instance(
...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=60),
...     roles=("developer",),
...     people=(Person("ana", {"developer": 1.0}),),
...     projects=(Project("site", (EffortPhase("build", "developer", 40.0),), promised_day=6),),
... )
>>> text = instance_to_tjp(instance)
>>> "effort 2400min" in text and "allocate r0" in text
True
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    EffortPhase,
    Instance,
    Person,
    Phase,
    Project,
    ProjectState,
    TimeOff,
)
from promisekeeper.engine.plan import PhaseTiming, ProjectResult, project_result

REPORT_NAME = "tasks"
"""Base name of the CSV task report; ``tj3`` writes ``tasks.csv``."""

STATE_PRIORITY: dict[ProjectState, int] = {
    ProjectState.IN_DELIVERY: 900,
    ProjectState.COMMITTED: 700,
    ProjectState.HELD: 500,
    ProjectState.TENTATIVE: 300,
}
_DAY_START_MINUTES = 9 * 60
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_FORMAT = "%Y-%m-%d-%H:%M"


def project_task_id(index: int) -> str:
    """TaskJuggler id of ``instance.projects[index]`` (engine ids may hold any character)."""
    return f"prj{index}"


def phase_task_id(index: int) -> str:
    """TaskJuggler id of a project's ``phases[index]``."""
    return f"ph{index}"


def resource_id(index: int) -> str:
    """TaskJuggler id of ``instance.people[index]``."""
    return f"r{index}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _slots(hours: float, resolution_minutes: int) -> int:
    """Whole slots closest to ``hours``."""
    return round(hours * 60 / resolution_minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _span(minutes: int) -> tuple[int, int]:
    """A working interval of ``minutes`` within one day, from 09:00 when it fits."""
    begin = max(0, min(_DAY_START_MINUTES, 24 * 60 - minutes))
    return begin, begin + minutes


def _working_hours(person: Person, resolution_minutes: int) -> list[str]:
    lines = []
    for weekday, hours in enumerate(person.weekly_hours):
        minutes = _slots(hours * person.delivery_share, resolution_minutes) * resolution_minutes
        if minutes <= 0:
            lines.append(f"workinghours {_WEEKDAYS[weekday]} off")
        else:
            begin, end = _span(minutes)
            lines.append(f"workinghours {_WEEKDAYS[weekday]} {_clock(begin)} - {_clock(end)}")
    return lines


def _leave_lines(
    person: Person, instance: Instance, resolution_minutes: int, span: int
) -> Iterable[str]:
    calendar = instance.calendar
    if person.start_day > 0:
        yield f"leaves unemployed {calendar.start.isoformat()} +{min(person.start_day, span)}d"
    if person.end_day is not None and person.end_day < span:
        gone = calendar.date_of(person.end_day).isoformat()
        yield f"leaves unemployed {gone} +{span - person.end_day}d"
    for off in person.time_off:
        yield from _time_off_lines(person, off, instance, resolution_minutes)


def _time_off_lines(
    person: Person, off: TimeOff, instance: Instance, resolution_minutes: int
) -> Iterable[str]:
    calendar = instance.calendar
    lo, hi = max(0, off.start_day), min(calendar.horizon_days, off.end_day)
    if lo >= hi:
        return
    if off.hours_per_day is None:
        yield f"leaves annual {calendar.date_of(lo).isoformat()} +{hi - lo}d"
        return
    lost = _slots(off.hours_per_day * person.delivery_share, resolution_minutes)
    for day in range(lo, hi):
        worked = _slots(
            person.weekly_hours[calendar.weekday(day)] * person.delivery_share, resolution_minutes
        )
        if lost <= 0 or worked <= 0 or not calendar.is_working_day(day):
            continue
        begin, _ = _span(worked * resolution_minutes)
        minutes = min(lost, worked) * resolution_minutes
        yield f"leaves annual {calendar.date_of(day).isoformat()}-{_clock(begin)} +{minutes}min"


def _qualified(instance: Instance, role: str) -> list[int]:
    """People with ``role``: main-role people (best efficiency first), then the cross-trained."""
    scored = []
    for k, person in enumerate(instance.people):
        efficiency = person.skills.get(role)
        if efficiency:
            secondary = efficiency < max(person.skills.values())
            scored.append((secondary, -efficiency, k))
    return [k for _, _, k in sorted(scored)]


def _allocate(candidates: Sequence[int], mandatory: bool) -> str:
    first, rest = resource_id(candidates[0]), [resource_id(k) for k in candidates[1:]]
    options = []
    if rest:
        options.append(f"alternative {', '.join(rest)} select order")
    if mandatory:
        options.append("mandatory")
    body = f" {{ {' '.join(options)} }}" if options else ""
    return f"allocate {first}{body}"


def _limit(hours: float, candidates: Sequence[int], resolution_minutes: int) -> str:
    minutes = max(1, _slots(hours, resolution_minutes)) * resolution_minutes
    listed = ", ".join(resource_id(k) for k in candidates)
    return f"limits {{ dailymax {minutes}min {{ resources {listed} }} }}"


def _phase_lines(
    phase: Phase,
    index: int,
    project: Project,
    instance: Instance,
    qualified: dict[str, list[int]],
    resolution_minutes: int,
) -> list[str]:
    ids = {p.id: k for k, p in enumerate(project.phases)}
    name = phase.name or phase.id
    body: list[str] = []
    if phase.predecessors:
        deps = []
        for dep in phase.predecessors:
            gap = f" {{ gapduration {dep.lag_days}d }}" if dep.lag_days > 0 else ""
            deps.append(f"!{phase_task_id(ids[dep.phase])}{gap}")
        body.append(f"depends {', '.join(deps)}")
    else:
        body.append(f"start {instance.calendar.date_of(project.release_day).isoformat()}")
    allocations: list[tuple[list[int], bool]] = []
    if isinstance(phase, EffortPhase):
        hours, daily = phase.remaining_hours, phase.max_hours_per_day
        candidates = qualified.get(phase.role, [])
        allocations = [(candidates, False)] * min(phase.max_people, len(candidates))
    else:
        hours, daily = (
            sum(phase.crew.values()) * phase.days * phase.hours_per_day,
            phase.hours_per_day,
        )
        for role, count in sorted(phase.crew.items()):
            candidates = qualified.get(role, [])
            allocations += [(candidates, True)] * (count if candidates else 0)
    slots = _slots(hours, resolution_minutes)
    if slots <= 0 or not allocations:
        # Nothing to do, or nobody qualified: a milestone (TaskJuggler cannot
        # schedule effort without resources; the engine reports it unscheduled).
        body.append("milestone")
    else:
        body.append(f"effort {slots * resolution_minutes}min")
        body.extend(_allocate(c, mandatory) for c, mandatory in allocations)
        everyone = sorted({k for c, _ in allocations for k in c})
        body.append(_limit(daily, everyone, resolution_minutes))
    return [f"task {phase_task_id(index)} {_quote(name)} {{", *(f"  {b}" for b in body), "}"]


def instance_to_tjp(
    instance: Instance, *, resolution_minutes: int = 60, span_days: int | None = None
) -> str:
    """A TaskJuggler 3 project file (``.tjp``) for ``instance``.

    Parameters
    ----------
    instance
        The portfolio; see the module docstring for how each field maps.
    resolution_minutes
        TaskJuggler's ``timingresolution`` (5-60); hours round to it.
    span_days
        Length of the TaskJuggler project (default: the horizon). A longer
        span lets TaskJuggler finish work that overruns the horizon instead
        of failing.

    Returns
    -------
    str
        The file's text. ``tj3 -o DIR file.tjp`` schedules it and writes
        ``DIR/tasks.csv`` (see :func:`read_task_report`).
    """
    if not 5 <= resolution_minutes <= 60 or 60 % resolution_minutes:
        raise InvalidInput("resolution_minutes", "must divide 60 and be at least 5")
    calendar = instance.calendar
    span = calendar.horizon_days if span_days is None else span_days
    if span < calendar.horizon_days:
        raise InvalidInput("span_days", "must not be shorter than the horizon")
    lines = [
        f"project promisekeeper {_quote(str(instance.meta.get('name', 'Promisekeeper portfolio')))}"
        f" {calendar.start.isoformat()} +{span}d {{",
        f"  timingresolution {resolution_minutes}min",
        '  timezone "UTC"',
        "  dailyworkinghours 8",
    ]
    for weekday, works in enumerate(calendar.working_weekdays):
        hours = "9:00 - 17:00" if works else "off"
        lines.append(f"  workinghours {_WEEKDAYS[weekday]} {hours}")
    lines += ["  extend task {", '    date Promised "Promised"', "  }", "}", ""]
    for day in sorted(d for d in calendar.closed_days if 0 <= d < span):
        lines.append(f'leaves holiday "closed" {calendar.date_of(day).isoformat()}')
    lines.append("")
    for k, person in enumerate(instance.people):
        lines.append(f"resource {resource_id(k)} {_quote(person.id)} {{")
        lines.extend(f"  {line}" for line in _working_hours(person, resolution_minutes))
        lines.append(f"  efficiency {max(person.skills.values(), default=1.0):g}")
        lines.extend(
            f"  {line}" for line in _leave_lines(person, instance, resolution_minutes, span)
        )
        lines.append("}")
    lines.append("")
    qualified = {role: _qualified(instance, role) for role in instance.roles}
    for p, project in enumerate(instance.projects):
        lines.append(f"task {project_task_id(p)} {_quote(project.id)} {{")
        lines.append(f"  priority {STATE_PRIORITY[project.state]}")
        if project.promised_day is not None:
            lines.append(f"  Promised {calendar.date_of(project.promised_day).isoformat()}")
        for k, phase in enumerate(project.phases):
            lines.extend(
                f"  {line}"
                for line in _phase_lines(phase, k, project, instance, qualified, resolution_minutes)
            )
        lines.append("}")
    lines += [
        "",
        f"taskreport {REPORT_NAME} {_quote(REPORT_NAME)} {{",
        "  formats csv",
        "  columns id, name, start, end",
        f'  timeformat "{_TIME_FORMAT}"',
        "  hideresource 1",
        "  sorttasks id.up",
        "}",
        "",
    ]
    return "\n".join(lines)


_FULL_ID = re.compile(r"^prj(\d+)(?:\.ph(\d+))?$")


def _day(stamp: str, start: date, *, end: bool) -> int:
    moment = datetime.strptime(stamp.strip(), _TIME_FORMAT)  # noqa: DTZ007 - tj3 writes UTC
    day = (moment.date() - start).days
    # An end is exclusive: work ending at 17:00 occupies that day, at 00:00 it does not.
    if end and moment.time() != datetime.min.time():
        day += 1
    return day


def read_task_report(text: str, instance: Instance) -> dict[str, ProjectResult]:
    """Per-project results from the CSV task report ``tj3`` wrote for ``instance``.

    Days count from ``instance.calendar.start``; a phase's ``end_day`` is
    exclusive, as in the engine, so lateness is computed the same way.
    Raises :class:`InvalidInput` if the report does not match the instance.
    """
    timings: dict[int, dict[int, PhaseTiming]] = {}
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = next(reader, None)
    if header is None or [h.strip() for h in header[:1]] != ["Id"]:
        raise InvalidInput("report", f"expected a header starting with 'Id', got {header}")
    start = instance.calendar.start
    for row in reader:
        if not row:
            continue
        match = _FULL_ID.match(row[0].strip())
        if match is None or match.group(2) is None:
            continue
        p, k = int(match.group(1)), int(match.group(2))
        if p >= len(instance.projects) or k >= len(instance.projects[p].phases):
            raise InvalidInput("report", f"task {row[0]!r} is not in the instance")
        phase_id = instance.projects[p].phases[k].id
        timings.setdefault(p, {})[k] = PhaseTiming(
            phase_id, _day(row[2], start, end=False), _day(row[3], start, end=True)
        )
    results = {}
    for p, project in enumerate(instance.projects):
        found = timings.get(p, {})
        if len(found) != len(project.phases):
            raise InvalidInput("report", f"project {project.id!r} is missing phases")
        phases = tuple(found[k] for k in range(len(project.phases)))
        results[project.id] = project_result(project.id, project.promised_day, phases)
    return results
