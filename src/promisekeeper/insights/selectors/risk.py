"""Which promised projects are at risk, and why: planned late, unschedulable, short of slack,
or promised beyond capacity."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from promisekeeper.delivery.models import Project
from promisekeeper.insights.selectors.plan_facts import PlanFacts, ProjectPlan
from promisekeeper.organisation.selectors import organisation_settings_get
from promisekeeper.sales.models import Promise

FIRM_STATES = ("in_delivery", "committed", "held")
OPEN_STATES = ("in_delivery", "committed")  # delivery projects still to deliver

BEYOND_CAPACITY_REASON = "Promised beyond capacity, agreed by operations"


@dataclass(frozen=True)
class AtRiskRow:
    project: ProjectPlan
    reason: str
    customer: str


def risk_threshold_days_get() -> int:
    organisation = organisation_settings_get()
    return int(organisation.risk_slack_threshold_days) if organisation else 5


def latest_promise_beyond_capacity() -> Subquery:
    """For a project row: whether its deal's latest promise was made beyond capacity (a
    re-date to a date the plan makes clears it)."""
    latest = Promise.objects.filter(deal=OuterRef("deal")).order_by("-created_at", "-pk")
    return Subquery(latest.values("beyond_capacity")[:1])


def beyond_capacity_project_pks() -> set[int]:
    """Open delivery projects (committed or in delivery) promised beyond capacity: at risk
    from the day they are promised."""
    open_projects = (
        Project.objects.filter(status__in=OPEN_STATES)
        .alias(beyond_capacity=latest_promise_beyond_capacity())
        .filter(beyond_capacity=True)
    )
    return set(open_projects.values_list("pk", flat=True))


def risk_reason(project: ProjectPlan) -> str:
    """Which phase and which role make the date tight: the longest capacity wait, else the last."""
    if project.status == "unscheduled":
        return f"Cannot be scheduled within the horizon: {project.reason or 'no capacity'}"
    if not project.phases:
        return "No remaining work is planned."
    waiting = max(project.phases, key=lambda p: (p.wait_days, p.end))
    if waiting.wait_days > 0:
        return (
            f"{waiting.name} waits {waiting.wait_days} days for {waiting.role} capacity "
            f"(starts {waiting.start:%d %b})"
        )
    last = max(project.phases, key=lambda p: p.end)
    return f"{last.name} ({last.role}) runs until {last.end:%d %b}"


def at_risk_reason(project: ProjectPlan, *, beyond_capacity: set[int]) -> str:
    """The risk reason, led by the promise beyond capacity when the project has one."""
    reason = risk_reason(project)
    return f"{BEYOND_CAPACITY_REASON}; {reason}" if project.pk in beyond_capacity else reason


def plan_at_risk(project: ProjectPlan, *, threshold_days: int, beyond_capacity: set[int]) -> bool:
    """Planned late, unschedulable, with slack under the threshold, or promised beyond
    capacity (``beyond_capacity_project_pks``: at risk from the day it is promised)."""
    return (
        project.status in ("late", "unscheduled")
        or (project.slack_days is not None and project.slack_days < threshold_days)
        or (project.ref_kind == "project" and project.pk in beyond_capacity)
    )


def at_risk_list(*, facts: PlanFacts, threshold_days: int) -> list[AtRiskRow]:
    """Firm delivery projects planned late, unschedulable, with slack under the threshold, or
    promised beyond capacity."""
    beyond = beyond_capacity_project_pks()
    candidates = [
        p
        for p in facts.projects.values()
        if p.ref_kind == "project"
        and p.state in FIRM_STATES
        and plan_at_risk(p, threshold_days=threshold_days, beyond_capacity=beyond)
    ]
    customers = dict(
        Project.objects.filter(pk__in=[p.pk for p in candidates]).values_list(
            "pk", "customer__name"
        )
    )
    rows = [
        AtRiskRow(p, at_risk_reason(p, beyond_capacity=beyond), customers.get(p.pk, ""))
        for p in candidates
    ]
    # Unschedulable first, then the latest, then the least slack.
    rows.sort(
        key=lambda r: (
            r.project.lateness_days is not None,
            -(r.project.lateness_days or 0),
            r.project.name,
        )
    )
    return rows
