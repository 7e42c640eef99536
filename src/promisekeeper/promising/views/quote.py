"""The quote page: ask "can we promise this?", then hold, commit or request an exception."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from promisekeeper.organisation.http import HtmxHttpRequest
from promisekeeper.organisation.input import id_param
from promisekeeper.promising.answer import QuoteAnswer
from promisekeeper.promising.drafts import deal_draft_discard, deal_draft_keep, deal_quote_save
from promisekeeper.promising.errors import QuoteInputError, TooManyHolds
from promisekeeper.promising.exceptions import exception_request
from promisekeeper.promising.forms import (
    CommitForm,
    ExceptionRequestForm,
    HoldForm,
    LineRow,
    QuoteForm,
    item_choices,
)
from promisekeeper.promising.holds import hold_place
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.permissions import (
    Decision,
    may_commit,
    may_hold,
    may_quote,
    may_request_exception,
    may_save_quote,
)
from promisekeeper.promising.quote import quote_check
from promisekeeper.promising.views.base import commit_once, field_message, refusals_shown
from promisekeeper.sales.models import Deal

QUOTE_TEMPLATE = "promising/quote.html"
ACTIONS = ("hold", "commit", "exception")


@dataclass(frozen=True)
class QuoteActions:
    """Which of hold, commit and exception the user may take on the quoted deal."""

    hold: bool
    commit: bool
    exception: bool

    @classmethod
    def for_user(cls, request: HtmxHttpRequest, deal: Deal | None) -> QuoteActions:
        """The rules for ``deal``; for a customer-only quote, the rule for drafting a deal."""
        user = request.user
        if deal is None:
            drafting = bool(may_save_quote(user, None))
            return cls(drafting, drafting, drafting)
        return cls(
            bool(may_hold(user, deal)),
            bool(may_commit(user, deal)),
            bool(may_request_exception(user, deal)),
        )

    def rule(self, request: HtmxHttpRequest, action: str, deal: Deal | None) -> Decision:
        """The rule that decides ``action`` (one of ACTIONS) on ``deal``."""
        user = request.user
        if deal is None:
            return may_save_quote(user, None)
        return {"hold": may_hold, "commit": may_commit, "exception": may_request_exception}[action](
            user, deal
        )


@dataclass(frozen=True)
class QuotePage:
    """The quote page to render again after an action was refused, and with which status."""

    context: dict[str, Any]
    status: int = HTTPStatus.OK


def _quote_context(
    form: QuoteForm,
    answer: QuoteAnswer | None,
    *,
    actions: QuoteActions,
    hold_form: HoldForm | None = None,
    commit_form: CommitForm | None = None,
    exception_form: ExceptionRequestForm | None = None,
) -> dict[str, Any]:
    """The quote page's context; ``actions`` says which buttons the rules allow."""
    promise_date = answer.promise_date if answer else None
    wanted = form.cleaned_data.get("wanted_date") if hasattr(form, "cleaned_data") else None
    default_date = wanted if answer and answer.can_promise and wanted else promise_date
    # A refreshed answer keeps what was typed into the hold and exception fields.
    typed = form.data if form.is_bound else {}
    return {
        "form": form,
        "can_hold": actions.hold,
        "can_commit": actions.commit,
        "can_request_exception": actions.exception,
        "can_act": actions.hold or actions.commit or actions.exception,
        "rows": form.rows or [LineRow(item="", quantity="1")],
        "choices": item_choices,  # called by the template only where the rows are drawn
        "answer": answer,
        "hold_form": hold_form or HoldForm(initial={"hold_days": typed.get("hold_days") or 7}),
        "commit_form": commit_form
        or CommitForm(initial={"promised_date": default_date, "idempotency_key": uuid.uuid4()}),
        "exception_form": exception_form
        or ExceptionRequestForm(
            initial={
                "requested_date": typed.get("requested_date") or wanted,
                "scope_note": typed.get("scope_note", ""),
            }
        ),
        "load_chart": _load_chart(answer),
    }


def _load_chart(answer: QuoteAnswer | None) -> dict[str, Any] | None:
    """The bottleneck role's weekly load as plain lists for the Plotly chart."""
    if answer is None or answer.bottleneck is None or not answer.load:
        return None
    return {
        "role": answer.bottleneck.role,
        "weeks": [week.week_start.isoformat() for week in answer.load],
        "booked": [week.booked_hours for week in answer.load],
        "available": [week.available_hours for week in answer.load],
    }


def _ask(request: HtmxHttpRequest, form: QuoteForm) -> QuoteAnswer | None:
    if not form.is_valid():
        return None
    try:
        return quote_check(
            user=request.user,
            customer=form.cleaned_data["customer"],
            deal=form.cleaned_data.get("deal"),
            lines=_quote_lines(form),
            wanted_date=form.cleaned_data.get("wanted_date"),
        )
    except QuoteInputError as exc:
        form.add_error(None, field_message(exc))
        return None


@login_required
@require_http_methods(["GET", "POST"])
@refusals_shown
def quote(request: HtmxHttpRequest) -> HttpResponse:
    """Ask "can we promise this?"; hold, commit or request an exception from the answer.

    GET shows an empty quote (or the deal named by ``?deal=`` with its answer); POST asks,
    edits the line rows or acts on the answer. htmx gets the answer (or the line rows and
    the answer) as a partial; a plain POST gets the whole page, so no JavaScript is needed.
    Operations may ask too; the rules decide who may hold, commit or request an exception.
    """
    may_quote(request.user).require()
    if request.method == "GET":
        return _quote_shown(request)

    action = request.POST.get("action") or "ask"
    form = QuoteForm(request.POST)
    form.set_rows(request.POST)
    # Line edits first: validating the form (to find the deal) caches its errors.
    if action == "add_line":
        form.rows.append(LineRow(item="", quantity="1"))
    elif action.startswith("remove-") and action[7:].isdigit():
        index = int(action[7:])
        if 0 <= index < len(form.rows):
            del form.rows[index]
    quoted = form.cleaned_data.get("deal") if form.is_valid() else None
    actions = QuoteActions.for_user(request, quoted)
    if action in ACTIONS:
        actions.rule(request, action, quoted).require()
    if request.htmx and action in ACTIONS:
        # Hold, commit and exception are plain form posts that redirect; htmx only asks.
        action = "ask"

    answer = _ask(request, form)
    if action in ACTIONS and answer is not None:
        outcome = _act(request, action, form, answer, actions)
        if isinstance(outcome, HttpResponseRedirect):
            return outcome
        page = outcome
    else:
        page = QuotePage(_quote_context(form, answer, actions=actions))
    if request.htmx:
        partial = "answer" if action == "ask" else "workspace"
        return render(request, f"{QUOTE_TEMPLATE}#{partial}", page.context, status=page.status)
    return render(request, QUOTE_TEMPLATE, page.context, status=page.status)


def _quote_shown(request: HtmxHttpRequest) -> HttpResponse:
    """An empty quote, or the deal named by ``?deal=`` with its answer."""
    deal_pk = id_param(request.GET.get("deal"), "deal")
    if deal_pk is None:
        actions = QuoteActions.for_user(request, None)
        return render(request, QUOTE_TEMPLATE, _quote_context(QuoteForm(), None, actions=actions))
    deal = get_object_or_404(Deal, pk=deal_pk)
    data = QuoteForm.data_for_deal(deal)
    form = QuoteForm(data)
    form.set_rows(data)
    return render(
        request,
        QUOTE_TEMPLATE,
        _quote_context(form, _ask(request, form), actions=QuoteActions.for_user(request, deal)),
    )


@dataclass
class _Acting:
    """One hold, commit or exception request from the quote page, and the deal drafted for
    it when the quote names only a customer."""

    request: HtmxHttpRequest
    form: QuoteForm
    answer: QuoteAnswer
    actions: QuoteActions
    hold_form: HoldForm | None
    commit_form: CommitForm | None
    exception_form: ExceptionRequestForm | None
    drafted: Deal | None = None

    def again(self, message: str = "", status: int = HTTPStatus.OK) -> QuotePage:
        """The page again, with ``message``; a deal drafted for the action is discarded."""
        if self.drafted is not None:
            deal_draft_discard(user=self.request.user, deal=self.drafted)
        if message:
            self.form.add_error(None, message)
        return QuotePage(
            _quote_context(
                self.form,
                self.answer,
                actions=self.actions,
                hold_form=self.hold_form,
                commit_form=self.commit_form,
                exception_form=self.exception_form,
            ),
            status,
        )

    def done(self, deal: Deal, message: str) -> HttpResponseRedirect:
        """On to the deal; a deal drafted for the action is kept."""
        if self.drafted is not None:
            deal_draft_keep(user=self.request.user, deal=self.drafted)
        messages.success(self.request, message)
        return redirect("promising:deal", pk=deal.pk)


def _act(
    request: HtmxHttpRequest,
    action: str,
    form: QuoteForm,
    answer: QuoteAnswer,
    actions: QuoteActions,
) -> HttpResponseRedirect | QuotePage:
    """Hold, commit or request an exception; a redirect on success, the page again on error.

    A quote that names only a customer drafts a deal to act on. The draft is kept only when
    the action succeeds; refused (a commit that comes back "taken", say) it is discarded, so
    the page asks again for the customer and nothing is left behind.
    """
    acting = _Acting(
        request,
        form,
        answer,
        actions,
        hold_form=HoldForm(request.POST) if action == "hold" else None,
        commit_form=CommitForm(request.POST) if action == "commit" else None,
        exception_form=ExceptionRequestForm(request.POST) if action == "exception" else None,
    )
    chosen = acting.hold_form or acting.commit_form or acting.exception_form
    assert chosen is not None
    if not chosen.is_valid():
        return acting.again()
    try:
        deal = _deal_for(request, form)
        if form.cleaned_data.get("deal") is None:
            acting.drafted = deal
        if acting.hold_form is not None:
            hold = hold_place(
                user=request.user, deal=deal, days=acting.hold_form.cleaned_data["hold_days"]
            )
            return acting.done(deal, f"Held until {hold.expires_at:%d %b %Y %H:%M}.")
        if acting.exception_form is not None:
            exception_request(
                user=request.user,
                deal=deal,
                requested_date=acting.exception_form.cleaned_data["requested_date"],
                scope_note=acting.exception_form.cleaned_data["scope_note"],
            )
            return acting.done(deal, "Exception request sent to operations.")
    except TooManyHolds as exc:
        return acting.again(field_message(exc), status=HTTPStatus.TOO_MANY_REQUESTS)
    except QuoteInputError as exc:
        return acting.again(field_message(exc))
    assert acting.commit_form is not None
    return commit_once(
        request,
        deal=deal,
        lines=list(answer.lines),
        promised_date=acting.commit_form.cleaned_data["promised_date"],
        key=str(acting.commit_form.cleaned_data["idempotency_key"]),
        exception=None,
        on_error=lambda message: acting.again(message, HTTPStatus.CONFLICT),
        on_done=acting.done,
    )


def _deal_for(request: HtmxHttpRequest, form: QuoteForm) -> Deal:
    """The deal the quote is about, with the quoted lines on it (created for a customer)."""
    return deal_quote_save(
        user=request.user,
        customer=form.cleaned_data["customer"],
        deal=form.cleaned_data.get("deal"),
        lines=_quote_lines(form),
        wanted_date=form.cleaned_data.get("wanted_date"),
        draft_key=request.POST.get("idempotency_key", "")[:100],
    )


def _quote_lines(form: QuoteForm) -> list[QuoteLine]:
    return [
        QuoteLine(
            quantity=line.quantity,
            offering_id=line.offering.pk if line.offering else None,
            product_id=line.product.pk if line.product else None,
        )
        for line in form.lines
    ]
