"""Re-date and cancel a promise from the deal page (and the project page's forms), operations'
decision on a new date we caused, and the customer notices they write."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from promisekeeper.organisation.http import HtmxHttpRequest
from promisekeeper.promising.errors import IdempotencyConflict, QuoteInputError
from promisekeeper.promising.permissions import (
    may_cancel,
    may_decide_redate,
    may_redate,
    may_view_deal,
)
from promisekeeper.promising.redates import (
    RedateOutcome,
    promise_cancel_noticed,
    redate_decide,
    redate_propose,
)
from promisekeeper.promising.views.base import field_message, refusals_shown
from promisekeeper.promising.views.deal import _deal_context, _form_errors
from promisekeeper.sales.models import CustomerNotice, Deal, RedateRequest


class RedateForm(forms.Form):
    promised_date = forms.DateField(label="New date")
    reason_code = forms.ChoiceField(label="Reason", choices=RedateRequest.Reason.choices)
    note = forms.CharField(label="Note", required=False, max_length=2000)
    beyond_capacity = forms.BooleanField(
        label="Ask operations if the plan cannot make it", required=False
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class RedateDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    comment = forms.CharField(label="Comment", required=False, max_length=2000)


class CancelForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=2000)


def _deal_page(request: HtmxHttpRequest, deal: Deal, message: str, status: int) -> HttpResponse:
    return render(
        request, "promising/deal.html", _deal_context(request, deal, message), status=status
    )


def _refused(outcome: RedateOutcome) -> str:
    earliest = f" The earliest date now is {outcome.earliest:%d %b %Y}." if outcome.earliest else ""
    return f"New date: refused, {outcome.reason}.{earliest} Nothing was changed."


@login_required
@require_POST
@refusals_shown
def deal_redate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Propose a new date: the engine checks it; applied at once, or sent to operations."""
    deal = get_object_or_404(Deal.objects.select_related("customer", "owner"), pk=pk)
    may_redate(request.user, deal).require()
    form = RedateForm(request.POST)
    if not form.is_valid():
        return _deal_page(request, deal, _form_errors(form), 400)
    try:
        outcome = redate_propose(
            user=request.user,
            deal=deal,
            promised_date=form.cleaned_data["promised_date"],
            reason_code=form.cleaned_data["reason_code"],
            note=form.cleaned_data["note"],
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
            beyond_capacity=form.cleaned_data["beyond_capacity"],
        )
    except IdempotencyConflict:
        return _deal_page(request, deal, "New date: this form was already used; try again.", 409)
    except QuoteInputError as exc:
        return _deal_page(request, deal, field_message(exc), 400)
    if outcome.status == "refused":
        return _deal_page(request, deal, _refused(outcome), 409)
    if outcome.status == "requested":
        messages.success(request, "New date proposed: operations will approve or decline it.")
    else:
        messages.success(request, "New date promised; the customer notice is ready.")
    return redirect("promising:deal", pk=deal.pk)


@login_required
@require_POST
@refusals_shown
def redate_decide_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Operations approves (the date is applied) or declines a new date we caused."""
    redate = get_object_or_404(
        RedateRequest.objects.select_related("deal", "previous_promise", "requested_by"), pk=pk
    )
    may_decide_redate(request.user, redate).require()
    deal = redate.deal
    form = RedateDecisionForm(request.POST)
    if not form.is_valid():
        return _deal_page(request, deal, _form_errors(form), 400)
    try:
        outcome = redate_decide(
            user=request.user,
            request=redate,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
        )
    except QuoteInputError as exc:
        return _deal_page(request, deal, field_message(exc), 400)
    if outcome.status == "refused":
        return _deal_page(request, deal, _refused(outcome), 409)
    done = "approved and promised" if outcome.status == "applied" else "declined"
    messages.success(request, f"New date {done}.")
    return redirect("promising:deal", pk=deal.pk)


@login_required
@require_POST
@refusals_shown
def deal_cancel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Cancel the promise with a reason; its hours and units are released."""
    deal = get_object_or_404(Deal.objects.select_related("customer", "owner"), pk=pk)
    may_cancel(request.user, deal).require()
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _deal_page(request, deal, _form_errors(form), 400)
    try:
        promise_cancel_noticed(user=request.user, deal=deal, reason=form.cleaned_data["reason"])
    except QuoteInputError as exc:
        return _deal_page(request, deal, field_message(exc), 400)
    messages.success(request, "Promise cancelled; the customer notice is ready.")
    return redirect("promising:deal", pk=deal.pk)


def _notice_for_viewer(request: HtmxHttpRequest, pk: int) -> CustomerNotice:
    notice = get_object_or_404(
        CustomerNotice.objects.select_related("deal__customer", "promise", "created_by"), pk=pk
    )
    may_view_deal(request.user, notice.deal).require()
    return notice


@login_required
@require_GET
@refusals_shown
def notice_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The stored customer e-mail, as it was written."""
    notice = _notice_for_viewer(request, pk)
    return render(request, "promising/notice.html", {"notice": notice})


@login_required
@require_GET
@refusals_shown
def notice_sheet_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The promise sheet stored with a new-date notice."""
    notice = _notice_for_viewer(request, pk)
    if not notice.sheet_pdf:
        return HttpResponse("This notice has no promise sheet.", status=404)
    response = HttpResponse(bytes(notice.sheet_pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.pk}-promise.pdf"'
    return response
