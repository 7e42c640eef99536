"""The shared dashboard and its parts: thin views over insights.selectors and insights.charts."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import plotly
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from promisekeeper.insights import charts, exports
from promisekeeper.insights.selectors.deals import deal_list, deal_owner_options
from promisekeeper.insights.selectors.gantt import GanttFilters, gantt_filter_options, gantt_rows
from promisekeeper.insights.selectors.heatmap import heatmap_cell_projects, heatmap_rows
from promisekeeper.insights.selectors.history import delivered_rows, history_since
from promisekeeper.insights.selectors.plan_facts import PlanFacts, plan_facts_get
from promisekeeper.insights.selectors.recognition import (
    recognition_list,
    sales_credit_list,
    thank_you_feed,
)
from promisekeeper.insights.selectors.risk import at_risk_list, risk_threshold_days_get
from promisekeeper.insights.selectors.tiles import history_tiles, plan_tiles
from promisekeeper.insights.selectors.todos import todo_list_for_user
from promisekeeper.organisation.http import HtmxHttpRequest, csv_response
from promisekeeper.organisation.input import id_param
from promisekeeper.organisation.permissions import Area, may_read, read_refusal, read_required
from promisekeeper.organisation.selectors import organisation_name_get
from promisekeeper.sales.models import Deal

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@require_GET
def plotly_js(request: HtmxHttpRequest) -> FileResponse:
    """plotly.js from the installed Python package, so charts work offline and without a CDN."""
    response = FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript")
    response["Cache-Control"] = f"public, max-age={60 * 60 * 24 * 30}"
    return response


def _gantt_filters(request: HtmxHttpRequest) -> GanttFilters:
    return GanttFilters(
        team=id_param(request.GET.get("team"), "team"),
        role=request.GET.get("role", "").strip(),
        customer=id_param(request.GET.get("customer"), "customer"),
        salesperson=id_param(request.GET.get("salesperson"), "salesperson"),
    )


def _expand(request: HtmxHttpRequest) -> set[str]:
    """The roles to show person by person: one person's load is people's data (operations)."""
    if not may_read(request.user, Area.PEOPLE):
        return set()
    return {value for value in request.GET.getlist("expand") if value}


def _heatmap_context(
    request: HtmxHttpRequest, facts: PlanFacts, expand: set[str]
) -> dict[str, Any]:
    rows = heatmap_rows(facts=facts, expand=expand)
    return {
        "heat_rows": rows,
        "heat_weeks": facts.weeks,
        "heat_figure": charts.heatmap(rows, facts.weeks),
        "heat_expand": sorted(expand),
        "heat_roles": facts.roles,
        "heat_people": may_read(request.user, Area.PEOPLE),
    }


def _gantt_context(request: HtmxHttpRequest, facts: PlanFacts, threshold: int) -> dict[str, Any]:
    filters = _gantt_filters(request)
    rows = gantt_rows(facts=facts, filters=filters, threshold_days=threshold)
    return {
        "gantt_rows": rows,
        "gantt_figure": charts.gantt(rows, today=facts.today),
        "filters": filters,
        "filter_options": gantt_filter_options(),
    }


@read_required(Area.PLAN)
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    if request.htmx and request.htmx.target == "timeline":
        return timeline(request)
    facts = plan_facts_get(today=today)
    threshold = risk_threshold_days_get()
    credit_since = today - datetime.timedelta(weeks=52)
    history = delivered_rows(since=min(credit_since, history_since(today=today)))
    tiles = history_tiles(today=today, rows=history) + plan_tiles(facts=facts)
    context: dict[str, Any] = {
        "organisation_name": organisation_name_get(),
        "todos": todo_list_for_user(user=request.user),
        "tiles": [(tile, charts.sparkline(tile)) for tile in tiles],
        "at_risk": at_risk_list(facts=facts, threshold_days=threshold),
        "threshold": threshold,
        "recognition": recognition_list(today=today),
        "sales_credit": sales_credit_list(since=credit_since, rows=history),
        "thanks": thank_you_feed(),
        "today": today,
        **_heatmap_context(request, facts, _expand(request)),
        **_gantt_context(request, facts, threshold),
    }
    return render(request, "insights/dashboard.html", context)


@read_required(Area.PLAN)
def timeline(request: HtmxHttpRequest) -> HttpResponse:
    facts = plan_facts_get()
    context = _gantt_context(request, facts, risk_threshold_days_get())
    template = "insights/dashboard.html#timeline" if request.htmx else "insights/timeline.html"
    return render(request, template, context)


@read_required(Area.PLAN)
def heatmap(request: HtmxHttpRequest) -> HttpResponse:
    facts = plan_facts_get()
    context = _heatmap_context(request, facts, _expand(request))
    template = "insights/dashboard.html#heatmap" if request.htmx else "insights/heatmap.html"
    return render(request, template, context)


@read_required(Area.PLAN)
def heatmap_cell(request: HtmxHttpRequest) -> HttpResponse:
    facts = plan_facts_get()
    row_key = request.GET.get("row", "")
    if row_key.startswith("person:") and not may_read(request.user, Area.PEOPLE):
        raise PermissionDenied(read_refusal(Area.PEOPLE))
    week = id_param(request.GET.get("week"), "week")
    if week is None or week >= len(facts.weeks):
        raise Http404("No such week.")
    projects = heatmap_cell_projects(facts=facts, row_key=row_key, week=week)
    return render(
        request,
        "insights/heatmap_cell.html",
        {
            "row_label": row_key.partition(":")[2],
            "week": facts.weeks[week],
            "cell_projects": projects,
            "person_names": facts.person_names,
            "row_key": row_key,
        },
    )


@read_required(Area.PLAN)
def heatmap_csv(request: HtmxHttpRequest) -> HttpResponse:
    facts = plan_facts_get()
    people = may_read(request.user, Area.PEOPLE)
    rows = heatmap_rows(facts=facts, expand=set(facts.roles) if people else set())
    return csv_response("heatmap.csv", *exports.heatmap_table(rows, facts.weeks))


@read_required(Area.PLAN)
def at_risk_csv(request: HtmxHttpRequest) -> HttpResponse:
    facts = plan_facts_get()
    rows = at_risk_list(facts=facts, threshold_days=risk_threshold_days_get())
    return csv_response("at-risk.csv", *exports.at_risk_table(rows))


@read_required(Area.DEALS)
def deals(request: HtmxHttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "-created")
    rows = deal_list(
        q=request.GET.get("q", "").strip(),
        stage=request.GET.get("stage", ""),
        owner=id_param(request.GET.get("owner"), "owner"),
        sort=sort,
    )
    if request.GET.get("format") == "csv":
        return csv_response("deals.csv", *exports.deal_table(rows))
    context = {
        "deals": rows,
        "stages": Deal.Stage.choices,
        "owners": deal_owner_options(),
        "sort": sort,
        "query": request.GET,
    }
    template = "insights/deals.html#results" if request.htmx else "insights/deals.html"
    return render(request, template, context)
