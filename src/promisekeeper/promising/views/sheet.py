"""The printable customer promise sheet, as a page and as a PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from promisekeeper.organisation.http import HtmxHttpRequest
from promisekeeper.promising.pdf import promise_sheet_pdf
from promisekeeper.promising.permissions import may_view_promise
from promisekeeper.promising.sheet import promise_sheet_build
from promisekeeper.promising.views.base import refusals_shown
from promisekeeper.sales.models import Promise


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
