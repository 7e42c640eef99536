"""Read PSPLIB single-mode RCPSP instances (``.sm`` files) into the engine model.

PSPLIB (Kolisch & Sprecher, 1996) is the standard benchmark library for the
resource-constrained project scheduling problem. The mapping onto
:class:`~promisekeeper.engine.model.Instance` is fixed:

* resource type ``k`` becomes the role ``"Rk"``, staffed by as many people as
  its capacity; each person has the single skill ``{"Rk": 1.0}`` and works
  8 hours on every day of the week;
* the calendar works every weekday and has no closed days, so a day index is
  also a working-day index;
* one project, named after the file stem (``"j301_1"``), whose phases are the
  non-dummy jobs: ``FixedPhase(id=str(jobnr), days=duration,
  crew={role: request}, hours_per_day=8.0)`` with zero requests omitted and
  the precedence relations as zero-lag dependencies. The dummy source and sink
  (duration 0, no requests) are dropped together with their arcs.

Why not the maintained ``psplib`` package (PyPI, 0.4.0): it reads the 960 j30
and j60 files exactly as this reader does, but by position. A file without the
``****`` separator lines loses its last job, a request row short of a value is
read with its columns shifted, and a successor count that disagrees with the
list passes unnoticed; what it does reject raises a bare ``ValueError`` or
``IndexError``. This reader raises :class:`~promisekeeper.engine.errors.InvalidInput`
naming the file, section and line instead, as the engine's readers do.

Examples
--------
>>> from promisekeeper.research.psplib import parse_sm
>>> text = '''
... jobs (incl. supersource/sink ):  4
... RESOURCES
...   - renewable                 :  1   R
... PRECEDENCE RELATIONS:
... jobnr.    #modes  #successors   successors
...    1        1          2           2   3
...    2        1          1           4
...    3        1          1           4
...    4        1          0
... REQUESTS/DURATIONS:
... jobnr. mode duration  R 1
... ------------------------------------------------------------------------
...   1      1     0       0
...   2      1     3       2
...   3      1     2       1
...   4      1     0       0
... RESOURCEAVAILABILITIES:
...   R 1
...    2
... '''
>>> instance = parse_sm(text, "tiny")
>>> [(p.id, p.days, dict(p.crew)) for p in instance.projects[0].phases]
[('2', 3, {'R1': 2}), ('3', 2, {'R1': 1})]
>>> len(instance.people)
2
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    MAX_HORIZON_DAYS,
    WEEKDAYS,
    Calendar,
    Dependency,
    FixedPhase,
    Instance,
    Person,
    Project,
    validate_instance,
)

START_DATE = date(2000, 1, 3)
HOURS_PER_DAY = 8.0

_PRECEDENCE = "PRECEDENCE RELATIONS"
_REQUESTS = "REQUESTS/DURATIONS"
_AVAILABILITIES = "RESOURCEAVAILABILITIES"


@dataclass(frozen=True, slots=True)
class Reference:
    """Published figures for one PSPLIB instance.

    ``makespan`` is the optimum (j30) or the best known makespan (j60);
    ``lower_bound`` the best known lower bound (``None`` where unknown);
    ``cpm_lb`` the critical-path length.
    """

    instance: str
    makespan: int
    lower_bound: int | None
    cpm_lb: int

    @property
    def optimal(self) -> bool:
        """True when ``makespan`` is a proven optimum."""
        return self.lower_bound is not None and self.lower_bound == self.makespan


@dataclass(slots=True)
class _Job:
    number: int
    successors: tuple[int, ...]
    duration: int = -1
    requests: tuple[int, ...] = ()


def read_sm(path: str | Path) -> Instance:
    """Read a PSPLIB single-mode ``.sm`` file.

    Parameters
    ----------
    path
        The file; its stem (``j301_1``) becomes the project id.

    Returns
    -------
    Instance
        One project, one role per resource type; see the module docstring.

    Raises
    ------
    InvalidInput
        If the file is malformed; ``field`` names the file, section and line.
    """
    path = Path(path)
    return parse_sm(path.read_text(encoding="utf-8", errors="replace"), path.stem)


def parse_sm(text: str, name: str) -> Instance:
    """Parse the text of a PSPLIB single-mode ``.sm`` file.

    Parameters
    ----------
    text
        The file's content.
    name
        The project id (conventionally the file stem, e.g. ``"j301_1"``).

    Returns
    -------
    Instance
        See :func:`read_sm`.

    Raises
    ------
    InvalidInput
        If the text is malformed; ``field`` names the section and line.
    """
    lines = text.splitlines()
    n_jobs = _header_int(lines, name, r"jobs\s*\(incl\..*?\)\s*:\s*(\d+)", "jobs")
    n_resources = _header_int(lines, name, r"-\s*renewable\s*:\s*(\d+)", "renewable resources")
    jobs = _parse_precedence(lines, name, n_jobs)
    _parse_requests(lines, name, jobs, n_resources)
    capacities = _parse_availabilities(lines, name, n_resources)
    return _build_instance(name, jobs, capacities)


def read_reference(csv_path: str | Path) -> dict[str, Reference]:
    """Read ``j30_reference.csv``-style files (``instance,makespan,lower_bound,cpm_lb``).

    Raises
    ------
    InvalidInput
        If a row is malformed; ``field`` names the file and line.
    """
    csv_path = Path(csv_path)
    references: dict[str, Reference] = {}
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                lower = (row["lower_bound"] or "").strip()
                ref = Reference(
                    instance=row["instance"].strip(),
                    makespan=int(row["makespan"]),
                    lower_bound=int(lower) if lower else None,
                    cpm_lb=int(row["cpm_lb"]),
                )
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise InvalidInput(f"{csv_path.name} line {line}", f"bad row: {exc}") from None
            references[ref.instance] = ref
    return references


def _where(name: str, section: str, line: int | None = None) -> str:
    return f"{name}: {section}" + (f" line {line + 1}" if line is not None else "")


def _header_int(lines: list[str], name: str, pattern: str, what: str) -> int:
    regex = re.compile(pattern, re.IGNORECASE)
    for line in lines:
        match = regex.search(line)
        if match:
            return int(match.group(1))
    raise InvalidInput(_where(name, "header"), f"missing the number of {what}")


def _section_start(lines: list[str], name: str, title: str) -> int:
    for k, line in enumerate(lines):
        if line.strip().upper().startswith(title):
            return k + 1
    raise InvalidInput(_where(name, title), "section not found")


def _section_rows(lines: list[str], start: int) -> list[tuple[int, list[str]]]:
    """Data rows of a section: (line index, tokens) until the next ``***`` line or header."""
    rows: list[tuple[int, list[str]]] = []
    for k in range(start, len(lines)):
        stripped = lines[k].strip()
        if stripped.startswith("*"):
            break
        if not stripped or stripped.startswith("-") or not stripped[0].isdigit():
            if rows and stripped and stripped[0].isalpha():
                break
            continue
        rows.append((k, stripped.split()))
    return rows


def _ints(tokens: list[str], where: str) -> list[int]:
    try:
        return [int(t) for t in tokens]
    except ValueError:
        raise InvalidInput(where, f"expected integers, got {' '.join(tokens)!r}") from None


def _parse_precedence(lines: list[str], name: str, n_jobs: int) -> dict[int, _Job]:
    jobs: dict[int, _Job] = {}
    for k, tokens in _section_rows(lines, _section_start(lines, name, _PRECEDENCE)):
        where = _where(name, _PRECEDENCE, k)
        values = _ints(tokens, where)
        if len(values) < 3:
            raise InvalidInput(where, "expected 'jobnr #modes #successors successors...'")
        number, modes, count = values[0], values[1], values[2]
        successors = tuple(values[3:])
        if modes != 1:
            raise InvalidInput(where, f"job {number} has {modes} modes; only single-mode is read")
        if count != len(successors):
            raise InvalidInput(
                where, f"job {number} announces {count} successors but lists {len(successors)}"
            )
        if number in jobs:
            raise InvalidInput(where, f"job {number} appears twice")
        if not 1 <= number <= n_jobs:
            raise InvalidInput(where, f"job number {number} outside 1..{n_jobs}")
        for succ in successors:
            if not 1 <= succ <= n_jobs:
                raise InvalidInput(where, f"successor {succ} outside 1..{n_jobs}")
        jobs[number] = _Job(number, successors)
    if len(jobs) != n_jobs:
        raise InvalidInput(_where(name, _PRECEDENCE), f"expected {n_jobs} jobs, found {len(jobs)}")
    return jobs


def _parse_requests(lines: list[str], name: str, jobs: dict[int, _Job], n_resources: int) -> None:
    seen: set[int] = set()
    for k, tokens in _section_rows(lines, _section_start(lines, name, _REQUESTS)):
        where = _where(name, _REQUESTS, k)
        values = _ints(tokens, where)
        if len(values) != 3 + n_resources:
            raise InvalidInput(where, f"expected 'jobnr mode duration' and {n_resources} requests")
        number, duration, requests = values[0], values[2], tuple(values[3:])
        if number not in jobs:
            raise InvalidInput(where, f"unknown job {number}")
        if number in seen:
            raise InvalidInput(where, f"job {number} appears twice")
        if duration < 0 or min(requests, default=0) < 0:
            raise InvalidInput(where, f"job {number} has a negative duration or request")
        seen.add(number)
        jobs[number].duration = duration
        jobs[number].requests = requests
    missing = sorted(set(jobs) - seen)
    if missing:
        raise InvalidInput(_where(name, _REQUESTS), f"no durations for jobs {missing}")


def _parse_availabilities(lines: list[str], name: str, n_resources: int) -> tuple[int, ...]:
    rows = _section_rows(lines, _section_start(lines, name, _AVAILABILITIES))
    if not rows:
        raise InvalidInput(_where(name, _AVAILABILITIES), "no capacities")
    k, tokens = rows[0]
    where = _where(name, _AVAILABILITIES, k)
    values = _ints(tokens, where)
    if len(values) != n_resources or min(values, default=0) < 0:
        raise InvalidInput(where, f"expected {n_resources} non-negative capacities")
    return tuple(values)


def _build_instance(name: str, jobs: dict[int, _Job], capacities: tuple[int, ...]) -> Instance:
    first, last = min(jobs), max(jobs)
    roles = tuple(f"R{k + 1}" for k in range(len(capacities)))
    predecessors: dict[int, list[int]] = {number: [] for number in jobs}
    for job in jobs.values():
        for succ in job.successors:
            predecessors[succ].append(job.number)
    phases: list[FixedPhase] = []
    for number in sorted(jobs):
        if number in (first, last):
            job = jobs[number]
            if job.duration != 0 or any(job.requests):
                raise InvalidInput(
                    _where(name, _REQUESTS), f"dummy job {number} must have duration 0, no requests"
                )
            continue
        job = jobs[number]
        crew = {roles[r]: q for r, q in enumerate(job.requests) if q > 0}
        preds = tuple(Dependency(str(p)) for p in sorted(predecessors[number]) if p != first)
        phases.append(FixedPhase(str(number), job.duration, crew, HOURS_PER_DAY, preds))
    total = sum(p.days for p in phases)
    horizon = min(total + 1, MAX_HORIZON_DAYS)
    if _critical_path(phases) >= horizon:
        raise InvalidInput(
            _where(name, _REQUESTS),
            f"the critical path does not fit the maximum horizon of {MAX_HORIZON_DAYS} days",
        )
    people = tuple(
        Person(f"{role}.{k + 1}", {role: 1.0}, (HOURS_PER_DAY,) * WEEKDAYS)
        for role, capacity in zip(roles, capacities, strict=True)
        for k in range(capacity)
    )
    calendar = Calendar(START_DATE, horizon, (True,) * WEEKDAYS)
    project = Project(name, tuple(phases))
    meta = {"source": "psplib", "jobs": len(phases), "capacities": capacities}
    instance = Instance(calendar, roles, people, (project,), meta)
    validate_instance(instance)
    return instance


def _critical_path(phases: list[FixedPhase]) -> int:
    finish: dict[str, int] = {}
    for phase in phases:  # PSPLIB numbers jobs in topological order
        start = max((finish.get(d.phase, 0) for d in phase.predecessors), default=0)
        finish[phase.id] = start + phase.days
    return max(finish.values(), default=0)
