"""Operations' exception inbox: pending requests with the engine's view of each, and deciding
one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from promisekeeper.organisation.http import HtmxHttpRequest
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.exceptions import exception_decide
from promisekeeper.promising.forms import ExceptionDecisionForm
from promisekeeper.promising.inbox import (
    exception_impact_get,
    exception_inbox_get,
    exception_list_decided,
)
from promisekeeper.promising.permissions import may_decide_exception, may_view_inbox
from promisekeeper.promising.views.base import field_message, refusals_shown
from promisekeeper.sales.models import ExceptionRequest


def _inbox_context(
    request: HtmxHttpRequest, forms: dict[int, ExceptionDecisionForm] | None = None, **extra: Any
) -> dict[str, Any]:
    forms = forms or {}
    pending = [
        (
            entry.request,
            entry.answer,
            entry.problem,
            forms.get(entry.request.pk) or ExceptionDecisionForm(prefix=f"x{entry.request.pk}"),
            entry.scope,
        )
        for entry in exception_inbox_get(user=request.user)
    ]
    return {
        "pending": pending,
        "decided": exception_list_decided(),
        **extra,
    }


@login_required
@require_GET
@refusals_shown
def exception_inbox(request: HtmxHttpRequest) -> HttpResponse:
    """Operations' pending exception requests with the engine's view of each."""
    may_view_inbox(request.user).require()
    return render(request, "promising/exceptions.html", _inbox_context(request))


@login_required
@require_POST
@refusals_shown
def exception_decide_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Approve (optionally with overtime or a reshuffle), propose another date, or decline."""
    may_view_inbox(request.user).require()
    item = get_object_or_404(ExceptionRequest.objects.select_related("deal"), pk=pk)
    form = ExceptionDecisionForm(request.POST, prefix=f"x{item.pk}")
    allowed = may_decide_exception(request.user, item)
    error, status = (allowed.refusal, 403) if allowed.refusal else ("", 400)
    if allowed and form.is_valid():
        data = form.cleaned_data
        overtime = data.get("overtime_percent")
        try:
            decided = exception_decide(
                user=request.user,
                request=item,
                decision=data["decision"],
                comment=data["comment"],
                proposed_date=data.get("proposed_date"),
                overtime_share=overtime / 100 if overtime else None,
                allow_reshuffle=bool(data.get("allow_reshuffle")),
            )
        except PermissionDenied as exc:
            error, status = str(exc) or "You may not decide this request.", 403
        except QuoteInputError as exc:
            error = field_message(exc)
        else:
            if request.htmx:
                return render(request, "promising/exceptions.html#decided-row", {"item": decided})
            messages.success(
                request, f"{decided.deal.name}: {decided.get_status_display().lower()}."
            )
            return redirect("promising:exceptions")
    if request.htmx:
        return _pending_row(request, item, form, error=error, status=status)
    return render(
        request,
        "promising/exceptions.html",
        _inbox_context(request, {item.pk: form}, error=error, error_pk=item.pk),
        status=status,
    )


def _pending_row(
    request: HtmxHttpRequest,
    item: ExceptionRequest,
    form: ExceptionDecisionForm,
    *,
    error: str,
    status: int,
) -> HttpResponse:
    """The request's row in the inbox again, with the form as sent and why it was refused."""
    entry = exception_impact_get(user=request.user, request=item)
    return render(
        request,
        "promising/exceptions.html#pending-row",
        {
            "item": item,
            "answer": entry.answer,
            "problem": entry.problem,
            "scope": entry.scope,
            "form": form,
            "error": error,
            "error_pk": item.pk,
        },
        status=status,
    )
