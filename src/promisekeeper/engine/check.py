"""An independent checker: does a plan keep every rule of its instance?

:func:`check_plan` re-derives everything it needs from the model — each
person's available hours, the working days, who is qualified — without the
scheduler's code or :mod:`promisekeeper.engine.capacity`, so a bug there shows up
here as a violation. It reads the PLAN.json form (ids, day indices, dates), so
it checks files written by any tool as well as :class:`~promisekeeper.engine.plan.Plan`
objects.

Examples
--------
>>> from promisekeeper.engine.io import instance_from_dict
>>> instance = instance_from_dict({
...     "calendar": {"start": "2026-01-05", "horizon_days": 14},
...     "roles": ["dev"],
...     "people": [{"id": "ana", "skills": {"dev": 1}, "weekly_hours": [8, 8, 8, 8, 8, 0, 0]}],
...     "projects": [{"id": "p", "phases": [
...         {"id": "x", "kind": "effort", "role": "dev", "effort_hours": 10}]}],
... })
>>> plan = {
...     "horizon_start": "2026-01-05", "makespan_days": 2,
...     "projects": [{"id": "p", "status": "no_promise", "finish_day": 2,
...                   "phases": [{"id": "x", "start_day": 0, "end_day": 2}]}],
...     "allocations": [
...         {"person": "ana", "day": 0, "project": "p", "phase": "x", "hours": 8},
...         {"person": "ana", "day": 1, "project": "p", "phase": "x", "hours": 2},
...     ],
... }
>>> check_plan(instance, plan)
[]
>>> plan["allocations"][0]["hours"] = 9
>>> [v.code for v in check_plan(instance, plan)]
['max_hours_per_day', 'effort_total', 'over_capacity']
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    Calendar,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Project,
)
from promisekeeper.engine.plan import Plan

__all__ = ["HOURS_TOLERANCE", "Violation", "available_hours", "check_plan"]

HOURS_TOLERANCE = 1e-6
_STATUSES = ("on_time", "late", "no_promise", "unscheduled")


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: a stable ``code`` and a message naming where.

    ``project``, ``phase``, ``person`` and ``day`` repeat the place in
    machine-readable form when the rule concerns one.
    """

    code: str
    message: str
    project: str | None = None
    phase: str | None = None
    person: str | None = None
    day: int | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def available_hours(person: Person, calendar: Calendar, day: int) -> float:
    """Hours ``person`` can deliver on ``day``, computed from the model alone.

    Zero outside employment, on closed days and on non-working weekdays;
    otherwise ``weekly_hours[weekday] * delivery_share`` less time off (a
    partial day off costs ``hours_per_day * delivery_share`` delivery hours).
    """
    if day < person.start_day or (person.end_day is not None and day >= person.end_day):
        return 0.0
    if not _is_working_day(calendar, day):
        return 0.0
    weekday = (calendar.start + timedelta(days=day)).weekday()
    hours = person.weekly_hours[weekday] * person.delivery_share
    for off in person.time_off:
        if off.start_day <= day < off.end_day:
            if off.hours_per_day is None:
                return 0.0
            hours = max(0.0, hours - off.hours_per_day * person.delivery_share)
    return hours


def _is_working_day(calendar: Calendar, day: int) -> bool:
    weekday = (calendar.start + timedelta(days=day)).weekday()
    return bool(calendar.working_weekdays[weekday]) and day not in calendar.closed_days


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class _Timing:
    id: str
    start_day: int
    end_day: int
    start_date: object
    end_date: object


@dataclass(frozen=True, slots=True)
class _Result:
    id: str
    status: str
    finish_day: int | None
    raw: Mapping[str, Any]
    phases: tuple[_Timing, ...]


def _need(obj: object, key: str, where: str) -> Any:
    if not isinstance(obj, Mapping):
        raise InvalidInput(where, "must be an object")
    if key not in obj:
        raise InvalidInput(f"{where}.{key}" if where else key, "is required")
    return obj[key]


def _as_int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(where, "must be an integer")
    return value


def _as_optional_int(value: object, where: str) -> int | None:
    return None if value is None else _as_int(value, where)


def _as_str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(where, "must be a string")
    return value


def _read_result(data: object, where: str) -> _Result:
    if not isinstance(data, Mapping):
        raise InvalidInput(where, "must be an object")
    status = _as_str(_need(data, "status", where), f"{where}.status")
    if status not in _STATUSES:
        raise InvalidInput(f"{where}.status", f"unknown status {status!r}")
    phases = _need(data, "phases", where)
    if not isinstance(phases, list):
        raise InvalidInput(f"{where}.phases", "must be a list")
    timings = []
    for k, item in enumerate(phases):
        at = f"{where}.phases[{k}]"
        timings.append(
            _Timing(
                id=_as_str(_need(item, "id", at), f"{at}.id"),
                start_day=_as_int(_need(item, "start_day", at), f"{at}.start_day"),
                end_day=_as_int(_need(item, "end_day", at), f"{at}.end_day"),
                start_date=item.get("start_date"),
                end_date=item.get("end_date"),
            )
        )
    return _Result(
        id=_as_str(_need(data, "id", where), f"{where}.id"),
        status=status,
        finish_day=_as_optional_int(data.get("finish_day"), f"{where}.finish_day"),
        raw=data,
        phases=tuple(timings),
    )


def _plan_dict(plan: Plan | Mapping[str, Any], extra_projects: Sequence[Project]) -> Mapping:
    if isinstance(plan, Plan):
        from promisekeeper.engine.io import plan_to_dict

        return plan_to_dict(plan, extra_projects=extra_projects)
    if not isinstance(plan, Mapping):
        raise InvalidInput("plan", "must be a PLAN.json object or a Plan")
    return plan


# --------------------------------------------------------------------------- checking


class _Checker:
    def __init__(self, instance: Instance, projects: Sequence[Project]) -> None:
        self.instance = instance
        self.calendar = instance.calendar
        self.horizon = instance.calendar.horizon_days
        self.people = {p.id: p for p in instance.people}
        self.projects = {p.id: p for p in projects}
        self.violations: list[Violation] = []
        # (project, phase) -> day -> person -> hours
        self.work: dict[tuple[str, str], dict[int, dict[str, float]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(float))
        )
        self.person_day: dict[tuple[str, int], float] = defaultdict(float)
        self.finish: dict[str, int] = {}  # project -> exclusive end of its last phase

    def add(self, code: str, message: str, **where: Any) -> None:
        self.violations.append(Violation(code, message, **where))

    def iso(self, day: int) -> str:
        return (self.calendar.start + timedelta(days=day)).isoformat()

    def on(self, day: int) -> str:
        return f"day {day} ({self.iso(day)})"

    # ---------------------------------------------------------------- allocations

    def read_allocations(self, rows: object) -> None:
        if not isinstance(rows, list):
            raise InvalidInput("allocations", "must be a list")
        for k, row in enumerate(rows):
            at = f"allocations[{k}]"
            person = _as_str(_need(row, "person", at), f"{at}.person")
            project = _as_str(_need(row, "project", at), f"{at}.project")
            phase = _as_str(_need(row, "phase", at), f"{at}.phase")
            day = _as_int(_need(row, "day", at), f"{at}.day")
            hours = _need(row, "hours", at)
            if isinstance(hours, bool) or not isinstance(hours, int | float):
                raise InvalidInput(f"{at}.hours", "must be a number")
            self.allocation(k, person, project, phase, day, float(hours), row.get("date"))

    def allocation(
        self, k: int, person: str, project: str, phase: str, day: int, hours: float, when: object
    ) -> None:
        where = {"project": project, "phase": phase, "person": person, "day": day}
        if person not in self.people:
            self.add("unknown_person", f"allocation {k} names unknown person {person!r}", **where)
            return
        model = self.projects.get(project)
        if model is None:
            self.add(
                "unknown_project", f"allocation {k} names unknown project {project!r}", **where
            )
            return
        if phase not in {ph.id for ph in model.phases}:
            self.add(
                "unknown_phase",
                f"allocation {k} names phase {phase!r}, which project {project!r} does not have",
                **where,
            )
            return
        if not 0 <= day < self.horizon:
            self.add(
                "day_outside_horizon",
                f"allocation {k} ({person} on {project}/{phase}) is on day {day}, "
                f"outside the horizon 0..{self.horizon - 1}",
                **where,
            )
            return
        if not math.isfinite(hours) or hours < -HOURS_TOLERANCE:
            self.add(
                "negative_hours",
                f"{person} has {hours} h on {project}/{phase} on {self.on(day)}",
                **where,
            )
            return
        if when is not None and when != self.iso(day):
            self.add(
                "date_mismatch",
                f"allocation {k} has date {when!r} but day {day} is {self.iso(day)}",
                **where,
            )
        if hours <= HOURS_TOLERANCE:
            return
        self.work[(project, phase)][day][person] += hours
        self.person_day[(person, day)] += hours

    def capacity(self) -> None:
        for (person_id, day), hours in sorted(self.person_day.items(), key=lambda kv: kv[0][::-1]):
            available = available_hours(self.people[person_id], self.calendar, day)
            if hours > available + HOURS_TOLERANCE:
                self.add(
                    "over_capacity",
                    f"{person_id} is booked {hours:g} h on {self.on(day)} "
                    f"but has {available:g} h available",
                    person=person_id,
                    day=day,
                )

    # ---------------------------------------------------------------- projects

    def project(self, project: Project, result: _Result) -> None:
        pid = project.id
        booked = [key for key in self.work if key[0] == pid]
        if result.status == "unscheduled":
            if booked:
                days = sorted(d for key in booked for d in self.work[key])
                self.add(
                    "unscheduled_with_allocations",
                    f"project {pid} is unscheduled but has allocations from {self.on(days[0])}",
                    project=pid,
                    day=days[0],
                )
            return
        timings = self.timings(project, result)
        for phase in project.phases:
            timing = timings.get(phase.id)
            if timing is None:
                continue
            self.phase_window(project, timing)
            self.precedence(project, phase, timing, timings)
            if isinstance(phase, EffortPhase):
                self.effort(project, phase, timing)
            else:
                self.fixed(project, phase, timing)
        self.finish[project.id] = max((t.end_day for t in timings.values()), default=0)
        if len(timings) == len(project.phases):
            self.outcome(project, result)

    def timings(self, project: Project, result: _Result) -> dict[str, _Timing]:
        pid = project.id
        known = {phase.id for phase in project.phases}
        timings: dict[str, _Timing] = {}
        for timing in result.phases:
            if timing.id not in known:
                self.add(
                    "unknown_phase",
                    f"plan lists phase {timing.id!r}, which project {pid} does not have",
                    project=pid,
                    phase=timing.id,
                )
            elif timing.id in timings:
                self.add(
                    "duplicate_phase",
                    f"plan lists phase {pid}/{timing.id} twice",
                    project=pid,
                    phase=timing.id,
                )
            else:
                timings[timing.id] = timing
        for phase in project.phases:
            if phase.id not in timings:
                self.add(
                    "missing_phase",
                    f"project {pid} is {result.status} but phase {phase.id!r} is not in the plan",
                    project=pid,
                    phase=phase.id,
                )
        return timings

    def phase_window(self, project: Project, timing: _Timing) -> None:
        where = {"project": project.id, "phase": timing.id}
        name = f"{project.id}/{timing.id}"
        if timing.end_day < timing.start_day:
            self.add(
                "phase_order",
                f"phase {name} ends (day {timing.end_day}) before it starts "
                f"(day {timing.start_day})",
                **where,
            )
        if timing.start_day < 0 or timing.end_day > self.horizon:
            self.add(
                "phase_beyond_horizon",
                f"phase {name} runs days {timing.start_day}..{timing.end_day}, "
                f"outside the horizon 0..{self.horizon}",
                **where,
            )
        if timing.start_day < project.release_day:
            self.add(
                "release",
                f"phase {name} starts on {self.on(timing.start_day)}, before the project's "
                f"release on {self.on(project.release_day)}",
                day=timing.start_day,
                **where,
            )
        for key, day in (("start_date", timing.start_day), ("end_date", timing.end_day - 1)):
            value = getattr(timing, key)
            if value is not None and value != self.iso(day):
                self.add(
                    "date_mismatch",
                    f"phase {name} has {key} {value!r} but that day is {self.iso(day)}",
                    **where,
                )

    def precedence(
        self,
        project: Project,
        phase: EffortPhase | FixedPhase,
        timing: _Timing,
        timings: Mapping[str, _Timing],
    ) -> None:
        for dep in phase.predecessors:
            before = timings.get(dep.phase)
            if before is None:
                continue
            earliest = before.end_day + dep.lag_days
            if timing.start_day < earliest:
                self.add(
                    "precedence",
                    f"phase {project.id}/{phase.id} starts on {self.on(timing.start_day)} but "
                    f"{dep.phase!r} ends on day {before.end_day} (exclusive) with a "
                    f"{dep.lag_days}-day lag, so it may start on day {earliest} at the earliest",
                    project=project.id,
                    phase=phase.id,
                    day=timing.start_day,
                )

    def effort(self, project: Project, phase: EffortPhase, timing: _Timing) -> None:
        pid, name = project.id, f"{project.id}/{phase.id}"
        work = self.work.get((pid, phase.id), {})
        delivered = 0.0
        unqualified: set[str] = set()
        for day in sorted(work):
            people = work[day]
            where = {"project": pid, "phase": phase.id, "day": day}
            if not timing.start_day <= day < timing.end_day:
                self.add(
                    "outside_phase",
                    f"{', '.join(sorted(people))} work on {name} on {self.on(day)}, outside "
                    f"the phase's days {timing.start_day}..{timing.end_day - 1}",
                    **where,
                )
            if len(people) > phase.max_people:
                self.add(
                    "max_people",
                    f"{len(people)} people work on {name} on {self.on(day)} "
                    f"(max_people {phase.max_people})",
                    **where,
                )
            for person_id, hours in sorted(people.items()):
                efficiency = self.people[person_id].skills.get(phase.role, 0.0)
                if efficiency <= 0 and person_id not in unqualified:
                    unqualified.add(person_id)
                    self.add(
                        "unqualified",
                        f"{person_id} works on {name} on {self.on(day)} without the "
                        f"role {phase.role!r}",
                        person=person_id,
                        **where,
                    )
                if hours > phase.max_hours_per_day + HOURS_TOLERANCE:
                    self.add(
                        "max_hours_per_day",
                        f"{person_id} works {hours:g} h on {name} on {self.on(day)} "
                        f"(max_hours_per_day {phase.max_hours_per_day:g})",
                        person=person_id,
                        **where,
                    )
                delivered += hours * max(0.0, efficiency)
        where = {"project": pid, "phase": phase.id}
        needed = phase.remaining_hours
        if abs(delivered - needed) > HOURS_TOLERANCE * max(1.0, needed):
            self.add(
                "effort_total",
                f"phase {name} delivers {delivered:.6g} effective hours but needs {needed:g}",
                **where,
            )
        if work:
            first, last = min(work), max(work)
            if (timing.start_day, timing.end_day) != (first, last + 1):
                self.add(
                    "phase_bounds",
                    f"phase {name} is listed as days {timing.start_day}..{timing.end_day} "
                    f"(end exclusive) but its work runs days {first}..{last + 1}",
                    **where,
                )
        elif timing.end_day != timing.start_day:
            self.add(
                "phase_bounds",
                f"phase {name} has no work but spans days {timing.start_day}..{timing.end_day}",
                **where,
            )

    def fixed(self, project: Project, phase: FixedPhase, timing: _Timing) -> None:
        pid, name = project.id, f"{project.id}/{phase.id}"
        where = {"project": pid, "phase": phase.id}
        run = self.working_run(timing.start_day, phase.days)
        expected_end = run[-1] + 1 if run else timing.start_day
        if phase.days > 0 and not _is_working_day(self.calendar, timing.start_day):
            self.add(
                "fixed_span",
                f"fixed phase {name} starts on {self.on(timing.start_day)}, "
                f"which is not a working day",
                day=timing.start_day,
                **where,
            )
        elif len(run) < phase.days:
            self.add(
                "fixed_span",
                f"fixed phase {name} needs {phase.days} working days from "
                f"{self.on(timing.start_day)} but the horizon has only {len(run)}",
                **where,
            )
        elif timing.end_day != expected_end:
            self.add(
                "fixed_span",
                f"fixed phase {name} of {phase.days} working days from day {timing.start_day} "
                f"must end on day {expected_end} (exclusive), not {timing.end_day}",
                **where,
            )
        work = self.work.get((pid, phase.id), {})
        run_days = set(run)
        for day in sorted(work):
            if day not in run_days:
                self.add(
                    "outside_phase",
                    f"{', '.join(sorted(work[day]))} work on fixed phase {name} on "
                    f"{self.on(day)}, which is not one of its {phase.days} working days",
                    day=day,
                    **where,
                )
        for day in run:
            self.crew_day(phase, name, day, work.get(day, {}), where)

    def working_run(self, start: int, days: int) -> list[int]:
        run: list[int] = []
        day = max(0, start)
        while len(run) < days and day < self.horizon:
            if _is_working_day(self.calendar, day):
                run.append(day)
            day += 1
        return run

    def crew_day(
        self,
        phase: FixedPhase,
        name: str,
        day: int,
        people: Mapping[str, float],
        where: Mapping[str, Any],
    ) -> None:
        need = sum(n for n in phase.crew.values() if n > 0)
        if len(people) != need:
            self.add(
                "crew_size",
                f"fixed phase {name} has {len(people)} people on {self.on(day)} "
                f"but its crew is {need} ({_crew_text(phase.crew)})",
                day=day,
                **where,
            )
            return
        for person_id, hours in sorted(people.items()):
            if abs(hours - phase.hours_per_day) > HOURS_TOLERANCE:
                self.add(
                    "crew_hours",
                    f"{person_id} works {hours:g} h on fixed phase {name} on {self.on(day)} "
                    f"instead of {phase.hours_per_day:g}",
                    person=person_id,
                    day=day,
                    **where,
                )
        for person_id in sorted(people):
            skills = self.people[person_id].skills
            if not any(skills.get(role, 0.0) > 0 for role, n in phase.crew.items() if n > 0):
                self.add(
                    "unqualified",
                    f"{person_id} works on fixed phase {name} on {self.on(day)} "
                    f"without any of its crew roles ({_crew_text(phase.crew)})",
                    person=person_id,
                    day=day,
                    **where,
                )
                return
        if not _crew_matches(sorted(people), phase.crew, self.people):
            self.add(
                "crew_roles",
                f"the {len(people)} people on fixed phase {name} on {self.on(day)} "
                f"({', '.join(sorted(people))}) cannot fill its crew ({_crew_text(phase.crew)}) "
                f"one role each",
                day=day,
                **where,
            )

    def outcome(self, project: Project, result: _Result) -> None:
        pid = project.id
        finish = self.finish[pid]
        if result.finish_day != finish:
            self.add(
                "finish_day",
                f"project {pid} has finish_day {result.finish_day} but its last phase ends "
                f"on day {finish} (exclusive)",
                project=pid,
            )
        finish_date = result.raw.get("finish_date")
        if finish_date is not None and finish_date != self.iso(finish - 1):
            self.add(
                "date_mismatch",
                f"project {pid} has finish_date {finish_date!r}, but its last working day is "
                f"{self.iso(finish - 1)}",
                project=pid,
            )
        promised = project.promised_day
        listed = result.raw.get("promised_day", promised)
        promised_date = result.raw.get("promised_date")
        expected_date = None if promised is None else self.iso(promised)
        if listed != promised or ("promised_date" in result.raw and promised_date != expected_date):
            self.add(
                "promise",
                f"project {pid} is listed as promised for {promised_date or listed} "
                f"but the instance promises {expected_date}",
                project=pid,
            )
        lateness = None if promised is None else finish - 1 - promised
        if "lateness_days" in result.raw and result.raw["lateness_days"] != lateness:
            self.add(
                "lateness",
                f"project {pid} has lateness_days {result.raw['lateness_days']} "
                f"but finishes {lateness} days after its promise",
                project=pid,
            )
        status = "no_promise" if lateness is None else ("late" if lateness > 0 else "on_time")
        if result.status != status:
            self.add(
                "status",
                f"project {pid} is listed as {result.status} but is {status}",
                project=pid,
            )


def _crew_text(crew: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {role}" for role, n in crew.items() if n > 0) or "nobody"


def _crew_matches(people: list[str], crew: Mapping[str, int], by_id: Mapping[str, Person]) -> bool:
    """Can every person take one crew slot of a role they have, filling every slot?"""
    slots = [role for role, n in crew.items() for _ in range(max(0, n))]
    slot_of: dict[int, int] = {}  # slot index -> person index

    def assign(p: int, seen: set[int]) -> bool:
        skills = by_id[people[p]].skills
        for s, role in enumerate(slots):
            if s in seen or skills.get(role, 0.0) <= 0:
                continue
            seen.add(s)
            if s not in slot_of or assign(slot_of[s], seen):
                slot_of[s] = p
                return True
        return False

    return len(slots) == len(people) and all(assign(p, set()) for p in range(len(people)))


def check_plan(
    instance: Instance,
    plan: Plan | Mapping[str, Any],
    *,
    extra_projects: Sequence[Project] = (),
) -> list[Violation]:
    """Every rule of ``instance`` that ``plan`` breaks; ``[]`` when the plan is valid.

    ``plan`` is a :class:`Plan` or its PLAN.json form. ``extra_projects`` are
    projects evaluated on top of the instance (a promise query's new project).

    Checked: available hours per person-day (tolerance ``HOURS_TOLERANCE``);
    qualification; precedence with lags; release days; effort phases
    (``max_people``, ``max_hours_per_day``, work only inside the phase,
    delivered effort = ``remaining_hours``, phase bounds = first/last work day);
    fixed phases (a run of exactly ``days`` working days, the exact crew, one
    role per person, ``hours_per_day`` each, nothing outside the run); every
    project present with all its phases; unscheduled projects without work;
    ``finish_day``, lateness, status, dates and ``makespan_days`` consistent.

    Raises
    ------
    InvalidInput
        When ``plan`` is not shaped like a plan at all (missing keys, wrong
        types), naming the field.
    """
    data = _plan_dict(plan, extra_projects)
    all_projects = [*instance.projects, *extra_projects]
    checker = _Checker(instance, all_projects)
    start = _as_str(_need(data, "horizon_start", ""), "horizon_start")
    if start != instance.calendar.start.isoformat():
        checker.add(
            "horizon_start",
            f"plan starts on {start} but the instance calendar starts on "
            f"{instance.calendar.start.isoformat()}",
        )
    raw_results = _need(data, "projects", "")
    if not isinstance(raw_results, list):
        raise InvalidInput("projects", "must be a list")
    results: dict[str, _Result] = {}
    for k, item in enumerate(raw_results):
        read = _read_result(item, f"projects[{k}]")
        if read.id in results:
            checker.add("duplicate_project", f"project {read.id} appears twice", project=read.id)
        elif read.id not in checker.projects:
            checker.add(
                "unknown_project", f"plan lists unknown project {read.id!r}", project=read.id
            )
        else:
            results[read.id] = read
    checker.read_allocations(_need(data, "allocations", ""))
    extra_ids = {project.id for project in extra_projects}
    for project in all_projects:
        result = results.get(project.id)
        if result is None:
            if project.id not in extra_ids:
                checker.add(
                    "missing_project",
                    f"project {project.id} of the instance is not in the plan",
                    project=project.id,
                )
            continue
        checker.project(project, result)
    checker.capacity()
    makespan = max(checker.finish.values(), default=0)
    listed = _need(data, "makespan_days", "")
    if listed != makespan:
        checker.add(
            "makespan",
            f"plan has makespan_days {listed} but its last phase ends on day {makespan}",
        )
    return checker.violations
