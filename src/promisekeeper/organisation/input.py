"""Input every request must pass before a view sees it, and bounded number parsing for filters.

A NUL character cannot be stored in PostgreSQL text (the query fails), and SQLite's driver
overflows on integers past 64 bits; both used to surface as HTTP 500. The middleware turns
them into a 400 naming the parameter, for every page and the API alike, so no view has to
remember; ``id_param`` is the one way filters read a row id from the query string.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

MAX_ID = 2**63 - 1
MAX_PARAMETER_LENGTH = 20_000
API_PREFIX = "/api/"


class BadParameter(ValueError):
    """A request parameter that cannot be used; ``field`` names it. Nothing was written."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


def id_param(value: str | None, field: str) -> int | None:
    """A filter's row id: None when blank or not a number, BadParameter when past 64 bits."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    if number > MAX_ID:
        raise BadParameter(field, f"must be a whole number no larger than {MAX_ID}")
    return number


def _params(request: HttpRequest) -> Iterator[tuple[str, str]]:
    for name, values in (*request.GET.lists(), *request.POST.lists()):
        for value in values:
            yield name, value
    yield from request.COOKIES.items()
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str):
            yield name[5:].replace("_", "-").title(), value


def _json_strings(data: Any, at: str = "") -> Iterator[tuple[str, str]]:
    """Every key and string in a JSON document with its path (``lines[0].note``)."""
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{at}.{key}" if at else str(key)
            yield path, str(key)
            yield from _json_strings(value, path)
    elif isinstance(data, list):
        for k, value in enumerate(data):
            yield from _json_strings(value, f"{at}[{k}]")
    elif isinstance(data, str):
        yield at, data


def input_problem(request: HttpRequest) -> BadParameter | None:
    """The first parameter, cookie, header or JSON string a view must not see, or None."""
    try:
        pairs = list(_params(request))
        if request.path_info.startswith(API_PREFIX) and "json" in (request.content_type or ""):
            # Not JSON: the API answers that itself, in its error shape.
            with contextlib.suppress(ValueError):
                pairs += list(_json_strings(json.loads(request.body or b"null")))
    except RequestDataTooBig:
        return BadParameter("body", "is too large", status=413)
    except RecursionError:
        return BadParameter("body", "is nested too deeply")
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            return BadParameter(name.replace("\x00", "\\0"), "must not contain a NUL character")
        if len(value) > MAX_PARAMETER_LENGTH:
            return BadParameter(name, f"must be at most {MAX_PARAMETER_LENGTH} characters")
    return None


def bad_input_response(request: HttpRequest, problem: BadParameter) -> HttpResponse:
    """JSON ``{"field", "message"}`` for the API, the page with the message for a browser."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(
            {"field": problem.field, "message": problem.message}, status=problem.status
        )
    return render(
        request,
        "bad_input.html",
        {"field": problem.field, "message": problem.message},
        status=problem.status,
    )


class InputGuardMiddleware:
    """Refuse a request whose input no view can store, before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = input_problem(request)
        if problem is not None:
            return bad_input_response(request, problem)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view that parsed a parameter with ``id_param`` and found it out of range."""
        if isinstance(exception, BadParameter):
            return bad_input_response(request, exception)
        return None
