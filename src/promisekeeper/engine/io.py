"""JSON in and out of the engine: instances, projects and plans.

The JSON formats use ISO dates at the edges and are converted to the model's
integer day indices with the instance's :class:`~promisekeeper.engine.model.Calendar`
(day ``0`` is ``calendar.start``). Every malformed, missing, mistyped or unknown
field raises :class:`~promisekeeper.engine.errors.InvalidInput` whose ``field``
is a dotted path such as ``"people[2].weekly_hours"``. The formats are described
in ``docs/formats.md`` and by the JSON Schemas in ``engine/schemas/``.

Examples
--------
>>> data = {
...     "calendar": {"start": "2026-01-05", "horizon_days": 28},
...     "roles": ["dev"],
...     "people": [{"id": "ana", "skills": {"dev": 1.0}, "weekly_hours": [8, 8, 8, 8, 8, 0, 0]}],
...     "projects": [
...         {"id": "p1", "promised_date": "2026-01-16",
...          "phases": [{"id": "build", "kind": "effort", "role": "dev", "effort_hours": 40}]}
...     ],
... }
>>> instance = instance_from_dict(data)
>>> instance.projects[0].promised_day
11
>>> instance_to_dict(instance)["projects"][0]["promised_date"]
'2026-01-16'
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from promisekeeper.engine.capacity import capacity_matrix
from promisekeeper.engine.effort import EffortDistribution, EffortKind
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
    validate_calendar,
    validate_instance,
    validate_project,
)
from promisekeeper.engine.plan import (
    Allocations,
    PhaseTiming,
    Plan,
    ProjectResult,
    ProjectStatus,
)
from promisekeeper.engine.report import role_week_load

__all__ = [
    "WEEKDAY_NAMES",
    "dump_json",
    "instance_from_dict",
    "instance_to_dict",
    "load_instance",
    "plan_from_dict",
    "plan_to_dict",
    "project_from_dict",
    "project_to_dict",
    "read_json",
]

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

T = TypeVar("T")

_TOP_KEYS = {"$schema", "calendar", "roles", "people", "projects", "meta"}
_CALENDAR_KEYS = {"start", "horizon_days", "working_weekdays", "working_days", "closed_dates"}
_PERSON_KEYS = {
    "id",
    "skills",
    "weekly_hours",
    "start_date",
    "end_date",
    "delivery_share",
    "time_off",
}
_TIME_OFF_KEYS = {"start", "end", "hours_per_day"}
_PROJECT_KEYS = {
    "$schema",
    "id",
    "name",
    "state",
    "priority",
    "win_probability",
    "release_date",
    "promised_date",
    "quantity",
    "phases",
}
_COMMON_PHASE_KEYS = {"id", "kind", "name", "predecessors"}
_EFFORT_KEYS = _COMMON_PHASE_KEYS | {
    "role",
    "effort_hours",
    "effort_low",
    "effort_high",
    "per_unit_hours",
    "max_people",
    "max_hours_per_day",
    "effort_distribution",
    "spent_hours",
}
_DISTRIBUTION_KEYS = {"kind", "median", "sigma", "ratios"}
_FIXED_KEYS = _COMMON_PHASE_KEYS | {"days", "crew", "hours_per_day", "days_low", "days_high"}
_DEPENDENCY_KEYS = {"phase", "lag_days"}


# --------------------------------------------------------------------------- readers


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _object(value: object, where: str, allowed: set[str], required: Iterable[str] = ()) -> dict:
    if not isinstance(value, dict):
        raise InvalidInput(where, f"must be an object, got {_type_name(value)}")
    for key in value:
        if key not in allowed:
            known = ", ".join(sorted(k for k in allowed if not k.startswith("$")))
            raise InvalidInput(_join(where, str(key)), f"unknown field; expected one of {known}")
    for key in required:
        if key not in value:
            raise InvalidInput(_join(where, key), "is required")
    return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _list(value: object, where: str) -> list:
    if not isinstance(value, list):
        raise InvalidInput(where, f"must be a list, got {_type_name(value)}")
    return value


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(where, f"must be a string, got {_type_name(value)}")
    return value


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(where, f"must be an integer, got {_type_name(value)}")
    return value


def _float(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(where, f"must be a number, got {_type_name(value)}")
    if not math.isfinite(value):
        raise InvalidInput(where, f"must be a finite number, got {value}")
    return float(value)


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(where, f"must be true or false, got {_type_name(value)}")
    return value


def _date(value: object, where: str) -> date:
    text = _str(value, where)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(where, f"must be an ISO date YYYY-MM-DD, got {text!r}") from None


def _day(value: object, where: str, calendar: Calendar) -> int:
    """Day index of an ISO date that must lie inside the calendar's horizon."""
    when = _date(value, where)
    day = calendar.day_of(when)
    if not 0 <= day < calendar.horizon_days:
        last = calendar.date_of(calendar.horizon_days - 1)
        raise InvalidInput(
            where,
            f"{when.isoformat()} is outside the planning horizon "
            f"{calendar.start.isoformat()}..{last.isoformat()}",
        )
    return day


def _optional(data: dict, key: str, where: str, read: Callable[[object, str], T], default: T) -> T:
    if key not in data or data[key] is None:
        return default
    return read(data[key], _join(where, key))


# --------------------------------------------------------------------------- instance


def _calendar_from_dict(data: object) -> Calendar:
    where = "calendar"
    obj = _object(data, where, _CALENDAR_KEYS, required=("start",))
    start = _date(obj["start"], "calendar.start")
    horizon = _optional(obj, "horizon_days", where, _int, DEFAULT_HORIZON_DAYS)
    if "working_weekdays" in obj and "working_days" in obj:
        raise InvalidInput(
            "calendar.working_days", "give either working_weekdays or working_days, not both"
        )
    weekdays: tuple[bool, ...] = Calendar(start).working_weekdays
    if "working_weekdays" in obj:
        flags = _list(obj["working_weekdays"], "calendar.working_weekdays")
        if len(flags) != 7:
            raise InvalidInput(
                "calendar.working_weekdays", f"must have 7 values, Monday first, got {len(flags)}"
            )
        weekdays = tuple(_bool(f, f"calendar.working_weekdays[{k}]") for k, f in enumerate(flags))
    elif "working_days" in obj:
        names = _list(obj["working_days"], "calendar.working_days")
        chosen = set()
        for k, name in enumerate(names):
            text = _str(name, f"calendar.working_days[{k}]").lower()
            if text not in WEEKDAY_NAMES:
                raise InvalidInput(
                    f"calendar.working_days[{k}]",
                    f"unknown weekday {name!r}; expected one of {', '.join(WEEKDAY_NAMES)}",
                )
            chosen.add(WEEKDAY_NAMES.index(text))
        weekdays = tuple(w in chosen for w in range(7))
    calendar = Calendar(start=start, horizon_days=horizon, working_weekdays=weekdays)
    validate_calendar(calendar)
    closed = _list(obj.get("closed_dates", []), "calendar.closed_dates")
    closed_days = frozenset(
        _day(value, f"calendar.closed_dates[{k}]", calendar) for k, value in enumerate(closed)
    )
    return Calendar(
        start=start, horizon_days=horizon, working_weekdays=weekdays, closed_days=closed_days
    )


def _person_from_dict(data: object, where: str, calendar: Calendar) -> Person:
    obj = _object(data, where, _PERSON_KEYS, required=("id", "skills", "weekly_hours"))
    skills_obj = obj["skills"]
    if not isinstance(skills_obj, dict):
        raise InvalidInput(f"{where}.skills", f"must be an object, got {_type_name(skills_obj)}")
    skills = {
        str(role): _float(value, f"{where}.skills.{role}") for role, value in skills_obj.items()
    }
    hours = _list(obj["weekly_hours"], f"{where}.weekly_hours")
    if len(hours) != 7:
        raise InvalidInput(
            f"{where}.weekly_hours", f"must have 7 values, Monday first, got {len(hours)}"
        )
    weekly = tuple(_float(h, f"{where}.weekly_hours[{w}]") for w, h in enumerate(hours))
    start_day = 0
    if obj.get("start_date") is not None:
        start_day = _day(obj["start_date"], f"{where}.start_date", calendar)
    end_day = None
    if obj.get("end_date") is not None:
        end_day = _day(obj["end_date"], f"{where}.end_date", calendar) + 1
    time_off = tuple(
        _time_off_from_dict(item, f"{where}.time_off[{k}]", calendar)
        for k, item in enumerate(_list(obj.get("time_off", []), f"{where}.time_off"))
    )
    return Person(
        id=_str(obj["id"], f"{where}.id"),
        skills=skills,
        weekly_hours=weekly,
        start_day=start_day,
        end_day=end_day,
        delivery_share=_optional(obj, "delivery_share", where, _float, 1.0),
        time_off=time_off,
    )


def _time_off_from_dict(data: object, where: str, calendar: Calendar) -> TimeOff:
    obj = _object(data, where, _TIME_OFF_KEYS, required=("start", "end"))
    start = _day(obj["start"], f"{where}.start", calendar)
    end = _day(obj["end"], f"{where}.end", calendar)
    if end < start:
        raise InvalidInput(f"{where}.end", "must not be before start")
    hours = _optional(obj, "hours_per_day", where, _float, None)
    return TimeOff(start_day=start, end_day=end + 1, hours_per_day=hours)


def _dependency_from_json(data: object, where: str) -> Dependency:
    if isinstance(data, str):
        return Dependency(phase=data)
    obj = _object(data, where, _DEPENDENCY_KEYS, required=("phase",))
    return Dependency(
        phase=_str(obj["phase"], f"{where}.phase"),
        lag_days=_optional(obj, "lag_days", where, _int, 0),
    )


def _distribution_from_dict(data: object, where: str) -> EffortDistribution:
    obj = _object(data, where, _DISTRIBUTION_KEYS, required=("kind",))
    kind = _str(obj["kind"], f"{where}.kind")
    if kind not in {k.value for k in EffortKind}:
        allowed = ", ".join(k.value for k in EffortKind)
        raise InvalidInput(f"{where}.kind", f"must be one of {allowed}, got {kind!r}")
    if kind == EffortKind.LOGNORMAL and "sigma" not in obj:
        raise InvalidInput(f"{where}.sigma", "is required for a lognormal")
    ratios = tuple(
        _float(value, f"{where}.ratios[{k}]")
        for k, value in enumerate(_list(obj.get("ratios", []), f"{where}.ratios"))
    )
    return EffortDistribution(
        EffortKind(kind),
        median=_optional(obj, "median", where, _float, 1.0),
        sigma=_optional(obj, "sigma", where, _float, 0.0),
        ratios=ratios,
    )


def _distribution_to_dict(distribution: EffortDistribution) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": distribution.kind.value}
    if distribution.kind is EffortKind.LOGNORMAL:
        out["median"] = float(distribution.median)
        out["sigma"] = float(distribution.sigma)
    if distribution.kind is EffortKind.EMPIRICAL:
        out["ratios"] = [float(r) for r in distribution.ratios]
    return out


def _phase_from_dict(data: object, where: str) -> Phase:
    if not isinstance(data, dict):
        raise InvalidInput(where, f"must be an object, got {_type_name(data)}")
    if "kind" not in data:
        raise InvalidInput(f"{where}.kind", 'is required ("effort" or "fixed")')
    kind = _str(data["kind"], f"{where}.kind")
    if kind not in ("effort", "fixed"):
        raise InvalidInput(f"{where}.kind", f'must be "effort" or "fixed", got {kind!r}')
    predecessors = tuple(
        _dependency_from_json(item, f"{where}.predecessors[{k}]")
        for k, item in enumerate(_list(data.get("predecessors", []), f"{where}.predecessors"))
    )
    if kind == "effort":
        obj = _object(data, where, _EFFORT_KEYS, required=("id", "role", "effort_hours"))
        return EffortPhase(
            id=_str(obj["id"], f"{where}.id"),
            role=_str(obj["role"], f"{where}.role"),
            effort_hours=_float(obj["effort_hours"], f"{where}.effort_hours"),
            max_people=_optional(obj, "max_people", where, _int, 1),
            max_hours_per_day=_optional(obj, "max_hours_per_day", where, _float, 8.0),
            predecessors=predecessors,
            effort_low=_optional(obj, "effort_low", where, _float, None),
            effort_high=_optional(obj, "effort_high", where, _float, None),
            per_unit_hours=_optional(obj, "per_unit_hours", where, _float, 0.0),
            name=_optional(obj, "name", where, _str, ""),
            effort_distribution=_optional(
                obj, "effort_distribution", where, _distribution_from_dict, None
            ),
            spent_hours=_optional(obj, "spent_hours", where, _float, 0.0),
        )
    obj = _object(data, where, _FIXED_KEYS, required=("id", "days", "crew"))
    crew_obj = obj["crew"]
    if not isinstance(crew_obj, dict):
        raise InvalidInput(f"{where}.crew", f"must be an object, got {_type_name(crew_obj)}")
    return FixedPhase(
        id=_str(obj["id"], f"{where}.id"),
        days=_int(obj["days"], f"{where}.days"),
        crew={str(role): _int(n, f"{where}.crew.{role}") for role, n in crew_obj.items()},
        hours_per_day=_optional(obj, "hours_per_day", where, _float, 8.0),
        predecessors=predecessors,
        days_low=_optional(obj, "days_low", where, _int, None),
        days_high=_optional(obj, "days_high", where, _int, None),
        name=_optional(obj, "name", where, _str, ""),
    )


def _state(value: object, where: str) -> ProjectState:
    label = _str(value, where)
    try:
        return ProjectState.from_label(label)
    except InvalidInput as error:
        raise InvalidInput(where, error.message) from None


def _project_from_dict(data: object, where: str, calendar: Calendar) -> Project:
    obj = _object(data, where, _PROJECT_KEYS, required=("id", "phases"))
    phases = tuple(
        _phase_from_dict(item, f"{where}.phases[{k}]")
        for k, item in enumerate(_list(obj["phases"], f"{where}.phases"))
    )
    release_day = 0
    if obj.get("release_date") is not None:
        release_day = _day(obj["release_date"], f"{where}.release_date", calendar)
    promised_day = None
    if obj.get("promised_date") is not None:
        promised_day = _day(obj["promised_date"], f"{where}.promised_date", calendar)
    return Project(
        id=_str(obj["id"], f"{where}.id"),
        phases=phases,
        release_day=release_day,
        promised_day=promised_day,
        priority=_optional(obj, "priority", where, _int, 0),
        state=_optional(obj, "state", where, _state, ProjectState.COMMITTED),
        win_probability=_optional(obj, "win_probability", where, _float, 1.0),
        quantity=_optional(obj, "quantity", where, _float, 1.0),
        name=_optional(obj, "name", where, _str, ""),
    )


def instance_from_dict(data: object) -> Instance:
    """Build and validate an :class:`Instance` from its JSON form.

    Raises
    ------
    InvalidInput
        Naming the first missing, mistyped, unknown or invalid field, e.g.
        ``people[2].weekly_hours`` or ``projects[3].promised_date``.
    """
    if not isinstance(data, dict):
        raise InvalidInput("instance", f"must be an object, got {_type_name(data)}")
    obj = _object(data, "", _TOP_KEYS, required=("calendar", "roles", "people"))
    calendar = _calendar_from_dict(obj["calendar"])
    roles = tuple(_str(role, f"roles[{k}]") for k, role in enumerate(_list(obj["roles"], "roles")))
    people = tuple(
        _person_from_dict(item, f"people[{k}]", calendar)
        for k, item in enumerate(_list(obj["people"], "people"))
    )
    projects = tuple(
        _project_from_dict(item, f"projects[{k}]", calendar)
        for k, item in enumerate(_list(obj.get("projects", []), "projects"))
    )
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise InvalidInput("meta", f"must be an object, got {_type_name(meta)}")
    instance = Instance(
        calendar=calendar, roles=roles, people=people, projects=projects, meta=dict(meta)
    )
    validate_instance(instance)
    return instance


def project_from_dict(data: object, calendar: Calendar, roles: Iterable[str]) -> Project:
    """Build and validate one project (the ``--project NEW.json`` form).

    Dates are converted with ``calendar``; roles must be among ``roles``.
    Field paths in errors start with ``project``.
    """
    project = _project_from_dict(data, "project", calendar)
    validate_project(project, calendar, frozenset(roles), "project")
    return project


def _iso(calendar: Calendar, day: int) -> str:
    return calendar.date_of(day).isoformat()


def _phase_to_dict(phase: Phase) -> dict[str, Any]:
    out: dict[str, Any] = {"id": phase.id, "kind": phase.kind}
    if phase.name:
        out["name"] = phase.name
    if isinstance(phase, EffortPhase):
        out["role"] = phase.role
        out["effort_hours"] = float(phase.effort_hours)
        if phase.effort_low is not None:
            out["effort_low"] = float(phase.effort_low)
        if phase.effort_high is not None:
            out["effort_high"] = float(phase.effort_high)
        if phase.per_unit_hours:
            out["per_unit_hours"] = float(phase.per_unit_hours)
        if phase.effort_distribution is not None:
            out["effort_distribution"] = _distribution_to_dict(phase.effort_distribution)
        if phase.spent_hours:
            out["spent_hours"] = float(phase.spent_hours)
        out["max_people"] = int(phase.max_people)
        out["max_hours_per_day"] = float(phase.max_hours_per_day)
    else:
        out["days"] = int(phase.days)
        out["crew"] = {role: int(n) for role, n in phase.crew.items()}
        out["hours_per_day"] = float(phase.hours_per_day)
        if phase.days_low is not None:
            out["days_low"] = int(phase.days_low)
        if phase.days_high is not None:
            out["days_high"] = int(phase.days_high)
    out["predecessors"] = [
        {"phase": dep.phase, "lag_days": int(dep.lag_days)} for dep in phase.predecessors
    ]
    return out


def project_to_dict(project: Project, calendar: Calendar) -> dict[str, Any]:
    """The JSON form of ``project``; the inverse of :func:`project_from_dict`."""
    out: dict[str, Any] = {"id": project.id}
    if project.name:
        out["name"] = project.name
    out["state"] = project.state.label
    out["priority"] = int(project.priority)
    out["win_probability"] = float(project.win_probability)
    out["quantity"] = float(project.quantity)
    out["release_date"] = _iso(calendar, project.release_day)
    out["promised_date"] = (
        None if project.promised_day is None else _iso(calendar, project.promised_day)
    )
    out["phases"] = [_phase_to_dict(phase) for phase in project.phases]
    return out


def _person_to_dict(person: Person, calendar: Calendar) -> dict[str, Any]:
    horizon = calendar.horizon_days
    first = max(0, person.start_day)
    stop = horizon if person.end_day is None else min(horizon, person.end_day)
    out: dict[str, Any] = {
        "id": person.id,
        "skills": {role: float(e) for role, e in person.skills.items()},
        "weekly_hours": [float(h) for h in person.weekly_hours],
    }
    if first >= stop:
        # Never available inside the horizon: no dates can say so, zero hours do.
        out["weekly_hours"] = [0.0] * 7
    else:
        if first > 0:
            out["start_date"] = _iso(calendar, first)
        if stop < horizon:
            out["end_date"] = _iso(calendar, stop - 1)
    if person.delivery_share != 1.0:
        out["delivery_share"] = float(person.delivery_share)
    time_off = []
    for off in person.time_off:
        lo, hi = max(0, off.start_day), min(horizon, off.end_day)
        if lo >= hi:
            continue
        item: dict[str, Any] = {"start": _iso(calendar, lo), "end": _iso(calendar, hi - 1)}
        if off.hours_per_day is not None:
            item["hours_per_day"] = float(off.hours_per_day)
        time_off.append(item)
    if time_off:
        out["time_off"] = time_off
    return out


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    """The JSON form of ``instance``; the inverse of :func:`instance_from_dict`.

    Days outside the horizon (a person who started before day 0, time off that
    runs past the end) are clipped to it, which does not change any capacity.
    """
    calendar = instance.calendar
    out: dict[str, Any] = {
        "calendar": {
            "start": calendar.start.isoformat(),
            "horizon_days": int(calendar.horizon_days),
            "working_weekdays": [bool(w) for w in calendar.working_weekdays],
            "closed_dates": [
                _iso(calendar, d)
                for d in sorted(calendar.closed_days)
                if 0 <= d < calendar.horizon_days
            ],
        },
        "roles": list(instance.roles),
        "people": [_person_to_dict(person, calendar) for person in instance.people],
        "projects": [project_to_dict(project, calendar) for project in instance.projects],
    }
    if instance.meta:
        out["meta"] = _jsonable(dict(instance.meta))
    return out


def _jsonable(value: object) -> Any:
    """Plain JSON values: NumPy scalars and arrays become Python numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _jsonable_leaf(value: object) -> Any:
    """``json.dumps`` fallback for the few non-JSON types the engine produces."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# --------------------------------------------------------------------------- files


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; a syntax error becomes :class:`InvalidInput` naming the file.

    Raises ``FileNotFoundError`` when the file does not exist.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(str(path), "not a UTF-8 text file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            str(path), f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance from a JSON file (see :func:`read_json`)."""
    return instance_from_dict(read_json(path))


def dump_json(data: object, path: str | Path | None = None) -> str:
    """Serialise ``data`` (NumPy scalars allowed) as indented JSON; write it if ``path``."""
    text = json.dumps(data, indent=2, allow_nan=False, default=_jsonable_leaf) + "\n"
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


# --------------------------------------------------------------------------- plan


def _project_lookup(instance: Instance, extra_projects: Sequence[Project]) -> dict[int, Project]:
    lookup = dict(enumerate(instance.projects))
    if len(extra_projects) == 1:
        lookup[-1] = extra_projects[0]
    else:
        for k, project in enumerate(extra_projects):
            lookup[-1 - k] = project
    return lookup


def plan_to_dict(plan: Plan, *, extra_projects: Sequence[Project] = ()) -> dict[str, Any]:
    """The PLAN.json form of ``plan`` (a stable contract other tools read).

    Allocation rows name people, projects and phases by id. Rows of a project
    evaluated on top of the plan (project index ``-1``, ``-2``, ...) are
    resolved with ``extra_projects`` (``-1`` is the first).

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, Instance
    >>> from promisekeeper.engine.plan import Allocations, Plan
    >>> import numpy as np
    >>> empty = Instance(Calendar(date(2026, 1, 5), horizon_days=7), (), ())
    >>> plan = Plan(empty, np.zeros((0, 7)), np.zeros((0, 7)), Allocations(), {})
    >>> plan_to_dict(plan)["makespan_days"]
    0
    """
    instance = plan.instance
    calendar = instance.calendar
    projects_by_index = _project_lookup(instance, extra_projects)
    promised: dict[str, int | None] = {p.id: p.promised_day for p in projects_by_index.values()}
    results = []
    for result in plan.projects.values():
        finish = None if result.finish_day is None else int(result.finish_day)
        promised_day = result.promised_day
        if promised_day is None:
            promised_day = promised.get(result.id)
        results.append(
            {
                "id": result.id,
                "status": ProjectStatus(result.status).value,
                "finish_day": finish,
                "finish_date": None if finish is None else _iso(calendar, finish - 1),
                "promised_day": None if promised_day is None else int(promised_day),
                "promised_date": None if promised_day is None else _iso(calendar, promised_day),
                "lateness_days": None
                if result.lateness_days is None
                else int(result.lateness_days),
                "reason": result.reason,
                "phases": [
                    {
                        "id": timing.id,
                        "start_day": int(timing.start_day),
                        "end_day": int(timing.end_day),
                        "start_date": _iso(calendar, int(timing.start_day)),
                        "end_date": _iso(calendar, int(timing.end_day) - 1),
                    }
                    for timing in result.phases
                ],
            }
        )
    allocations = plan.allocations
    rows = []
    people = instance.people
    for person, day, project_index, phase_index, hours in zip(
        allocations.person.tolist(),
        allocations.day.tolist(),
        allocations.project.tolist(),
        allocations.phase.tolist(),
        allocations.hours.tolist(),
        strict=True,
    ):
        project = projects_by_index.get(project_index)
        if project is None:
            raise InvalidInput(
                "plan.allocations.project",
                f"project index {project_index} is not in the instance or extra_projects",
            )
        rows.append(
            {
                "person": people[person].id,
                "day": day,
                "date": _iso(calendar, day),
                "project": project.id,
                "phase": project.phases[phase_index].id,
                "hours": hours,
            }
        )
    role_weeks = [
        {**row, "week_start": _iso(calendar, int(row["week_start_day"]))}  # type: ignore[call-overload]
        for row in role_week_load(plan).as_rows()
        if any(
            row[k] for k in ("capacity_hours", "committed_hours", "held_hours", "tentative_hours")
        )
    ]
    return {
        "horizon_start": calendar.start.isoformat(),
        "makespan_days": int(plan.makespan_days),
        "projects": results,
        "allocations": rows,
        "role_weeks": role_weeks,
    }


def _plan_project_from_dict(data: object, where: str, calendar: Calendar) -> ProjectResult:
    if not isinstance(data, dict):
        raise InvalidInput(where, f"must be an object, got {_type_name(data)}")
    for key in ("id", "status", "phases"):
        if key not in data:
            raise InvalidInput(f"{where}.{key}", "is required")
    status_text = _str(data["status"], f"{where}.status")
    try:
        status = ProjectStatus(status_text)
    except ValueError:
        allowed = ", ".join(s.value for s in ProjectStatus)
        raise InvalidInput(
            f"{where}.status", f"unknown status {status_text!r}; expected one of {allowed}"
        ) from None
    phases = []
    for k, item in enumerate(_list(data["phases"], f"{where}.phases")):
        at = f"{where}.phases[{k}]"
        if not isinstance(item, dict):
            raise InvalidInput(at, f"must be an object, got {_type_name(item)}")
        for key in ("id", "start_day", "end_day"):
            if key not in item:
                raise InvalidInput(f"{at}.{key}", "is required")
        phases.append(
            PhaseTiming(
                id=_str(item["id"], f"{at}.id"),
                start_day=_int(item["start_day"], f"{at}.start_day"),
                end_day=_int(item["end_day"], f"{at}.end_day"),
            )
        )
    promised_day = _optional(data, "promised_day", where, _int, None)
    if promised_day is None and data.get("promised_date") is not None:
        promised_day = calendar.day_of(_date(data["promised_date"], f"{where}.promised_date"))
    return ProjectResult(
        id=_str(data["id"], f"{where}.id"),
        status=status,
        finish_day=_optional(data, "finish_day", where, _int, None),
        promised_day=promised_day,
        lateness_days=_optional(data, "lateness_days", where, _int, None),
        phases=tuple(phases),
        reason=_optional(data, "reason", where, _str, ""),
    )


def plan_from_dict(data: object, instance: Instance) -> Plan:
    """Rebuild a :class:`Plan` of ``instance`` from its PLAN.json form.

    Capacity is recomputed from the instance and ``free`` is capacity minus the
    allocated hours. Keys this reader does not use (``role_weeks``, dates that
    repeat a day index) are ignored, so newer writers stay readable.

    Raises
    ------
    InvalidInput
        If the plan is malformed or names a person, project or phase that is
        not in ``instance``, or a day outside its horizon.
    """
    if not isinstance(data, dict):
        raise InvalidInput("plan", f"must be an object, got {_type_name(data)}")
    for key in ("projects", "allocations"):
        if key not in data:
            raise InvalidInput(key, "is required")
    calendar = instance.calendar
    if "horizon_start" in data:
        start = _date(data["horizon_start"], "horizon_start")
        if start != calendar.start:
            raise InvalidInput(
                "horizon_start",
                f"plan starts on {start.isoformat()} but the instance calendar starts on "
                f"{calendar.start.isoformat()}",
            )
    results: dict[str, ProjectResult] = {}
    for k, item in enumerate(_list(data["projects"], "projects")):
        result = _plan_project_from_dict(item, f"projects[{k}]", calendar)
        results[result.id] = result

    person_index = {p.id: i for i, p in enumerate(instance.people)}
    project_index = {p.id: i for i, p in enumerate(instance.projects)}
    phase_index = [{ph.id: j for j, ph in enumerate(p.phases)} for p in instance.projects]
    rows = _list(data["allocations"], "allocations")
    columns: dict[str, list] = {"person": [], "day": [], "project": [], "phase": [], "hours": []}
    for k, row in enumerate(rows):
        at = f"allocations[{k}]"
        if not isinstance(row, dict):
            raise InvalidInput(at, f"must be an object, got {_type_name(row)}")
        obj = row
        for key in ("person", "day", "project", "phase", "hours"):
            if key not in obj:
                raise InvalidInput(f"{at}.{key}", "is required")
        person = _str(obj["person"], f"{at}.person")
        project = _str(obj["project"], f"{at}.project")
        phase = _str(obj["phase"], f"{at}.phase")
        day = _int(obj["day"], f"{at}.day")
        if person not in person_index:
            raise InvalidInput(f"{at}.person", f"unknown person {person!r}")
        if project not in project_index:
            raise InvalidInput(f"{at}.project", f"unknown project {project!r}")
        p = project_index[project]
        if phase not in phase_index[p]:
            raise InvalidInput(f"{at}.phase", f"project {project!r} has no phase {phase!r}")
        if not 0 <= day < calendar.horizon_days:
            raise InvalidInput(
                f"{at}.day", f"must be inside the horizon (0..{calendar.horizon_days - 1})"
            )
        columns["person"].append(person_index[person])
        columns["day"].append(day)
        columns["project"].append(p)
        columns["phase"].append(phase_index[p][phase])
        columns["hours"].append(_float(obj["hours"], f"{at}.hours"))
    allocations = Allocations(
        person=np.asarray(columns["person"], dtype=np.int32),
        day=np.asarray(columns["day"], dtype=np.int32),
        project=np.asarray(columns["project"], dtype=np.int32),
        phase=np.asarray(columns["phase"], dtype=np.int32),
        hours=np.asarray(columns["hours"], dtype=np.float64),
    )
    capacity = capacity_matrix(instance)
    free = capacity.copy()
    np.subtract.at(free, (allocations.person, allocations.day), allocations.hours)
    return Plan(
        instance=instance,
        capacity=capacity,
        free=free,
        allocations=allocations,
        projects=results,
    )
