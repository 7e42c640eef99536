"""One error shape for every API answer that is not a success: ``{"field", "message"}``.

``field`` names the input to blame (``deal_id``, ``lines[0].quantity``, ``Idempotency-Key``)
or is null when no one input is (not signed in, not allowed, too many requests). Every
operation's OpenAPI entry lists the errors any request may meet (401 where a token is
needed, 413, 422, 429) with this schema, besides its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.throttling import SimpleRateThrottle

from promisekeeper.api.models import ApiToken

COMMON_ERRORS = {
    "413": "The request body is too large.",
    "422": "A parameter, header or body field is missing or malformed (``field`` names it).",
    "429": "Too many requests with this token; wait and try again.",
}
UNAUTHORISED = "No valid bearer token (``Authorization: Bearer <key>``)."


class ApiError(Schema):
    """What went wrong and, when one input is to blame, which one."""

    field: str | None = None
    message: str


def field_of(location: Sequence[Any]) -> str | None:
    """``("body", "body", "lines", 0, "quantity")`` -> ``"lines[0].quantity"``."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == "body":
            parts.pop(0)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or None


def _answer(
    api: NinjaAPI, request: HttpRequest, status: int, message: str, field: str | None
) -> HttpResponse:
    return api.create_response(request, {"field": field, "message": message}, status=status)


def error_handlers_install(api: NinjaAPI) -> None:
    """Answer validation, authentication, throttling and other HTTP errors as ApiError."""

    def validation(request: HttpRequest, exc: Any) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        message = str(first.get("msg", "is not valid"))
        return _answer(api, request, 422, message, field_of(first.get("loc", ())))

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if isinstance(exc, AuthenticationError):
            return _answer(api, request, 401, UNAUTHORISED, None)
        if isinstance(exc, Throttled):
            response = _answer(api, request, 429, "Too many requests with this token.", None)
            if exc.wait:
                response["Retry-After"] = str(int(exc.wait) + 1)
            return response
        return _answer(api, request, exc.status_code, str(exc), None)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return _answer(api, request, 404, "Not found.", None)

    api.add_exception_handler(ValidationError, validation)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)


def error_responses_document(schema: dict[str, Any]) -> dict[str, Any]:
    """Give every operation the errors any request may meet, all in the ApiError schema."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ApiError"] = ApiError.model_json_schema()
    reference = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            # Ninja keys statuses by int; JSON would then hold "422" twice beside ours.
            responses = {str(k): v for k, v in operation.get("responses", {}).items()}
            operation["responses"] = responses
            errors = dict(COMMON_ERRORS)
            if operation.get("security"):
                errors["401"] = UNAUTHORISED
            for status, description in errors.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if int(status) >= 400:
                    response.update(reference)
    return schema


class TokenRateThrottle(SimpleRateThrottle):
    """At most ``settings.API_TOKEN_RATE`` requests per bearer token (read on each request)."""

    scope = "token"

    def __init__(self) -> None:
        super().__init__(rate=settings.API_TOKEN_RATE)

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests, self.duration = self.parse_rate(settings.API_TOKEN_RATE)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.key_hash}
