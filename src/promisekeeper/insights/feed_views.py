"""Calendar feeds by secret link (no session: calendar apps cannot sign in), and the page
where a user gets, replaces or revokes their link.

An unknown or revoked secret is a 404, so a feed URL says nothing about whether it ever
worked; a valid one whose user may not read that feed is a 403, as on the pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from promisekeeper.delivery.checkins import ACTIVE
from promisekeeper.delivery.models import Project
from promisekeeper.delivery.selectors import project_detail_get
from promisekeeper.insights import exports
from promisekeeper.insights.feeds import (
    feed_token_get,
    feed_token_issue,
    feed_token_revoke,
    feed_user_get,
    person_feed,
    team_feed,
)
from promisekeeper.insights.selectors.plan_facts import plan_facts_get
from promisekeeper.organisation.permissions import Area, may_read, read_refusal
from promisekeeper.people.models import Role

MAX_PROJECT_LINKS = 300


def _feed_user(secret: str) -> User:
    user = feed_user_get(secret=secret)
    if user is None:
        raise Http404("No such calendar feed.")
    return user


@require_GET
def feed_person(request: HttpRequest, secret: str) -> HttpResponse:
    user = _feed_user(secret)
    calendar = person_feed(user=user, today=timezone.localdate())
    return exports.ical_response(calendar, "person.ics")


@require_GET
def feed_project(request: HttpRequest, secret: str, pk: int) -> HttpResponse:
    user = _feed_user(secret)
    if not may_read(user, Area.PROJECTS):
        raise PermissionDenied(read_refusal(Area.PROJECTS))
    try:
        project = project_detail_get(pk=pk)
    except Project.DoesNotExist:
        raise Http404("No such project.") from None
    plan = plan_facts_get().projects.get(("project", project.pk))
    calendar = exports.project_calendar(project=project, plan=plan, today=timezone.localdate())
    return exports.ical_response(calendar, f"project-{pk}.ics")


@require_GET
def feed_team(request: HttpRequest, secret: str, role_pk: int) -> HttpResponse:
    user = _feed_user(secret)
    if not may_read(user, Area.PLAN):
        raise PermissionDenied(read_refusal(Area.PLAN))
    role = Role.objects.filter(pk=role_pk).first()
    if role is None:
        raise Http404("No such role.")
    calendar = team_feed(user=user, role=role, today=timezone.localdate())
    return exports.ical_response(calendar, f"team-{role_pk}.ics")


def _links(request: HttpRequest, secret: str) -> dict[str, object]:
    """The feed URLs for ``secret`` that the signed-in user may read."""

    def url(name: str, *args: object) -> str:
        return request.build_absolute_uri(reverse(f"feeds:{name}", args=[secret, *args]))

    teams = projects = []
    if may_read(request.user, Area.PLAN):
        teams = [(role.name, url("team", role.pk)) for role in Role.objects.order_by("name")]
    if may_read(request.user, Area.PROJECTS):
        active = Project.objects.filter(status__in=ACTIVE).order_by("name")[:MAX_PROJECT_LINKS]
        projects = [(project.name, url("project", project.pk)) for project in active]
    return {"person_url": url("person"), "team_urls": teams, "project_urls": projects}


@never_cache
@login_required
def calendar_feeds(request: HttpRequest) -> HttpResponse:
    """Get a new feed link (shown once; any earlier one stops working) or revoke it."""
    context: dict[str, object] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue":
            secret = feed_token_issue(user=request.user)  # type: ignore[arg-type]
            context |= _links(request, secret)
            messages.success(request, "New calendar links made; copy them now.")
        elif action == "revoke":
            if feed_token_revoke(user=request.user):  # type: ignore[arg-type]
                messages.success(request, "Your calendar links no longer work.")
            return redirect("feeds:calendar_feeds")
        else:
            return HttpResponse("Unknown action.", status=400)
    context["token"] = feed_token_get(user=request.user)
    return render(request, "insights/calendar_feeds.html", context)
