"""The phase API: a project's phases as they stand (state, actual dates, hours left), and a
phase report, through the same use case as the phases page (``promising.phase_reports``).

Whoever may read projects, or is on the project, reads its phases; operations and the
people on the project report them. Errors are ApiError: 400 names the field to blame
(``state``, ``actual_start``, ``actual_end``, ``remaining_hours``), 403 gives the rule's
reason, 404 an unknown project or phase; nothing is written when an error is returned.
Marking a phase done releases what is left of its reservation (``released_hours``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from promisekeeper.api.errors import ApiError
from promisekeeper.delivery.models import Project, ProjectPhase
from promisekeeper.organisation.permissions import Area, may_read, read_refusal
from promisekeeper.promising.permissions import may_report_phases
from promisekeeper.promising.phase_reports import PhaseReport, on_project, phase_report
from promisekeeper.sales.units import hours_from_minutes

router = Router(tags=["phases"])

MAX_ID = 2**53
REPORT_FIELDS = ("state", "actual_start", "actual_end", "remaining_hours")


class PhaseOut(Schema):
    id: int
    project_id: int
    key: str
    name: str
    state: str = Field(..., description="not_started, in_progress or done.")
    actual_start: datetime.date | None
    actual_end: datetime.date | None
    remaining_hours: Decimal | None = Field(
        ..., description="The hours left as the people doing it estimate them (null: unknown)."
    )
    progress: Decimal
    estimated_hours: Decimal
    actual_hours: Decimal = Field(..., description="The hours logged on its timesheets.")


class PhaseReportIn(Schema):
    state: str = Field(..., max_length=20, description="not_started, in_progress or done.")
    actual_start: datetime.date | None = Field(
        None, description="Blank: the first day logged, or today."
    )
    actual_end: datetime.date | None = Field(
        None, description="Only when done. Blank: the last day logged, or today."
    )
    remaining_hours: Decimal | None = Field(None, max_digits=9, decimal_places=2)


class PhaseReportOut(Schema):
    phase: PhaseOut
    released_hours: float = Field(
        ..., description="Reserved hours given back (marking a phase done), else 0."
    )


def _phase_out(phase: ProjectPhase) -> PhaseOut:
    return PhaseOut(
        id=phase.pk,
        project_id=phase.project_id,
        key=phase.key,
        name=phase.name,
        state=phase.state,
        actual_start=phase.actual_start,
        actual_end=phase.actual_end,
        remaining_hours=phase.remaining_hours,
        progress=phase.progress,
        estimated_hours=phase.effort_estimated_hours,
        actual_hours=phase.effort_actual_hours,
    )


@router.get(
    "/projects/{project_id}/phases",
    response={200: list[PhaseOut], 403: ApiError, 404: ApiError},
)
def phase_list(request: HttpRequest, project_id: int) -> Any:
    """The project's phases in order, as they were last reported."""
    project = Project.objects.filter(pk=project_id).first() if project_id <= MAX_ID else None
    if project is None:
        return Status(404, ApiError(message="No such project."))
    reporter = may_report_phases(request.user, on_project=on_project(request.user, project))
    if not (may_read(request.user, Area.PROJECTS) or reporter):
        return Status(403, ApiError(message=read_refusal(Area.PROJECTS)))
    return [_phase_out(p) for p in project.phases.order_by("order", "pk")]


@router.post(
    "/phases/{phase_id}/report",
    response={200: PhaseReportOut, 400: ApiError, 403: ApiError, 404: ApiError},
)
def phase_report_create(request: HttpRequest, phase_id: int, body: PhaseReportIn) -> Any:
    """Report a phase: its state, actual dates and hours left (400 names the field)."""
    if phase_id > MAX_ID or not ProjectPhase.objects.filter(pk=phase_id).exists():
        return Status(404, ApiError(message="No such phase."))
    if body.state not in ProjectPhase.State.values:
        states = ", ".join(ProjectPhase.State.values)
        return Status(400, ApiError(field="state", message=f"must be one of {states}"))
    report = PhaseReport(
        state=ProjectPhase.State(body.state),
        actual_start=body.actual_start,
        actual_end=body.actual_end,
        remaining_hours=body.remaining_hours,
    )
    try:
        reported = phase_report(
            user=request.user, phase_pk=phase_id, report=report, today=timezone.localdate()
        )
    except PermissionDenied as error:
        return Status(403, ApiError(message=str(error) or "Not allowed."))
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        named = field if field in REPORT_FIELDS else None
        return Status(400, ApiError(field=named, message=" ".join(messages)))
    return PhaseReportOut(
        phase=_phase_out(reported.phase),
        released_hours=hours_from_minutes(reported.released_minutes),
    )
