"""The delivery timeline: open projects' planned phases, filtered by team, role, customer or
salesperson."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q

from promisekeeper.delivery.models import Project
from promisekeeper.insights.selectors.plan_facts import PlanFacts, ProjectPlan
from promisekeeper.insights.selectors.risk import (
    OPEN_STATES,
    beyond_capacity_project_pks,
    plan_at_risk,
)
from promisekeeper.people.models import Role, Team


@dataclass(frozen=True)
class GanttFilters:
    team: int | None = None
    role: str = ""
    customer: int | None = None
    salesperson: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.team or self.role or self.customer or self.salesperson)


@dataclass(frozen=True)
class GanttRow:
    project: ProjectPlan
    customer: str
    salesperson: str
    at_risk: bool


def gantt_rows(*, facts: PlanFacts, filters: GanttFilters, threshold_days: int) -> list[GanttRow]:
    """Projects in delivery and committed, planned phases, filtered; earliest finish first."""
    planned = {
        key[1]: p
        for key, p in facts.projects.items()
        if key[0] == "project" and p.state in OPEN_STATES
    }
    queryset = Project.objects.filter(pk__in=planned.keys()).select_related(
        "customer", "sales_owner"
    )
    if filters.customer:
        queryset = queryset.filter(customer_id=filters.customer)
    if filters.salesperson:
        queryset = queryset.filter(sales_owner_id=filters.salesperson)
    if filters.role:
        queryset = queryset.filter(
            Q(phases__role__name=filters.role) | Q(phases__crew__icontains=filters.role)
        ).distinct()
    rows = []
    beyond = beyond_capacity_project_pks()
    for project in queryset:
        plan = planned[project.pk]
        if filters.team:
            people = facts.project_people.get(("project", project.pk), set())
            if not any(facts.person_team.get(pk) == filters.team for pk in people):
                continue
        owner = project.sales_owner
        at_risk = plan_at_risk(plan, threshold_days=threshold_days, beyond_capacity=beyond)
        rows.append(
            GanttRow(
                plan,
                project.customer.name,
                (owner.get_full_name() or owner.get_username()) if owner else "",
                at_risk,
            )
        )
    rows.sort(key=lambda r: (r.project.finish or datetime.date.max, r.project.name))
    return rows


def gantt_filter_options() -> dict[str, list[tuple[str, str]]]:
    """Choices for the timeline filters (teams, roles, customers and salespeople with work)."""
    open_projects = Project.objects.filter(status__in=OPEN_STATES)
    customers = (
        open_projects.values_list("customer_id", "customer__name")
        .distinct()
        .order_by("customer__name")
    )
    owners = (
        get_user_model()
        .objects.filter(pk__in=open_projects.values("sales_owner_id"))
        .order_by("username")
    )
    return {
        "team": [(str(t.pk), t.name) for t in Team.objects.all()],
        "role": [(r.name, r.name) for r in Role.objects.all()],
        "customer": [(str(pk), name) for pk, name in customers],
        "salesperson": [(str(u.pk), u.get_full_name() or u.get_username()) for u in owners],
    }
