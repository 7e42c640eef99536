"""Credit where it is due: projects delivered on time and who did them, promises kept per
salesperson, thank-you notes, and the people who kept promises that were at risk."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F

from promisekeeper.delivery.models import (
    Project,
    ProjectAssignment,
    ProjectForecast,
    ThankYouNote,
    TimesheetEntry,
)
from promisekeeper.insights.models import RiskStateChange
from promisekeeper.insights.selectors.history import DeliveredRow, delivered_rows


@dataclass(frozen=True)
class Recognition:
    project_pk: int
    project_name: str
    delivered: datetime.date
    promised: datetime.date
    team: list[str]
    sales_owner: str
    notes: list[ThankYouNote]


@dataclass(frozen=True)
class SalesCredit:
    name: str
    kept: int
    total: int


def recognition_list(*, today: datetime.date, limit: int = 8) -> list[Recognition]:
    """Projects delivered on time, newest first, crediting the people assigned to them."""
    projects = list(
        Project.objects.filter(
            status=Project.Status.DELIVERED,
            promised_date__isnull=False,
            delivered_date__lte=today,
        )
        .filter(delivered_date__lte=F("promised_date"))
        .select_related("sales_owner")
        .prefetch_related("thank_you_notes__author")
        .order_by("-delivered_date", "-pk")[:limit]
    )
    team: dict[int, list[str]] = defaultdict(list)
    for assignment in ProjectAssignment.objects.filter(project__in=projects).select_related(
        "person"
    ):
        team[assignment.project_id].append(assignment.person.name)
    return [_recognition(p, sorted(team.get(p.pk, []))) for p in projects]


def _recognition(project: Project, team: list[str]) -> Recognition:
    owner = project.sales_owner
    # Both dates are set: the query above filters on them.
    assert project.delivered_date is not None and project.promised_date is not None
    return Recognition(
        project.pk,
        project.name,
        project.delivered_date,
        project.promised_date,
        team,
        (owner.get_full_name() or owner.get_username()) if owner else "",
        list(project.thank_you_notes.all()),
    )


def sales_credit_list(
    *, since: datetime.date, rows: list[DeliveredRow] | None = None
) -> list[SalesCredit]:
    """Per sales owner: promises kept (delivered on time) out of promises delivered since."""
    credit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    if rows is None:
        rows = delivered_rows(since=since)
    for row in (r for r in rows if r.delivered >= since):
        if not row.sales_owner or row.promised is None:
            continue
        credit[row.sales_owner][1] += 1
        if row.on_time:
            credit[row.sales_owner][0] += 1
    return sorted(
        (SalesCredit(name, kept, total) for name, (kept, total) in credit.items()),
        key=lambda c: (-c.kept, c.name),
    )


def thank_you_feed(*, limit: int = 10) -> list[ThankYouNote]:
    """The newest thank-you notes with their projects and authors."""
    return list(
        ThankYouNote.objects.select_related("project", "author").order_by("-created_at", "-pk")[
            :limit
        ]
    )


@dataclass(frozen=True)
class RescuedPromise:
    """A promise that was at risk (or late) at some point and was delivered on time anyway,
    with the people who logged hours on it."""

    project_pk: int
    project_name: str
    delivered: datetime.date
    promised: datetime.date
    people: list[str]


def _ever_at_risk(project_pks: list[int]) -> set[int]:
    """Projects whose forecast was at risk or late at some check: a recorded change to that
    state, or a stored forecast still saying so (checks from before changes were recorded)."""
    troubled = (ProjectForecast.State.AT_RISK, ProjectForecast.State.LATE)
    changed = RiskStateChange.objects.filter(project_id__in=project_pks, after__in=troubled)
    stored = ProjectForecast.objects.filter(project_id__in=project_pks, state__in=troubled)
    return set(changed.values_list("project_id", flat=True)) | set(
        stored.values_list("project_id", flat=True)
    )


def rescued_promises(*, since: datetime.date, until: datetime.date) -> list[RescuedPromise]:
    """Projects delivered on time from ``since`` to ``until`` that were at risk at some point,
    newest first, each with everyone who logged hours on its phases."""
    projects = list(
        Project.objects.filter(
            status=Project.Status.DELIVERED,
            promised_date__isnull=False,
            delivered_date__gte=since,
            delivered_date__lte=until,
        )
        .filter(delivered_date__lte=F("promised_date"))
        .order_by("-delivered_date", "-pk")
        .values_list("pk", "name", "delivered_date", "promised_date")
    )
    rescued = _ever_at_risk([pk for pk, *_ in projects])
    people: dict[int, set[str]] = defaultdict(set)
    for project_id, name in TimesheetEntry.objects.filter(
        phase__project_id__in=rescued
    ).values_list("phase__project_id", "person__name"):
        people[project_id].add(name)
    rows = []
    for pk, name, delivered, promised in projects:
        assert delivered is not None and promised is not None  # both filtered on above
        if pk in rescued:
            rows.append(RescuedPromise(pk, name, delivered, promised, sorted(people[pk])))
    return rows
