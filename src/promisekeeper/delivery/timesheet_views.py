"""Timesheet pages: a person's week of hours (their own; operations for anyone), and the
import of a time tracker's CSV export (operations)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from promisekeeper.delivery.models import TimesheetImport
from promisekeeper.delivery.timesheet_grid import grid_build, grid_posted, week_of
from promisekeeper.delivery.timesheet_import import (
    COLUMNS,
    MAX_FILE_BYTES,
    ONLY_OPERATIONS,
    ImportFileError,
    timesheet_import_apply,
    timesheet_import_check,
    timesheet_import_create,
)
from promisekeeper.delivery.timesheets import (
    Fate,
    TimesheetInvalid,
    Verdict,
    timesheet_check,
    timesheet_save,
)
from promisekeeper.organisation.input import MAX_ID
from promisekeeper.organisation.permissions import (
    LOG_HOURS_REFUSAL,
    NO_ROLE,
    is_operations,
    may_log_hours,
)
from promisekeeper.people.models import Person

NO_TIMESHEET = (
    "No person is linked to your account, so you have no timesheet here. "
    "Operations can fill in anyone's. " + NO_ROLE
)
NOT_SAVED = "Nothing was saved: correct the hours marked below and save again."


@login_required
def timesheets(request: HttpRequest) -> HttpResponse:
    """Operations choose whose week to fill in; a person goes straight to their own."""
    if is_operations(request.user):
        people = Person.objects.select_related("team").order_by("name")
        return render(request, "delivery/timesheets.html", {"people": people})
    person = Person.objects.filter(user_id=request.user.pk or 0).first()
    if person is None:
        raise PermissionDenied(NO_TIMESHEET)
    return redirect("delivery:timesheet", person.pk)


def _person_for_logger(request: HttpRequest, pk: int) -> Person:
    person = Person.objects.filter(pk=pk).first() if pk <= MAX_ID else None
    if person is None:
        raise Http404("No such person.")
    if not may_log_hours(request.user, person.user_id):
        raise PermissionDenied(LOG_HOURS_REFUSAL)
    return person


def _saved(verdicts: Sequence[Verdict]) -> str:
    fates = Counter(v.fate for v in verdicts)
    parts = [
        f"{fates[Fate.NEW]} new" if fates[Fate.NEW] else "",
        f"{fates[Fate.UPDATE]} changed" if fates[Fate.UPDATE] else "",
    ]
    done = ", ".join(p for p in parts if p)
    return f"Hours saved: {done}." if done else "Nothing had changed."


@login_required
def timesheet(request: HttpRequest, person_pk: int) -> HttpResponse:
    """One week (``?week=`` any day of it): save the grid, or fill it from last week."""
    person = _person_for_logger(request, person_pk)
    today = timezone.localdate()
    monday = week_of(request.GET.get("week"), today=today)
    if request.method == "POST":
        grid = grid_posted(person=person, monday=monday, today=today, data=request.POST)
        changes = [change for _, _, change in grid.changes]
        if grid.has_errors:
            grid.verdicts_show(timesheet_check(changes=changes, today=today))
        else:
            try:
                verdicts = timesheet_save(user=request.user, changes=changes, today=today)
            except TimesheetInvalid as refused:
                grid.verdicts_show(refused.verdicts)
            else:
                messages.success(request, _saved(verdicts))
                url = reverse("delivery:timesheet", args=[person.pk])
                return redirect(f"{url}?week={monday.isoformat()}")
        messages.error(request, NOT_SAVED)
    else:
        copy = request.GET.get("copy") == "last-week"
        grid = grid_build(person=person, monday=monday, today=today, copy=copy)
        if copy and not grid.copied:
            messages.info(request, "Nothing to copy: last week has no hours for the empty days.")
        elif grid.copied:
            messages.info(
                request,
                "Last week's hours are filled in where this week was empty, up to today. "
                "Check them: nothing is saved until you press Save.",
            )
    context = {"grid": grid, "person": person, "is_own": person.user_id == request.user.pk}
    return render(request, "delivery/timesheet.html", context)


def _operations_only(request: HttpRequest) -> None:
    if not is_operations(request.user):
        raise PermissionDenied(ONLY_OPERATIONS)


@login_required
def timesheet_import(request: HttpRequest) -> HttpResponse:
    """Upload a time tracker's CSV export; its dry run comes next."""
    _operations_only(request)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose a CSV file to import."
        else:
            try:
                created = timesheet_import_create(
                    user=request.user,
                    file_name=upload.name or "",
                    data=upload.read(MAX_FILE_BYTES + 1),
                )
            except ImportFileError as refused:
                error = str(refused)
            else:
                return redirect("delivery:timesheet_import_detail", created.pk)
    context = {
        "error": error,
        "uploads": TimesheetImport.objects.select_related("uploaded_by")[:10],
        "columns": COLUMNS,
    }
    return render(request, "delivery/timesheet_import.html", context, status=400 if error else 200)


@login_required
def timesheet_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The dry run of an upload (GET), and applying it (POST)."""
    _operations_only(request)
    upload = TimesheetImport.objects.filter(pk=pk).first() if pk <= MAX_ID else None
    if upload is None:
        raise Http404("No such import.")
    today = timezone.localdate()
    if request.method == "POST":
        try:
            rows = timesheet_import_apply(user=request.user, upload=upload, today=today)
        except ImportFileError as refused:
            messages.error(request, str(refused))
        else:
            fates = Counter(row.fate for row in rows)
            messages.success(
                request,
                f"Imported: {fates[Fate.NEW]} new, {fates[Fate.UPDATE]} updated, "
                f"{fates[Fate.UNCHANGED]} unchanged; {fates[Fate.ERROR]} rows with errors "
                "skipped.",
            )
        return redirect("delivery:timesheet_import_detail", upload.pk)
    try:
        rows = timesheet_import_check(upload=upload, today=today)
    except ImportFileError as refused:
        rows, error = [], str(refused)
    else:
        error = ""
    context = {
        "upload": upload,
        "rows": rows,
        "error": error,
        "fates": Counter(row.fate for row in rows),
    }
    return render(request, "delivery/timesheet_import_detail.html", context)
