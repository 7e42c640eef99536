"""Importing hours from a time tracker's CSV export: upload, dry run, apply.

Columns (any order, found by their heading, case ignored): person email, date, project,
phase, hours, note. Rows of one person, day and phase are added together (trackers export
one row per stretch of work), so the same file imported again changes nothing. The dry run
gives every row its fate in words: new, update, unchanged, or an error naming the column;
applying writes every row without an error, and skips (and lists) the others.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from promisekeeper.delivery.models import Project, ProjectPhase, TimesheetImport
from promisekeeper.delivery.timesheets import (
    EntryChange,
    Fate,
    Verdict,
    hours_parse,
    hours_text,
    timesheet_check,
    timesheet_save,
)
from promisekeeper.organisation.permissions import is_operations
from promisekeeper.people.models import Person

User = AbstractBaseUser | AnonymousUser

MAX_FILE_BYTES = 2_000_000
MAX_ROWS = 10_000
ONLY_OPERATIONS = "Only operations can import hours."

# Each column and the headings time trackers give it.
COLUMNS: dict[str, tuple[str, ...]] = {
    "person email": ("person email", "email", "user email", "e-mail"),
    "date": ("date", "day", "start date", "spent on"),
    "project": ("project", "project name"),
    "phase": ("phase", "task", "phase name", "activity"),
    "hours": ("hours", "duration", "time", "hours worked"),
    "note": ("note", "notes", "description", "comment"),
}
OUTCOMES = {
    Fate.NEW: "New",
    Fate.UPDATE: "Update",
    Fate.UNCHANGED: "Unchanged",
    Fate.ERROR: "Error",
}
REQUIRED = ("person email", "date", "project", "phase", "hours")


class ImportFileError(ValueError):
    """A file that cannot be read as a timesheet export at all (the message says why)."""


@dataclass(frozen=True)
class ImportRow:
    """One line of the file and what importing it does."""

    line: int
    values: dict[str, str]
    fate: Fate
    column: str | None = None
    message: str = ""
    person: str = ""
    before: str = ""
    after: str = ""
    together_with: tuple[int, ...] = ()

    @property
    def outcome(self) -> str:
        return OUTCOMES[self.fate]

    @property
    def cells(self) -> list[tuple[str, str, bool]]:
        """The row as the file has it, column by column, and whether the error is there."""
        return [(column, self.values.get(column, ""), column == self.column) for column in COLUMNS]

    @property
    def description(self) -> str:
        """The row's fate in a sentence."""
        if self.fate == Fate.ERROR:
            return self.message
        if self.fate == Fate.NEW:
            said = f"Logs {self.after} h."
        elif self.fate == Fate.UNCHANGED:
            said = f"Already logged: {self.after or 'no'} h."
        elif not self.after:
            said = f"Removes the {self.before} h logged."
        elif self.before == self.after:
            said = f"Changes the note of the {self.after} h logged."
        else:
            said = f"Changes {self.before} h to {self.after} h."
        if self.together_with:
            lines = ", ".join(str(n) for n in self.together_with)
            said += f" In all with line {lines}: same person, day and phase."
        return said


def _decoded(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_FILE_BYTES // 1_000_000} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”."
        ) from None
    if "\x00" in text:
        raise ImportFileError("The file is not a CSV text file.")
    return text


def _reader(text: str) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """Which position holds each column, and the data lines with their line numbers."""
    first = text.splitlines()[0] if text.strip() else ""
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    except csv.Error as error:
        raise ImportFileError(f"The file is not a readable CSV file ({error}).") from None
    headings = [h.strip().lower() for h in header]
    positions: dict[str, int] = {}
    for column, names in COLUMNS.items():
        found = next((headings.index(n) for n in names if n in headings), None)
        if found is not None:
            positions[column] = found
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        raise ImportFileError(
            "The file has no column for "
            + " or ".join(missing)
            + ". The first line must name the columns: person email, date, project, phase, "
            "hours and, if you like, note."
        )
    lines = []
    try:
        for values in rows:
            if any(v.strip() for v in values):
                lines.append((rows.line_num, values))
            if len(lines) > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS} rows: split it.")
    except csv.Error as error:
        raise ImportFileError(f"Line {rows.line_num} cannot be read ({error}).") from None
    return positions, lines


@transaction.atomic
def timesheet_import_create(*, user: User, file_name: str, data: bytes) -> TimesheetImport:
    """Keep an uploaded export for its dry run; ImportFileError when it cannot be read."""
    if not is_operations(user):
        raise PermissionDenied(ONLY_OPERATIONS)
    text = _decoded(data)
    _reader(text)
    upload = TimesheetImport(
        file_name=file_name[:255] or "timesheet.csv",
        content=text,
        uploaded_by_id=user.pk if user.is_authenticated else None,
    )
    upload.full_clean()
    upload.save()
    return upload


@dataclass
class _Parsed:
    line: int
    values: dict[str, str]
    person: Person | None = None
    phase: ProjectPhase | None = None
    day: datetime.date | None = None
    minutes: int = 0
    column: str | None = None
    message: str = ""

    def refuse(self, column: str, message: str) -> None:
        if self.column is None:
            self.column, self.message = column, message


def _parsed_rows(text: str) -> list[_Parsed]:
    positions, lines = _reader(text)
    parsed = []
    for line, raw in lines:
        values = {
            column: (raw[k].strip() if k < len(raw) else "") for column, k in positions.items()
        }
        parsed.append(_Parsed(line, values))
    _people_found(parsed)
    _phases_found(parsed)
    for row in parsed:
        try:
            row.day = datetime.date.fromisoformat(row.values["date"])
        except ValueError:
            row.refuse("date", "Write the date as year-month-day, for example 2026-03-02.")
        try:
            row.minutes = hours_parse(row.values["hours"])
        except ValueError as error:
            row.refuse("hours", str(error))
    return parsed


def _people_found(rows: Sequence[_Parsed]) -> None:
    emails = {row.values["person email"].lower() for row in rows}
    people = {
        p.email.lower(): p
        for p in Person.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
    }
    for row in rows:
        email = row.values["person email"]
        row.person = people.get(email.lower())
        if not email:
            row.refuse("person email", "The person's email is missing.")
        elif row.person is None:
            row.refuse("person email", f"Nobody here has the email {email}.")


def _phases_found(rows: Sequence[_Parsed]) -> None:
    names = {row.values["project"].lower() for row in rows}
    projects: dict[str, list[Project]] = {}
    for project in Project.objects.annotate(name_lower=Lower("name")).filter(name_lower__in=names):
        projects.setdefault(project.name.lower(), []).append(project)
    phases: dict[int, list[ProjectPhase]] = {}
    for phase in ProjectPhase.objects.filter(
        project__in=[p for ps in projects.values() for p in ps]
    ).select_related("project", "role"):
        phases.setdefault(phase.project_id, []).append(phase)
    for row in rows:
        name, wanted = row.values["project"], row.values["phase"].lower()
        found = projects.get(name.lower(), [])
        if not name:
            row.refuse("project", "The project is missing.")
        elif not found:
            row.refuse("project", f"There is no project called {name}.")
        elif len(found) > 1:
            row.refuse("project", f"{len(found)} projects are called {name}: rename one first.")
        elif not wanted:
            row.refuse("phase", "The phase is missing.")
        else:
            candidates = phases.get(found[0].pk, [])
            row.phase = next(
                (p for p in candidates if wanted in (p.name.lower(), p.key.lower())), None
            )
            if row.phase is None:
                known = ", ".join(p.name for p in candidates) or "none"
                row.refuse(
                    "phase", f"{found[0].name} has no phase {row.values['phase']} ({known})."
                )


def _changes(parsed: Sequence[_Parsed]) -> tuple[list[EntryChange], dict[int, list[_Parsed]]]:
    """One change per person, day and phase, adding up its rows; and the rows of each."""
    groups: dict[tuple[int, datetime.date, int], list[_Parsed]] = {}
    for row in parsed:
        if row.column is None and row.person and row.phase and row.day:
            groups.setdefault((row.person.pk, row.day, row.phase.pk), []).append(row)
    changes, rows_of = [], {}
    for k, rows in enumerate(groups.values()):
        first = rows[0]
        assert first.person and first.phase and first.day
        # A file without a note column keeps the notes already logged.
        notes = list(dict.fromkeys(r.values["note"] for r in rows if r.values.get("note")))
        changes.append(
            EntryChange(
                first.person,
                first.phase,
                first.day,
                sum(r.minutes for r in rows),
                "; ".join(notes) if "note" in first.values else None,
            )
        )
        rows_of[k] = rows
    return changes, rows_of


def _rows(
    parsed: Sequence[_Parsed], verdicts: Sequence[Verdict], rows_of: dict[int, list[_Parsed]]
) -> list[ImportRow]:
    fate_of: dict[int, tuple[Verdict, tuple[int, ...]]] = {}
    for k, verdict in enumerate(verdicts):
        lines = tuple(r.line for r in rows_of[k])
        for row in rows_of[k]:
            fate_of[row.line] = (verdict, tuple(n for n in lines if n != row.line))
    result = []
    for row in parsed:
        person = row.person.name if row.person else ""
        if row.line not in fate_of:
            result.append(
                ImportRow(row.line, row.values, Fate.ERROR, row.column, row.message, person)
            )
            continue
        verdict, others = fate_of[row.line]
        result.append(
            ImportRow(
                line=row.line,
                values=row.values,
                fate=verdict.fate,
                column=verdict.field,
                message=verdict.message,
                person=person,
                before=hours_text(verdict.before_minutes),
                after=hours_text(verdict.change.minutes),
                together_with=others,
            )
        )
    return result


def timesheet_import_check(*, upload: TimesheetImport, today: datetime.date) -> list[ImportRow]:
    """The dry run: every row's fate if the import were applied now; writes nothing."""
    parsed = _parsed_rows(upload.content)
    changes, rows_of = _changes(parsed)
    return _rows(parsed, timesheet_check(changes=changes, today=today), rows_of)


def timesheet_import_apply(
    *, user: User, upload: TimesheetImport, today: datetime.date
) -> list[ImportRow]:
    """Write every row without an error (checked again under the lock); once per upload."""
    if not is_operations(user):
        raise PermissionDenied(ONLY_OPERATIONS)
    with transaction.atomic():
        # The upload's row first: only another apply of the same upload waits for it, and
        # timesheet_save then takes the ledger, as every capacity write does.
        locked = TimesheetImport.objects.select_for_update().get(pk=upload.pk)
        if locked.applied_at is not None:
            raise ImportFileError("This file was imported already: upload it again to re-import.")
        parsed = _parsed_rows(locked.content)
        changes, rows_of = _changes(parsed)
        verdicts = timesheet_save(user=user, changes=changes, today=today, skip_errors=True)
        locked.applied_at = timezone.now()
        locked.save(update_fields=["applied_at"])
    upload.applied_at = locked.applied_at
    return _rows(parsed, verdicts, rows_of)
