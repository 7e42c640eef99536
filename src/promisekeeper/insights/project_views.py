"""Delivery projects: the list, a project's page, thank-you notes and its calendar feed.

They live above the promising app (not in ``delivery``) because a project's page and feed
show its planned phases and whether it is at risk."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from promisekeeper.catalog.models import Offering
from promisekeeper.delivery.checkins import checkin_attendees, internal_meeting_get
from promisekeeper.delivery.models import Project
from promisekeeper.delivery.selectors import project_detail_get, project_list
from promisekeeper.delivery.services import thank_you_note_create
from promisekeeper.insights import exports
from promisekeeper.insights.selectors.plan_facts import plan_facts_get
from promisekeeper.insights.selectors.risk import (
    at_risk_reason,
    beyond_capacity_project_pks,
    plan_at_risk,
    risk_threshold_days_get,
)
from promisekeeper.organisation.http import HtmxHttpRequest, csv_response
from promisekeeper.organisation.input import id_param
from promisekeeper.organisation.permissions import Area, read_required
from promisekeeper.promising.permissions import may_view_deal
from promisekeeper.promising.views.changes import changes_context
from promisekeeper.sales.models import Customer


@read_required(Area.PROJECTS)
def projects(request: HtmxHttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "promised")
    rows = project_list(
        q=request.GET.get("q", "").strip(),
        status=request.GET.get("status", ""),
        customer=id_param(request.GET.get("customer"), "customer"),
        owner=id_param(request.GET.get("owner"), "owner"),
        offering=id_param(request.GET.get("offering"), "offering"),
        sort=sort,
    )
    if request.GET.get("format") == "csv":
        return csv_response("projects.csv", *exports.project_table(rows))
    context = {
        "projects": rows[:500],
        "total": rows.count(),
        "statuses": Project.Status.choices,
        "customers": Customer.objects.filter(projects__isnull=False).distinct().order_by("name"),
        "offerings": Offering.objects.all(),
        "sort": sort,
        "query": request.GET,
    }
    template = "delivery/projects.html#results" if request.htmx else "delivery/projects.html"
    return render(request, template, context)


def _project_or_404(pk: int) -> Project:
    try:
        return project_detail_get(pk=pk)
    except Project.DoesNotExist:
        raise Http404("No such project.") from None


@read_required(Area.PROJECTS)
def project_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    project = _project_or_404(pk)
    facts = plan_facts_get()
    plan = facts.projects.get(("project", project.pk))
    threshold = risk_threshold_days_get()
    beyond = beyond_capacity_project_pks()
    at_risk = plan is not None and plan_at_risk(
        plan, threshold_days=threshold, beyond_capacity=beyond
    )
    people = sorted(facts.person_names[p] for p in facts.project_people.get(("project", pk), ()))
    context = {
        "project": project,
        "plan": plan,
        "at_risk": at_risk,
        "reason": at_risk_reason(plan, beyond_capacity=beyond) if plan and at_risk else "",
        "planned_people": people,
        "today": timezone.localdate(),
        **_checkins_context(project),
    }
    if project.deal is not None and may_view_deal(request.user, project.deal):
        context |= changes_context(request.user, project.deal)
    return render(request, "delivery/project_detail.html", context)


CHECKINS_SHOWN = 6


def _checkins_context(project: Project) -> dict[str, object]:
    """The project's next open check-ins with who takes part, and the set time of the
    sales–operations ones."""
    meeting = internal_meeting_get()
    today = timezone.localdate()
    coming = project.checkins.filter(due_date__gte=today, done_at__isnull=True).select_related(
        "owner"
    )
    return {
        "checkins": [(c, checkin_attendees(c)) for c in coming[:CHECKINS_SHOWN]],
        "meeting": meeting,
        "meeting_end": meeting.ends(today).time(),
    }


@read_required(Area.PROJECTS)
@require_POST
def project_thank(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    project = _project_or_404(pk)
    try:
        thank_you_note_create(
            project=project, author=request.user, text=request.POST.get("text", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Thank-you note added.")
    if request.htmx:
        project = _project_or_404(pk)
        return render(request, "delivery/project_detail.html#thanks", {"project": project})
    return redirect("delivery:project_detail", pk=pk)


@read_required(Area.PROJECTS)
def project_calendar(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The project's calendar for a signed-in reader of projects (calendar apps subscribe to
    a secret link instead: ``insights.feed_views``)."""
    project = _project_or_404(pk)
    plan = plan_facts_get().projects.get(("project", project.pk))
    calendar = exports.project_calendar(project=project, plan=plan, today=timezone.localdate())
    return exports.ical_response(calendar, f"project-{pk}.ics")
