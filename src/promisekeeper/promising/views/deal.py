"""A deal's page, and committing a deal at a date operations approved or proposed."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from promisekeeper.organisation.http import HtmxHttpRequest
from promisekeeper.promising.forms import DealCommitForm
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.permissions import may_commit, may_view_deal
from promisekeeper.promising.views.base import commit_once, refusals_shown
from promisekeeper.promising.views.changes import changes_context
from promisekeeper.sales.models import Deal, ExceptionRequest
from promisekeeper.sales.selectors import deal_history, promise_latest


@login_required
@require_GET
@refusals_shown
def deal_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A deal's lines, hold, promises, exception requests and full audit history."""
    deal = get_object_or_404(Deal.objects.select_related("customer", "owner"), pk=pk)
    may_view_deal(request.user, deal).require()
    return render(request, "promising/deal.html", _deal_context(request, deal))


def _deal_context(request: HtmxHttpRequest, deal: Deal, commit_error: str = "") -> dict[str, Any]:
    exceptions = list(deal.exception_requests.select_related("requested_by", "decided_by"))
    return {
        "deal": deal,
        "lines": deal.lines.select_related("offering", "product").order_by("pk"),
        "hold": deal.holds.filter(active=True).first(),
        "promises": list(deal.promises.select_related("created_by", "approval")),
        "promise": promise_latest(deal=deal),
        "exceptions": exceptions,
        "history": deal_history(deal=deal),
        "can_commit": bool(may_commit(request.user, deal)),
        "commit_key": uuid.uuid4(),
        "commit_error": commit_error,
        **changes_context(request.user, deal),
    }


@login_required
@require_POST
@refusals_shown
def deal_commit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Commit the deal's lines at a date operations approved (or proposed) for it."""
    deal = get_object_or_404(Deal, pk=pk)
    may_commit(request.user, deal).require()
    form = DealCommitForm(request.POST)

    def again(message: str) -> HttpResponse:
        return render(
            request, "promising/deal.html", _deal_context(request, deal, message), status=409
        )

    if not form.is_valid():
        return render(
            request,
            "promising/deal.html",
            _deal_context(request, deal, _form_errors(form)),
            status=400,
        )
    exception = None
    if form.cleaned_data.get("exception"):
        exception = get_object_or_404(
            ExceptionRequest, pk=form.cleaned_data["exception"], deal=deal
        )
    lines = [
        QuoteLine(quantity=line.quantity, offering_id=line.offering_id, product_id=line.product_id)
        for line in deal.lines.order_by("pk")
    ]
    return commit_once(
        request,
        deal=deal,
        lines=lines,
        promised_date=form.cleaned_data["promised_date"],
        key=str(form.cleaned_data["idempotency_key"]),
        exception=exception if exception and exception.status == "approved" else None,
        on_error=again,
    )


def _form_errors(form: Any) -> str:
    def label(name: str) -> str:
        field = form.fields.get(name)
        return str(field.label) if field and field.label else name.replace("_", " ").capitalize()

    return "; ".join(f"{label(name)}: {' '.join(errors)}" for name, errors in form.errors.items())
