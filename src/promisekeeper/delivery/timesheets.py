"""Logging hours: check a batch of timesheet changes, then write it (the grid, the CSV import
and the API all come through here).

A change says how many minutes a person spent on a project phase on a day (0 removes the
entry). ``timesheet_check`` gives every change its fate (new, update, unchanged or error,
naming the field to blame) and writes nothing; ``timesheet_save`` checks again under the lock
and writes: all or nothing, or, for an import, every change without an error. Each write
keeps the touched phases' ``effort_actual_hours`` equal to the sum of their entries.

The rules: hours are not negative and a day holds at most 24 h in all (entries already
logged count); no day still to come, nor outside the person's start and end dates; hours are added only on projects being delivered (or
delivered) and only by people with a skill in a role the phase needs. Removing hours is
always allowed, so a mistake can be undone.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Min, Q, Sum

from promisekeeper.delivery.models import Project, ProjectPhase, TimesheetEntry
from promisekeeper.organisation.models import Ledger
from promisekeeper.organisation.permissions import LOG_HOURS_REFUSAL, may_log_hours
from promisekeeper.people.models import Person, Skill
from promisekeeper.sales.units import MINUTES_PER_HOUR, minutes_from_hours

MAX_DAY_MINUTES = 24 * MINUTES_PER_HOUR
MAX_HOURS_TEXT = 20
MAX_NOTE_LENGTH = 500  # TimesheetEntry.note
LOGGABLE_STATUSES = (
    Project.Status.COMMITTED,
    Project.Status.IN_DELIVERY,
    Project.Status.DELIVERED,
)
HOURS_FORMAT = "Write hours as a number such as 7.5, or as hours and minutes such as 7:30."

User = AbstractBaseUser | AnonymousUser


class Fate(StrEnum):
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass(frozen=True)
class EntryChange:
    """Set ``person``'s time on ``phase`` on ``day`` to ``minutes`` (0: no entry).

    ``note`` None keeps the note already there; a string replaces it.
    """

    person: Person
    phase: ProjectPhase
    day: datetime.date
    minutes: int
    note: str | None = None

    @property
    def key(self) -> tuple[int, datetime.date, int]:
        return (self.person.pk, self.day, self.phase.pk)


@dataclass(frozen=True)
class Verdict:
    """What saving a change does, or why it cannot be saved (``field`` names the input)."""

    change: EntryChange
    fate: Fate
    before_minutes: int = 0
    field: str | None = None
    message: str = ""


class TimesheetInvalid(Exception):
    """A batch that was refused as a whole; nothing was written."""

    def __init__(self, verdicts: Sequence[Verdict]) -> None:
        self.verdicts = list(verdicts)
        self.errors = [v for v in verdicts if v.fate == Fate.ERROR]
        super().__init__("; ".join(v.message for v in self.errors))


def hours_parse(text: str) -> int:
    """Hours as people type them, in whole minutes; blank is 0. ValueError says what is wrong.

    >>> hours_parse("7.5"), hours_parse("7,5"), hours_parse("7:30"), hours_parse("1:30:00")
    (450, 450, 450, 90)
    >>> hours_parse(" "), hours_parse("0.25")
    (0, 15)
    """
    value = text.strip().lower().removesuffix("h").strip()
    if not value:
        return 0
    if len(value) > MAX_HOURS_TEXT:
        raise ValueError(HOURS_FORMAT)
    if value.startswith("-"):
        raise ValueError("Hours cannot be negative.")
    clock = re.fullmatch(r"(\d{1,2}):([0-5]\d)(?::([0-5]\d))?", value)
    if clock:
        hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        total = hours * MINUTES_PER_HOUR + minutes + (1 if seconds >= 30 else 0)
    elif re.fullmatch(r"\d+(?:[.,]\d*)?|[.,]\d+", value):
        try:
            total = minutes_from_hours(Decimal(value.replace(",", ".")))
        except InvalidOperation:
            raise ValueError(HOURS_FORMAT) from None
    else:
        raise ValueError(HOURS_FORMAT)
    if total > MAX_DAY_MINUTES:
        raise ValueError("No more than 24 h in a day.")
    return total


def hours_text(minutes: int) -> str:
    """Minutes as the hours a grid cell shows: ``"7.5"``, ``"8"``, ``"0.33"``; 0 is blank.

    Parsing the text again gives the same minutes.

    >>> hours_text(450), hours_text(480), hours_text(20), hours_text(0)
    ('7.5', '8', '0.33', '')
    """
    if minutes == 0:
        return ""
    hours = (Decimal(minutes) / MINUTES_PER_HOUR).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{hours.normalize():f}"


def phase_roles(phase: ProjectPhase) -> set[str]:
    """The roles that work on a phase: its role, or its crew's roles for a fixed phase."""
    roles = {phase.role.name} if phase.role is not None else set()
    roles.update(str(member["role"]) for member in phase.crew if member.get("role"))
    return roles


def person_roles(people: Iterable[Person]) -> dict[int, set[str]]:
    """Each person's skills by role name, in one query."""
    roles: dict[int, set[str]] = {person.pk: set() for person in people}
    for person_id, role in Skill.objects.filter(person_id__in=list(roles)).values_list(
        "person_id", "role__name"
    ):
        roles[person_id].add(role)
    return roles


def phase_refusal(phase: ProjectPhase, person: Person, skills: set[str]) -> tuple[str, str] | None:
    """Why ``person`` may not add hours on ``phase`` (field, message), or None when they may."""
    project = phase.project
    if project.status not in LOGGABLE_STATUSES:
        status = project.get_status_display().lower()
        return "project", f"{project.name} is {status}: no hours can be logged on it."
    needed = phase_roles(phase)
    if needed and not needed & skills:
        roles = " or ".join(sorted(needed))
        return "phase", f"{person.name} has no skill as {roles}, which {phase.name} needs."
    return None


def phases_loggable(*, person: Person) -> list[ProjectPhase]:
    """Phases of projects in delivery that ``person`` has a skill for, by project and order."""
    skills = person_roles([person])[person.pk]
    phases = (
        ProjectPhase.objects.filter(
            Q(role__name__in=skills) | Q(role__isnull=True),
            project__status__in=(Project.Status.COMMITTED, Project.Status.IN_DELIVERY),
        )
        .select_related("project", "role")
        .order_by("project__name", "project_id", "order")
    )
    return [phase for phase in phases if phase_refusal(phase, person, skills) is None]


def _hours(minutes: int) -> str:
    return hours_text(minutes) or "0"


Logged = dict[tuple[int, datetime.date], dict[int, tuple[int, str]]]


def _logged(changes: Sequence[EntryChange]) -> Logged:
    """What is already logged on each person-day the changes touch: phase -> (minutes, note)."""
    found: Logged = defaultdict(dict)
    if not changes:
        return found
    wanted = {(c.person.pk, c.day) for c in changes}
    rows = TimesheetEntry.objects.filter(
        person_id__in={person for person, _ in wanted}, day__in={day for _, day in wanted}
    ).values_list("person_id", "day", "phase_id", "minutes", "note")
    for person_id, day, phase_id, minutes, note in rows:
        if (person_id, day) in wanted:
            found[(person_id, day)][phase_id] = (minutes, note)
    return found


def timesheet_check(*, changes: Sequence[EntryChange], today: datetime.date) -> list[Verdict]:
    """The fate of every change, in order, as if saved together now; writes nothing."""
    logged = _logged(changes)
    skills = person_roles({c.person.pk: c.person for c in changes}.values())
    verdicts: list[Verdict] = []
    seen: set[tuple[int, datetime.date, int]] = set()
    for change in changes:
        before = logged.get((change.person.pk, change.day), {}).get(change.phase.pk, (0, ""))
        verdicts.append(_verdict(change, before, skills[change.person.pk], seen, today))
        seen.add(change.key)
    return _day_totals_checked(verdicts, logged)


def _verdict(
    change: EntryChange,
    before: tuple[int, str],
    skills: set[str],
    seen: set[tuple[int, datetime.date, int]],
    today: datetime.date,
) -> Verdict:
    minutes, note = before

    def error(field: str, message: str) -> Verdict:
        return Verdict(change, Fate.ERROR, minutes, field, message)

    if change.key in seen:
        return error("phase", "The same person, day and phase are given twice.")
    if change.minutes < 0:
        return error("hours", "Hours cannot be negative.")
    if change.minutes > MAX_DAY_MINUTES:
        return error("hours", "No more than 24 h in a day.")
    if change.note is not None and len(change.note) > MAX_NOTE_LENGTH:
        return error("note", f"A note has at most {MAX_NOTE_LENGTH} characters.")
    note_changed = change.note is not None and change.note != note
    if change.minutes == minutes and (minutes == 0 or not note_changed):
        return Verdict(change, Fate.UNCHANGED, minutes)
    if change.minutes > 0:
        if change.day > today:
            return error("date", f"{change.day:%d %b %Y} is still to come: log hours once done.")
        person = change.person
        if change.day < person.start_date or (person.end_date and change.day > person.end_date):
            return error("date", f"{person.name} did not work here on {change.day:%d %b %Y}.")
        refusal = phase_refusal(change.phase, change.person, skills)
        if refusal is not None:
            return error(*refusal)
    return Verdict(change, Fate.NEW if minutes == 0 else Fate.UPDATE, minutes)


def _day_totals_checked(verdicts: list[Verdict], logged: Logged) -> list[Verdict]:
    """Refuse the changes that add hours to a person-day going over 24 h in all."""
    totals = {day: {ph: m for ph, (m, _) in phases.items()} for day, phases in logged.items()}
    for v in verdicts:
        if v.fate in (Fate.NEW, Fate.UPDATE):
            totals.setdefault((v.change.person.pk, v.change.day), {})[v.change.phase.pk] = (
                v.change.minutes
            )
    over = {day: sum(p.values()) for day, p in totals.items() if sum(p.values()) > MAX_DAY_MINUTES}
    checked = []
    for v in verdicts:
        total = over.get((v.change.person.pk, v.change.day))
        if total is not None and v.fate != Fate.ERROR and v.change.minutes > v.before_minutes:
            message = (
                f"{v.change.person.name} would have {_hours(total)} h on "
                f"{v.change.day:%d %b %Y} in all: no more than 24 h a day."
            )
            v = Verdict(v.change, Fate.ERROR, v.before_minutes, "hours", message)
        checked.append(v)
    return checked


_hours_logged_subscribers: list[Callable[[list[int]], None]] = []


def hours_logged_subscribe(callback: Callable[[list[int]], None]) -> None:
    """Call ``callback`` with the projects' primary keys after each commit that logged hours
    on them (the apps above delivery re-check their forecasts); subscribing the same
    callback again changes nothing."""
    if callback not in _hours_logged_subscribers:
        _hours_logged_subscribers.append(callback)


def _hours_logged(project_ids: list[int]) -> None:
    for callback in _hours_logged_subscribers:
        callback(project_ids)


_phases_logged_handlers: list[Callable[[User, list[int]], object]] = []


def phases_logged_handle(handler: Callable[[User, list[int]], object]) -> None:
    """Call ``handler`` with the user and the phases' primary keys inside every save that
    changed logged hours on them, under the ledger lock and before the commit, so what it
    writes (the reservation the hours consume) commits or rolls back with the hours. An app
    above delivery installs it; installing the same handler again changes nothing."""
    if handler not in _phases_logged_handlers:
        _phases_logged_handlers.append(handler)


def timesheet_save(
    *,
    user: User,
    changes: Sequence[EntryChange],
    today: datetime.date,
    skip_errors: bool = False,
) -> list[Verdict]:
    """Check the changes again under the lock and write them; TimesheetInvalid (nothing
    written) if any is refused, unless ``skip_errors`` (an import) writes the others."""
    for person in {c.person.pk: c.person for c in changes}.values():
        if not may_log_hours(user, person.user_id):
            raise PermissionDenied(LOG_HOURS_REFUSAL)
    with transaction.atomic():
        _lock()
        verdicts = timesheet_check(changes=changes, today=today)
        if not skip_errors and any(v.fate == Fate.ERROR for v in verdicts):
            raise TimesheetInvalid(verdicts)
        written = [v for v in verdicts if v.fate in (Fate.NEW, Fate.UPDATE)]
        _write(written, user)
        phase_ids = sorted({v.change.phase.pk for v in written})
        phase_actuals_refresh(phase_ids=phase_ids)
        if written:
            for handler in _phases_logged_handlers:
                handler(user, phase_ids)
            projects = sorted({v.change.phase.project_id for v in written})
            transaction.on_commit(lambda: _hours_logged(projects))
    return verdicts


def _lock() -> None:
    """Serialise writers of timesheets on the ledger row, the capacity lock every capacity
    write takes first (the phases' actual hours written below bump it), so the 24-hour
    check cannot race another save and the lock order stays ledger-first everywhere.
    SQLite's BEGIN IMMEDIATE already holds the database lock."""
    locked = Ledger.objects.select_for_update().filter(singleton=True).values_list("pk")
    if locked.first() is None:
        Ledger.objects.get_or_create(singleton=True)
        locked.first()


def _write(verdicts: Sequence[Verdict], user: User) -> None:
    entered_by = user.pk if user.is_authenticated else None
    for v in verdicts:
        c = v.change
        lookup = {"person_id": c.person.pk, "day": c.day, "phase_id": c.phase.pk}
        if c.minutes == 0:
            TimesheetEntry.objects.filter(**lookup).delete()
            continue
        entry = TimesheetEntry.objects.filter(**lookup).first() or TimesheetEntry(**lookup)
        entry.minutes = c.minutes
        if c.note is not None:
            entry.note = c.note
        entry.entered_by_id = entered_by
        entry.full_clean(
            exclude=["person", "phase", "entered_by"],
            validate_unique=False,
            validate_constraints=False,
        )
        entry.save()


def phase_actual_hours(minutes: int) -> Decimal:
    """Logged minutes as a phase's actual hours (two decimals)."""
    return (Decimal(minutes) / MINUTES_PER_HOUR).quantize(Decimal("0.01"), ROUND_HALF_UP)


def phase_actuals_refresh(*, phase_ids: Iterable[int]) -> None:
    """Set each phase's ``effort_actual_hours`` to the sum of its entries (when it differs,
    since a phase write bumps the ledger and so invalidates cached plans). A phase not yet
    started that now has hours is in progress from its first entry's day; a start set by
    hand is kept."""
    ids = sorted(set(phase_ids))
    if not ids:
        return
    totals = {
        row["phase_id"]: (row["total"], row["first"])
        for row in TimesheetEntry.objects.filter(phase_id__in=ids)
        .values("phase_id")
        .annotate(total=Sum("minutes"), first=Min("day"))
    }
    for pk, actual, state, start in ProjectPhase.objects.filter(pk__in=ids).values_list(
        "pk", "effort_actual_hours", "state", "actual_start"
    ):
        minutes, first = totals.get(pk, (0, None))
        hours = phase_actual_hours(minutes)
        update: dict[str, object] = {}
        if actual != hours:
            update["effort_actual_hours"] = hours
        if first is not None and start is None:
            update["actual_start"] = first
        if minutes and state == ProjectPhase.State.NOT_STARTED:
            update["state"] = ProjectPhase.State.IN_PROGRESS
        if update:
            ProjectPhase.objects.filter(pk=pk).update(**update)
