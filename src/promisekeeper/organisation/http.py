"""What every app's views share: the htmx request type and CSV downloads.

Tables are (header, rows) pairs so a page and its CSV show the same columns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django_htmx.middleware import HtmxDetails

Table = tuple[list[str], list[list[Any]]]


class HtmxHttpRequest(HttpRequest):
    """A request that passed django-htmx's middleware (typed, as the django-htmx docs show)."""

    htmx: HtmxDetails


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A UTF-8 CSV download."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return response
