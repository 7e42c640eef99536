"""A person's week as a grid of hours: one row per project phase, one column per day.

Rows are the phases with hours logged that week, the phases a promise reserved the person
for that week (their planned hours show in the empty cells), and, when copying, last week's
phases. The last row is blank, with the phases the person may add. A posted grid is read
back into ``EntryChange`` rows for ``delivery.timesheets`` and shows what was typed, with
each cell's error beside it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from promisekeeper.delivery.models import Project, ProjectPhase, TimesheetEntry
from promisekeeper.delivery.timesheets import (
    MAX_DAY_MINUTES,
    EntryChange,
    Fate,
    Verdict,
    hours_parse,
    hours_text,
    phases_loggable,
)
from promisekeeper.people.models import Person
from promisekeeper.sales.models import CapacityReservation

WEEK = 7
MAX_ROWS = 200
FIRST_WEEK = datetime.date(1900, 1, 8)
LAST_WEEK = datetime.date(9999, 12, 20)
Entries = dict[tuple[int, datetime.date], TimesheetEntry]


def week_monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def week_of(text: str | None, *, today: datetime.date) -> datetime.date:
    """The Monday of the week holding the ISO date ``text`` (this week if it is not one)."""
    try:
        day = datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        day = today
    if not FIRST_WEEK <= day <= LAST_WEEK:  # its neighbours' links must be dates too
        day = today
    return week_monday(day)


@dataclass
class Cell:
    day: datetime.date
    hours_name: str
    note_name: str
    value: str = ""
    note: str = ""
    planned: str = ""
    future: bool = False
    copied: bool = False
    error: str = ""
    minutes: int = 0


@dataclass
class Row:
    index: int
    phase: ProjectPhase | None
    cells: list[Cell]
    error: str = ""

    @property
    def label(self) -> str:
        if self.phase is None:
            return "New row"
        return f"{self.phase.project.name}: {self.phase.name}"

    @property
    def total(self) -> str:
        return hours_text(sum(cell.minutes for cell in self.cells)) or "0"


@dataclass
class Grid:
    person: Person
    monday: datetime.date
    today: datetime.date
    rows: list[Row]
    choices: list[tuple[Project, list[ProjectPhase]]]
    copied: bool = False
    changes: list[tuple[Row, Cell, EntryChange]] = field(default_factory=list)

    @property
    def days(self) -> list[datetime.date]:
        return [self.monday + datetime.timedelta(days=d) for d in range(WEEK)]

    @property
    def previous_week(self) -> datetime.date:
        return self.monday - datetime.timedelta(days=WEEK)

    @property
    def next_week(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=WEEK)

    @property
    def day_totals(self) -> list[tuple[str, bool]]:
        """Each day's hours in all, and whether they go over 24 h."""
        totals = [sum(row.cells[d].minutes for row in self.rows) for d in range(WEEK)]
        return [(hours_text(t) or "0", t > MAX_DAY_MINUTES) for t in totals]

    @property
    def total(self) -> str:
        return hours_text(sum(c.minutes for row in self.rows for c in row.cells)) or "0"

    @property
    def has_errors(self) -> bool:
        return any(row.error or any(c.error for c in row.cells) for row in self.rows)

    @property
    def has_notes(self) -> bool:
        return any(c.note for row in self.rows for c in row.cells)

    def verdicts_show(self, verdicts: Iterable[Verdict]) -> None:
        """Put each refused change's message on its cell."""
        cell_of = {change.key: cell for _, cell, change in self.changes}
        for verdict in verdicts:
            if verdict.fate == Fate.ERROR:
                cell = cell_of[verdict.change.key]
                cell.error = cell.error or verdict.message


def _entries(person: Person, first: datetime.date, days: int = WEEK) -> Entries:
    rows = TimesheetEntry.objects.filter(
        person=person, day__gte=first, day__lt=first + datetime.timedelta(days=days)
    ).select_related("phase__project", "phase__role")
    return {(entry.phase_id, entry.day): entry for entry in rows}


def _planned(person: Person, monday: datetime.date) -> dict[tuple[int, datetime.date], int]:
    """Minutes reserved for the person that week, by phase and day."""
    rows = CapacityReservation.objects.filter(
        person=person, day__gte=monday, day__lt=monday + datetime.timedelta(days=WEEK)
    ).values_list("project_id", "phase_key", "day", "minutes")
    by_key: dict[tuple[int, str], dict[datetime.date, int]] = defaultdict(dict)
    for project_id, key, day, minutes in rows:
        by_key[(project_id, key)][day] = minutes
    if not by_key:
        return {}
    planned = {}
    phases = ProjectPhase.objects.filter(project_id__in={p for p, _ in by_key}).values_list(
        "pk", "project_id", "key"
    )
    for pk, project_id, key in phases:
        for day, minutes in by_key.get((project_id, key), {}).items():
            planned[(pk, day)] = minutes
    return planned


def _ordered(phases: Iterable[ProjectPhase]) -> list[ProjectPhase]:
    unique = {phase.pk: phase for phase in phases}
    return sorted(unique.values(), key=lambda p: (p.project.name, p.project_id, p.order, p.pk))


def _phases(pks: Iterable[int]) -> dict[int, ProjectPhase]:
    return {
        p.pk: p
        for p in ProjectPhase.objects.filter(pk__in=set(pks)).select_related("project", "role")
    }


def _row(
    index: int, phase: ProjectPhase | None, days: list[datetime.date], today: datetime.date
) -> Row:
    cells = [
        Cell(day=day, hours_name=f"hours-{index}-{d}", note_name=f"note-{index}-{d}")
        for d, day in enumerate(days)
    ]
    for cell in cells:
        cell.future = cell.day > today
    return Row(index=index, phase=phase, cells=cells)


def _choices(person: Person, taken: set[int]) -> list[tuple[Project, list[ProjectPhase]]]:
    grouped: dict[int, tuple[Project, list[ProjectPhase]]] = {}
    for phase in phases_loggable(person=person):
        if phase.pk not in taken:
            grouped.setdefault(phase.project_id, (phase.project, []))[1].append(phase)
    return list(grouped.values())


def _fill(row: Row, entries: Entries, planned: Mapping[tuple[int, datetime.date], int]) -> None:
    if row.phase is None:
        return
    for cell in row.cells:
        entry = entries.get((row.phase.pk, cell.day))
        if entry is not None:
            cell.value, cell.note, cell.minutes = (
                hours_text(entry.minutes),
                entry.note,
                entry.minutes,
            )
        cell.planned = hours_text(planned.get((row.phase.pk, cell.day), 0))


def grid_build(
    *, person: Person, monday: datetime.date, today: datetime.date, copy: bool = False
) -> Grid:
    """The week as logged; with ``copy``, last week's hours fill this week's empty cells up
    to today (nothing is saved until the grid is)."""
    entries = _entries(person, monday)
    planned = _planned(person, monday)
    last_week = _entries(person, monday - datetime.timedelta(days=WEEK)) if copy else {}
    loggable = {p.pk for p in phases_loggable(person=person)} if copy else set()
    phases = [entry.phase for entry in entries.values()]
    phases += [p for p in _phases(pk for pk, _ in planned).values()]
    phases += [e.phase for e in last_week.values() if e.phase_id in loggable]
    days = [monday + datetime.timedelta(days=d) for d in range(WEEK)]
    rows = [_row(k, phase, days, today) for k, phase in enumerate(_ordered(phases))]
    for row in rows:
        _fill(row, entries, planned)
    copied = False
    for row in rows:
        for cell in row.cells:
            assert row.phase is not None
            earlier = last_week.get((row.phase.pk, cell.day - datetime.timedelta(days=WEEK)))
            if earlier and not cell.value and not cell.future and row.phase.pk in loggable:
                cell.value, cell.minutes, cell.copied = (
                    hours_text(earlier.minutes),
                    earlier.minutes,
                    True,
                )
                cell.note = cell.note or earlier.note
                copied = True
    taken = {row.phase.pk for row in rows if row.phase is not None}
    rows.append(_row(len(rows), None, days, today))
    return Grid(person, monday, today, rows, _choices(person, taken), copied=copied)


def grid_posted(
    *, person: Person, monday: datetime.date, today: datetime.date, data: Mapping[str, str]
) -> Grid:
    """The grid as posted: what was typed, each unreadable cell's error, and the changes."""
    days = [monday + datetime.timedelta(days=d) for d in range(WEEK)]
    try:
        count = min(max(int(data.get("rows", "0")), 0), MAX_ROWS)
    except ValueError:
        count = 0
    pks = {int(v) for k in range(count) if (v := data.get(f"phase-{k}", "")).isdigit()}
    phases = _phases(pk for pk in pks if pk < 2**63)
    entries = _entries(person, monday)
    planned = _planned(person, monday)
    rows: list[Row] = []
    seen: set[int] = set()
    changes: list[tuple[Row, Cell, EntryChange]] = []
    for k in range(count):
        text = data.get(f"phase-{k}", "").strip()
        phase = phases.get(int(text)) if text.isdigit() else None
        row = _row(k, phase, days, today)
        _fill(row, entries, planned)
        typed = [data.get(cell.hours_name) for cell in row.cells]
        if phase is None:
            if not any((t or "").strip() for t in typed):
                continue
            row.error = (
                "Choose a project phase from the list."
                if text
                else "Choose the project phase these hours are for."
            )
        elif phase.pk in seen:
            row.error = "This phase has a row already: enter its hours there."
        else:
            seen.add(phase.pk)
        for cell, value in zip(row.cells, typed, strict=True):
            note = data.get(cell.note_name)
            if value is None:
                continue
            cell.value = value
            cell.note = note if note is not None else cell.note
            try:
                cell.minutes = hours_parse(value)
            except ValueError as error:
                cell.error, cell.minutes = str(error), 0
                continue
            if phase is not None and not row.error:
                change = EntryChange(person, phase, cell.day, cell.minutes, note)
                changes.append((row, cell, change))
        rows.append(row)
    taken = {row.phase.pk for row in rows if row.phase is not None}
    for k, row in enumerate(rows):
        row.index = k
    if not any(row.phase is None for row in rows):
        rows.append(_row(len(rows), None, days, today))
    _rename(rows)
    grid = Grid(person, monday, today, rows, _choices(person, taken))
    grid.changes = changes
    return grid


def _rename(rows: list[Row]) -> None:
    """Number the inputs after the rows that stay, so a re-posted grid reads back the same."""
    for row in rows:
        for d, cell in enumerate(row.cells):
            cell.hours_name = f"hours-{row.index}-{d}"
            cell.note_name = f"note-{row.index}-{d}"
