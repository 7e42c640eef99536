"""People and capacity: skills matrix, a person's week and time off, and what-if previews.

They live above the promising app (not in ``people``) because they show planned work and
preview a change's effect on promises."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from promisekeeper.insights import exports
from promisekeeper.insights.selectors.person_work import person_work_blocks
from promisekeeper.organisation.http import HtmxHttpRequest, csv_response
from promisekeeper.organisation.input import id_param
from promisekeeper.organisation.permissions import (
    Area,
    is_operations,
    may_read_person,
    may_see_time_off_reason,
    read_refusal,
    read_required,
)
from promisekeeper.people.forms import PersonForm, TimeOffForm
from promisekeeper.people.models import Person, Role, Team, TimeOff
from promisekeeper.people.selectors import (
    person_calendar_months,
    person_detail_get,
    person_list,
)
from promisekeeper.people.services import (
    person_build,
    person_hire,
    time_off_build,
)
from promisekeeper.promising.capacity_cuts import (
    CutConsequence,
    CutNotConfirmed,
    time_off_cut_preview,
    time_off_save,
)
from promisekeeper.promising.previews import AffectedPromise, hire_preview, time_off_preview


@read_required(Area.PEOPLE)
def people(request: HtmxHttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "name")
    rows = person_list(
        q=request.GET.get("q", "").strip(),
        team=id_param(request.GET.get("team"), "team"),
        role=request.GET.get("role", ""),
        sort=sort,
        on=timezone.localdate(),
    )
    roles = list(Role.objects.values_list("name", flat=True))
    if request.GET.get("format") == "csv":
        return csv_response("people.csv", *exports.person_table(rows, roles))
    matrix = [
        (person, [{s.role.name: s.efficiency for s in person.skills.all()}.get(r) for r in roles])
        for person in rows
    ]
    context = {
        "matrix": matrix,
        "roles": roles,
        "teams": Team.objects.all(),
        "sort": sort,
        "query": request.GET,
        "can_edit": is_operations(request.user),
    }
    template = "people/people.html#results" if request.htmx else "people/people.html"
    return render(request, template, context)


def _time_off_of(person: Person, value: str | None) -> TimeOff | None:
    """The person's time-off entry named in the request, or None to book a new one."""
    if not value or not value.isdigit():
        return None
    return next((t for t in person.time_off.all() if t.pk == int(value)), None)


def _time_off_initial(time_off: TimeOff | None) -> dict[str, object]:
    if time_off is None:
        return {}
    return {
        "start_date": time_off.start_date,
        "end_date": time_off.end_date,
        "kind": time_off.kind,
        "status": time_off.status,
        "hours_per_day": time_off.hours_per_day,
    }


def _go(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """After a save: a normal redirect, or a full-page redirect when htmx posted the form."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _person_or_404(pk: int) -> Person:
    try:
        return person_detail_get(pk=pk)
    except Person.DoesNotExist:
        raise Http404("No such person.") from None


def _person_for_reader(request: HtmxHttpRequest, pk: int) -> Person:
    """The person, if the signed-in user may read them (operations, or the person)."""
    person = _person_or_404(pk)
    if not may_read_person(request.user, person.user_id):
        raise PermissionDenied(read_refusal(Area.PEOPLE) + " (Your own page is open to you.)")
    return person


def _preview_or_save(
    request: HtmxHttpRequest,
    *,
    preview: Callable[[], list[AffectedPromise]],
    change: Callable[[], object],
    saved: str,
) -> tuple[bool, list[AffectedPromise] | None]:
    """Preview shows the promises the change would move (writing nothing); save runs it."""
    try:
        if request.POST.get("action") != "save":
            return False, preview()
        change()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False, None
    messages.success(request, saved)
    return True, None


@login_required
def person_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    person = _person_for_reader(request, pk)
    today = timezone.localdate()
    editing = _time_off_of(person, request.POST.get("time_off") or request.GET.get("edit"))
    form = TimeOffForm(initial=_time_off_initial(editing))
    affected = None
    cut: list[CutConsequence] = []
    if request.method == "POST":
        if not is_operations(request.user):
            raise PermissionDenied("Only operations can change capacity.")
        form = TimeOffForm(request.POST)
        if form.is_valid():
            done, affected = _time_off_change(
                request, person, editing=editing, data=form.cleaned_data, cut=cut
            )
            if done:
                return _go(request, reverse("people:person_detail", args=[pk]))
    context = {
        "person": person,
        "weekdays": list(
            zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), person.weekly_hours, strict=True)
        ),
        "months": person_calendar_months(person=person, first=today, count=3),
        "blocks": person_work_blocks(person_pk=person.pk)[:40],
        "form": form,
        "editing": editing,
        "affected": affected,
        "cut": cut,
        "can_edit": is_operations(request.user),
        "today": today,
    }
    if request.htmx and request.method == "POST":
        return render(request, "people/person_detail.html#time-off-form", context)
    return render(request, "people/person_detail.html", context)


def _time_off_change(
    request: HtmxHttpRequest,
    person: Person,
    *,
    editing: TimeOff | None,
    data: dict[str, Any],
    cut: list[CutConsequence],
) -> tuple[bool, list[AffectedPromise] | None]:
    """Preview or save the time off in ``data``; the hours it takes from promised work are
    added to ``cut``, and a save over reserved hours needs the Confirm box ticked."""
    fields = {
        "start_date": data["start_date"],
        "end_date": data["end_date"],
        "kind": data["kind"],
        "status": data["status"],
        "hours_per_day": data["hours_per_day"],
    }

    def preview() -> list[AffectedPromise]:
        changed = time_off_build(person=person, **fields)
        cut.extend(time_off_cut_preview(time_off=changed, replaces=editing))
        return time_off_preview(time_off=changed, replaces=editing)

    def change() -> object:
        try:
            saved = time_off_save(
                user=request.user,
                person=person,
                fields=fields,
                editing=editing,
                confirmed=request.POST.get("confirm") == "on",
            )
            broken = [c.name for c in saved.consequences if not c.kept]
            if broken:
                messages.warning(
                    request,
                    f"Cannot be kept: {', '.join(broken)}; owners and operations told.",
                )
            return saved
        except CutNotConfirmed as refused:
            cut.extend(refused.consequences)
            raise ValidationError(
                "This change takes reserved hours away: check what moves and what "
                "breaks below, tick Confirm and save again."
            ) from None

    return _preview_or_save(
        request,
        preview=preview,
        change=change,
        saved="Time off saved; the plan has been updated.",
    )


@login_required
def person_new(request: HtmxHttpRequest) -> HttpResponse:
    if not is_operations(request.user):
        raise PermissionDenied("Only operations can add people.")
    form = PersonForm(request.POST or None, initial={"start_date": timezone.localdate()})
    affected = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created: list[Person] = []
        person_fields = {
            "name": data["name"],
            "email": data["email"],
            "start_date": data["start_date"],
            **form.person_fields(),
        }
        skills = [(data["role"], data["efficiency"])]

        def preview() -> list[AffectedPromise]:
            return hire_preview(person=person_build(**person_fields), skills=skills)

        def change() -> Person:
            person = person_hire(skills=skills, **person_fields)
            created.append(person)
            return person

        done, affected = _preview_or_save(
            request, preview=preview, change=change, saved="Person added."
        )
        if done:
            return _go(request, reverse("people:person_detail", args=[created[0].pk]))
    template = "people/person_new.html#person-form" if request.htmx else "people/person_new.html"
    return render(request, template, {"form": form, "affected": affected})


@login_required
def person_calendar(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The person's calendar for a signed-in reader of the person (calendar apps subscribe to
    a secret link instead: ``insights.feed_views``). Why the person is away is shown only to
    operations and the person themselves."""
    person = _person_for_reader(request, pk)
    today = timezone.localdate()
    calendar = exports.person_calendar(
        person=person,
        show_reasons=may_see_time_off_reason(request.user, person.user_id),
        blocks=person_work_blocks(person_pk=person.pk),
        time_off=[
            t for t in person.time_off.all() if t.end_date >= today - datetime.timedelta(days=90)
        ],
    )
    return exports.ical_response(calendar, f"person-{pk}.ics")
