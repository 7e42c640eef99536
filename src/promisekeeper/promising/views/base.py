"""What the promising pages share: refusals shown as a page, input errors as a message, and
the one way a page commits a promise."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render

from promisekeeper.organisation.http import HtmxHttpRequest
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.errors import IdempotencyConflict, QuoteInputError
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.sales.models import Deal, ExceptionRequest


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


def field_message(exc: QuoteInputError) -> str:
    field = exc.field.replace("_", " ").replace("[", " ").replace("]", "").replace(".", " ")
    return f"{field[:1].upper()}{field[1:]}: {exc.message}."


def commit_once(
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
        return on_error(field_message(exc))
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
