"""Check-in pages: the check-ins a user owns (operations: everyone's), and marking one done.

Every check-in listed is one the reader may mark done (their own, or any for operations)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from promisekeeper.delivery.checkins import (
    checkin_complete,
    checkin_owner_choices,
    checkin_owner_set,
    checkins_visible,
)
from promisekeeper.delivery.models import CheckIn
from promisekeeper.organisation.input import id_param
from promisekeeper.organisation.permissions import (
    Area,
    is_operations,
    read_required,
)

UPCOMING_DAYS = 42


@read_required(Area.PROJECTS)
def checkins(request: HttpRequest) -> HttpResponse:
    """Missed, coming and recently held check-ins, optionally of one project."""
    today = timezone.localdate()
    rows = checkins_visible(user=request.user)
    project = id_param(request.GET.get("project"), "project")
    if project is not None:
        rows = rows.filter(project_id=project)
    open_rows = rows.filter(done_at__isnull=True)
    context = {
        "missed": open_rows.filter(due_date__lt=today).order_by("due_date")[:200],
        "upcoming": open_rows.filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=UPCOMING_DAYS)
        ).order_by("due_date")[:200],
        "done": rows.filter(done_at__isnull=False).order_by("-done_at")[:50],
        "everyone": is_operations(request.user),
        "owners": checkin_owner_choices() if is_operations(request.user) else [],
        "today": today,
    }
    return render(request, "delivery/checkins.html", context)


@read_required(Area.PROJECTS)
@require_POST
def checkin_done(request: HttpRequest, pk: int) -> HttpResponse:
    if not CheckIn.objects.filter(pk=pk).exists():
        raise Http404("No such check-in.")
    try:
        checkin_complete(user=request.user, checkin_id=pk, notes=request.POST.get("notes", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Check-in marked done.")
    return redirect("delivery:checkins")


@read_required(Area.PROJECTS)
@require_POST
def checkin_owner(request: HttpRequest, pk: int) -> HttpResponse:
    if not CheckIn.objects.filter(pk=pk).exists():
        raise Http404("No such check-in.")
    owner_id = id_param(request.POST.get("owner"), "owner")
    owner = None if owner_id is None else checkin_owner_choices().filter(pk=owner_id).first()
    try:
        if owner is None:
            raise ValidationError({"owner": "Choose someone in sales or operations."})
        checkin_owner_set(user=request.user, checkin_id=pk, owner=owner)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Check-in handed to {owner.get_username()}.")
    return redirect("delivery:checkins")
