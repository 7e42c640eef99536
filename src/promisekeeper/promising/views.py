"""Quote, deal, exception inbox and promise sheet pages: thin views over sales.services/selectors.

Every page renders in full for a plain request (so everything works without JavaScript) and
only the named partial when htmx asks (``request.htmx``).
"""

from __future__ import annotations

import datetime
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from promisekeeper.organisation.input import id_param
from promisekeeper.promising.answer import QuoteAnswer
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.drafts import deal_draft_discard, deal_draft_keep, deal_quote_save
from promisekeeper.promising.errors import IdempotencyConflict, QuoteInputError, TooManyHolds
from promisekeeper.promising.exceptions import exception_decide, exception_request
from promisekeeper.promising.forms import (
    CommitForm,
    DealCommitForm,
    ExceptionDecisionForm,
    ExceptionRequestForm,
    HoldForm,
    LineRow,
    QuoteForm,
    item_choices,
)
from promisekeeper.promising.holds import hold_place
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.inbox import (
    exception_impact_get,
    exception_inbox_get,
    exception_list_decided,
)
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.pdf import promise_sheet_pdf
from promisekeeper.promising.permissions import (
    Decision,
    may_commit,
    may_decide_exception,
    may_hold,
    may_quote,
    may_request_exception,
    may_save_quote,
    may_view_deal,
    may_view_inbox,
    may_view_promise,
)
from promisekeeper.promising.quote import quote_check
from promisekeeper.promising.sheet import promise_sheet_build
from promisekeeper.sales.models import Deal, ExceptionRequest, Promise
from promisekeeper.sales.selectors import deal_history, notification_list_unread, promise_latest
from promisekeeper.sales.services import notification_mark_read

QUOTE_TEMPLATE = "promising/quote.html"
ACTIONS = ("hold", "commit", "exception")


class HtmxHttpRequest(HttpRequest):
    """A request after django-htmx's middleware, for the type checker."""

    htmx: HtmxDetails


def refusals_shown(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A refused rule (PermissionDenied) becomes a 403 page that says why."""

    @functools.wraps(view)
    def wrapped(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            reason = str(exc) or "You may not do this."
            return render(request, "promising/refused.html", {"reason": reason}, status=403)

    return wrapped


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
        form.add_error(None, _field_message(exc))
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
        deal_pk = id_param(request.GET.get("deal"), "deal")
        if deal_pk is None:
            actions = QuoteActions.for_user(request, None)
            return render(
                request, QUOTE_TEMPLATE, _quote_context(QuoteForm(), None, actions=actions)
            )
        deal = get_object_or_404(Deal, pk=deal_pk)
        data = QuoteForm.data_for_deal(deal)
        form = QuoteForm(data)
        form.set_rows(data)
        return render(
            request,
            QUOTE_TEMPLATE,
            _quote_context(form, _ask(request, form), actions=QuoteActions.for_user(request, deal)),
        )

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
    hold_form = HoldForm(request.POST) if action == "hold" else None
    commit_form = CommitForm(request.POST) if action == "commit" else None
    exception_form = ExceptionRequestForm(request.POST) if action == "exception" else None
    drafted: Deal | None = None

    def again(message: str = "", status: int = HTTPStatus.OK) -> QuotePage:
        if drafted is not None:
            deal_draft_discard(user=request.user, deal=drafted)
        if message:
            form.add_error(None, message)
        return QuotePage(
            _quote_context(
                form,
                answer,
                actions=actions,
                hold_form=hold_form,
                commit_form=commit_form,
                exception_form=exception_form,
            ),
            status,
        )

    def done(deal: Deal, message: str) -> HttpResponseRedirect:
        if drafted is not None:
            deal_draft_keep(user=request.user, deal=drafted)
        messages.success(request, message)
        return redirect("promising:deal", pk=deal.pk)

    chosen = hold_form or commit_form or exception_form
    assert chosen is not None
    if not chosen.is_valid():
        return again()
    try:
        deal = _deal_for(request, form)
        if form.cleaned_data.get("deal") is None:
            drafted = deal
        if hold_form is not None:
            hold = hold_place(
                user=request.user, deal=deal, days=hold_form.cleaned_data["hold_days"]
            )
            return done(deal, f"Held until {hold.expires_at:%d %b %Y %H:%M}.")
        if exception_form is not None:
            exception_request(
                user=request.user,
                deal=deal,
                requested_date=exception_form.cleaned_data["requested_date"],
                scope_note=exception_form.cleaned_data["scope_note"],
            )
            return done(deal, "Exception request sent to operations.")
    except TooManyHolds as exc:
        return again(_field_message(exc), status=HTTPStatus.TOO_MANY_REQUESTS)
    except QuoteInputError as exc:
        return again(_field_message(exc))
    assert commit_form is not None
    promised_date = commit_form.cleaned_data["promised_date"]
    lines = list(answer.lines)
    return _commit(
        request,
        deal=deal,
        lines=lines,
        promised_date=promised_date,
        key=str(commit_form.cleaned_data["idempotency_key"]),
        exception=None,
        on_error=lambda message: again(message, HTTPStatus.CONFLICT),
        on_done=done,
    )


def _field_message(exc: QuoteInputError) -> str:
    field = exc.field.replace("_", " ").replace("[", " ").replace("]", "").replace(".", " ")
    return f"{field[:1].upper()}{field[1:]}: {exc.message}."


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


def _commit(
    request: HtmxHttpRequest,
    *,
    deal: Deal,
    lines: list[QuoteLine],
    promised_date: datetime.date,
    key: str,
    exception: ExceptionRequest | None,
    on_error: Callable[[str], Any],
    on_done: Callable[[Deal, str], HttpResponseRedirect] | None = None,
) -> Any:
    """Commit once per idempotency key; a retry or double click gets the same promise back."""
    try:
        result = promise_commit(
            user=request.user,
            deal=deal,
            lines=lines,
            promised_date=promised_date,
            idempotency_key=key,
            request_fingerprint=commit_fingerprint(
                deal_id=deal.pk,
                lines=lines,
                promised_date=promised_date,
                exception_id=exception.pk if exception else None,
            ),
            exception=exception,
        )
    except IdempotencyConflict:
        return on_error("Commit: this form was already used for a different promise; ask again.")
    except QuoteInputError as exc:
        return on_error(_field_message(exc))
    if result.status == "taken" or result.promise is None:
        earliest = (
            f"{result.earliest_date:%d %b %Y}" if result.earliest_date else "beyond the horizon"
        )
        return on_error(
            f"Promise date: {promised_date:%d %b %Y} cannot be promised any more "
            f"({result.reason or 'the capacity is taken'}); the earliest date now is {earliest}."
        )
    promised = f"Promised {result.promise.promised_date:%d %b %Y}."
    if on_done is not None:
        return on_done(deal, promised)
    messages.success(request, promised)
    return redirect("promising:deal", pk=deal.pk)


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
    return _commit(
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
            error = _field_message(exc)
        else:
            if request.htmx:
                return render(request, "promising/exceptions.html#decided-row", {"item": decided})
            messages.success(
                request, f"{decided.deal.name}: {decided.get_status_display().lower()}."
            )
            return redirect("promising:exceptions")
    if request.htmx:
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
    return render(
        request,
        "promising/exceptions.html",
        _inbox_context(request, {item.pk: form}, error=error, error_pk=item.pk),
        status=status,
    )


def _promise_for_viewer(request: HtmxHttpRequest, pk: int) -> Promise:
    promise = get_object_or_404(
        Promise.objects.select_related(
            "deal__customer", "deal__owner", "created_by", "approval__decided_by"
        ),
        pk=pk,
    )
    may_view_promise(request.user, promise).require()
    return promise


@login_required
@require_GET
@refusals_shown
def promise_sheet(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The printable customer promise sheet."""
    promise = _promise_for_viewer(request, pk)
    return render(
        request, "promising/promise_sheet.html", {"sheet": promise_sheet_build(promise=promise)}
    )


@login_required
@require_GET
@refusals_shown
def promise_sheet_pdf_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    promise = _promise_for_viewer(request, pk)
    sheet = promise_sheet_build(promise=promise)
    response = HttpResponse(promise_sheet_pdf(sheet), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="promise-{promise.pk}.pdf"'
    return response


@login_required
@require_POST
def notifications_read(request: HtmxHttpRequest) -> HttpResponse:
    """Mark the user's notifications read (all, or the one named by ``pk``)."""
    notification_mark_read(user=request.user, pk=id_param(request.POST.get("pk"), "pk"))
    if request.htmx:
        return render(
            request,
            "sales/_notifications.html",
            {"notifications": list(notification_list_unread(user=request.user)[:10])},
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("insights:dashboard")
    return redirect(target)
