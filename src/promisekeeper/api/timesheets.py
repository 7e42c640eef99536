"""The timesheet API: list logged hours, and set them (an upsert per person, day and phase).

The same rules as the timesheet page: people read and log their own hours, operations
anyone's. ``PUT /timesheets`` is all or nothing and idempotent (sending the same entries
again answers ``unchanged``); a refused entry is a 400 naming it (``entries[2].hours``), a
person the token may not log for a 403, and nothing is written when an error is returned.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from promisekeeper.api.errors import ApiError
from promisekeeper.delivery.models import ProjectPhase, TimesheetEntry
from promisekeeper.delivery.timesheets import (
    EntryChange,
    Fate,
    TimesheetInvalid,
    timesheet_save,
)
from promisekeeper.organisation.permissions import LOG_HOURS_REFUSAL, is_operations, may_log_hours
from promisekeeper.people.models import Person
from promisekeeper.sales.units import hours_from_minutes, minutes_from_hours

router = Router(tags=["timesheets"])

MAX_ID = 2**53
MAX_SPAN_DAYS = 366
NO_PERSON = "No person is linked to this account, so it has no hours; operations can read anyone's."
# The service's field for each refusal, as the body names it.
FIELDS = {"hours": "hours", "date": "date", "phase": "phase_id", "project": "phase_id"}


class EntryOut(Schema):
    person_id: int
    person_email: str
    date: datetime.date
    project_id: int
    project: str
    phase_id: int
    phase: str
    minutes: int = Field(..., description="Logged time, exactly, in whole minutes.")
    hours: float = Field(..., description="The same time in hours (rounded to 2 decimals).")
    note: str
    updated_at: datetime.datetime


class EntriesQuery(Schema):
    person_id: int | None = Field(None, ge=1, le=MAX_ID, description="Default: your own.")
    project_id: int | None = Field(None, ge=1, le=MAX_ID)
    date_from: datetime.date | None = Field(None, description="Default: 30 days ago.")
    date_to: datetime.date | None = Field(None, description="Default: today.")


class EntryIn(Schema):
    person_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Whose hours; default: the token's own person."
    )
    phase_id: int = Field(..., ge=1, le=MAX_ID)
    date: datetime.date
    hours: float = Field(..., ge=-1000, le=1000, description="0 removes the entry.")
    note: str | None = Field(None, max_length=5000, description="Default: keep the note.")


class EntriesIn(Schema):
    entries: list[EntryIn] = Field(..., min_length=1, max_length=500)


class EntryResult(Schema):
    status: str = Field(..., description="new, update or unchanged")
    entry: EntryOut | None = Field(..., description="None once the hours are removed.")


def _out(entry: TimesheetEntry) -> EntryOut:
    return EntryOut(
        person_id=entry.person_id,
        person_email=entry.person.email,
        date=entry.day,
        project_id=entry.phase.project_id,
        project=entry.phase.project.name,
        phase_id=entry.phase_id,
        phase=entry.phase.name,
        minutes=entry.minutes,
        hours=round(hours_from_minutes(entry.minutes), 2),
        note=entry.note,
        updated_at=entry.updated_at,
    )


def _own_person(request: HttpRequest) -> Person | None:
    return Person.objects.filter(user_id=request.user.pk or 0).first()


@router.get("/timesheets", response={200: list[EntryOut], 400: ApiError, 403: ApiError})
def timesheet_entries_list(request: HttpRequest, filters: Query[EntriesQuery]) -> Any:
    """Logged hours, oldest first: yours, or (operations) anyone's or everyone's."""
    today = timezone.localdate()
    date_to = filters.date_to or today
    back = min(30, (date_to - datetime.date.min).days)  # no date before the first one
    date_from = filters.date_from or date_to - datetime.timedelta(days=back)
    if date_from > date_to or (date_to - date_from).days > MAX_SPAN_DAYS:
        message = f"must be on or before date_to, at most {MAX_SPAN_DAYS} days before it"
        return Status(400, ApiError(field="date_from", message=message))
    entries = TimesheetEntry.objects.filter(day__gte=date_from, day__lte=date_to)
    if not is_operations(request.user):
        own = _own_person(request)
        if own is None:
            return Status(403, ApiError(message=NO_PERSON))
        if filters.person_id not in (None, own.pk):
            return Status(403, ApiError(message=LOG_HOURS_REFUSAL))
        entries = entries.filter(person=own)
    elif filters.person_id is not None:
        entries = entries.filter(person_id=filters.person_id)
    if filters.project_id is not None:
        entries = entries.filter(phase__project_id=filters.project_id)
    rows = entries.select_related("person", "phase__project").order_by("day", "person_id", "pk")
    return [_out(entry) for entry in rows]


@router.put("/timesheets", response={200: list[EntryResult], 400: ApiError, 403: ApiError})
def timesheet_entries_upsert(request: HttpRequest, body: EntriesIn) -> Any:
    """Set the hours of each entry (person, date, phase): all of them, or none."""
    own = _own_person(request)
    asked = {e.person_id for e in body.entries if e.person_id is not None}
    people = {p.pk: p for p in Person.objects.filter(pk__in=asked)}
    phases = {
        p.pk: p
        for p in ProjectPhase.objects.filter(
            pk__in={e.phase_id for e in body.entries}
        ).select_related("project", "role")
    }
    changes = []
    for k, item in enumerate(body.entries):
        person = own if item.person_id is None else people.get(item.person_id)
        if person is None:
            message = "no such person" if item.person_id is not None else NO_PERSON
            return Status(400, ApiError(field=f"entries[{k}].person_id", message=message))
        if not may_log_hours(request.user, person.user_id):
            return Status(403, ApiError(message=LOG_HOURS_REFUSAL))
        phase = phases.get(item.phase_id)
        if phase is None:
            return Status(400, ApiError(field=f"entries[{k}].phase_id", message="no such phase"))
        minutes = minutes_from_hours(item.hours)
        changes.append(EntryChange(person, phase, item.date, minutes, item.note))
    try:
        verdicts = timesheet_save(user=request.user, changes=changes, today=timezone.localdate())
    except PermissionDenied as refused:
        return Status(403, ApiError(message=str(refused) or LOG_HOURS_REFUSAL))
    except TimesheetInvalid as refused:
        k = next(k for k, v in enumerate(refused.verdicts) if v.fate == Fate.ERROR)
        error = refused.verdicts[k]
        field = f"entries[{k}].{FIELDS.get(error.field or '', error.field)}"
        return Status(400, ApiError(field=field, message=error.message))
    saved = {
        (e.person_id, e.day, e.phase_id): e
        for e in TimesheetEntry.objects.filter(
            person_id__in={c.person.pk for c in changes}, day__in={c.day for c in changes}
        ).select_related("person", "phase__project")
    }
    return [
        EntryResult(
            status=str(v.fate),
            entry=_out(saved[v.change.key]) if v.change.key in saved else None,
        )
        for v in verdicts
    ]
