"""A project's phases as the people doing them report them: state, actual dates and hours
left, and the promise's forecast that follows. Operations and the people on the project
set them here; whoever reads projects sees them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from promisekeeper.delivery.models import Project, ProjectForecast, ProjectPhase
from promisekeeper.organisation.http import HtmxHttpRequest
from promisekeeper.organisation.permissions import Area, may_read, read_refusal
from promisekeeper.promising.permissions import may_report_phases
from promisekeeper.promising.phase_reports import (
    PhaseReport,
    PhaseReported,
    on_project,
    phase_report,
)


class PhaseReportForm(forms.Form):
    phase = forms.ModelChoiceField(queryset=ProjectPhase.objects.none())
    state = forms.ChoiceField(choices=ProjectPhase.State.choices)
    actual_start = forms.DateField(required=False)
    actual_end = forms.DateField(required=False)
    remaining_hours = forms.DecimalField(
        required=False, min_value=0, max_digits=9, decimal_places=2
    )

    def __init__(self, *args: object, project: Project, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["phase"].queryset = project.phases.all()  # type: ignore[attr-defined]


def project_phases(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the phases and the forecast; POST: one phase's report (then back to the page)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    project = Project.objects.filter(pk=pk).first()
    if project is None:
        raise Http404("No such project.")
    may_report = may_report_phases(request.user, on_project=on_project(request.user, project))
    if not (may_read(request.user, Area.PROJECTS) or may_report):
        raise PermissionDenied(read_refusal(Area.PROJECTS))
    status = 200
    if request.method == "POST":
        may_report.require()
        form = PhaseReportForm(request.POST, project=project)
        if form.is_valid():
            try:
                reported = _report(request, form)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                text = f"{reported.phase.name}: {reported.phase.get_state_display().lower()}."
                if reported.released_minutes:
                    text += f" {reported.released_minutes / 60:g} reserved hours released."
                messages.success(request, text)
                return redirect("delivery:project_phases", pk=pk)
        status = 400
    elif request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    else:
        form = None
    context = {
        "project": project,
        "phases": project.phases.select_related("role").order_by("order", "pk"),
        "forecast": ProjectForecast.objects.filter(project=project).first(),
        "may_report": bool(may_report),
        "states": ProjectPhase.State.choices,
        "form": form,
        "today": timezone.localdate(),
    }
    return render(request, "delivery/project_phases.html", context, status=status)


def _report(request: HtmxHttpRequest, form: PhaseReportForm) -> PhaseReported:
    data = form.cleaned_data
    return phase_report(
        user=request.user,
        phase_pk=data["phase"].pk,
        report=PhaseReport(
            state=ProjectPhase.State(data["state"]),
            actual_start=data["actual_start"],
            actual_end=data["actual_end"],
            remaining_hours=data["remaining_hours"],
        ),
        today=timezone.localdate(),
    )
