"""The JSON API at /api/ (docs at /api/docs); feature routers are added by their apps.

Every error is an ``ApiError`` ``{"field", "message"}`` (promisekeeper.api.errors), and
each bearer token may send ``API_TOKEN_RATE`` requests (django-ninja's throttling).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Schema

from promisekeeper.api.auth import TokenAuth
from promisekeeper.api.errors import (
    TokenRateThrottle,
    error_handlers_install,
    error_responses_document,
)
from promisekeeper.api.phases import router as phases_router
from promisekeeper.api.redates import router as redates_router
from promisekeeper.api.sales import router as sales_router
from promisekeeper.api.timesheets import router as timesheets_router
from promisekeeper.organisation.selectors import ledger_version_get


class PromisekeeperApi(NinjaAPI):
    """NinjaAPI whose schema documents the common errors of every operation."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return error_responses_document(super().get_openapi_schema(*args, **kwargs))


api = PromisekeeperApi(
    title="Promisekeeper API",
    version="1",
    docs_url="/docs",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
)
error_handlers_install(api)
api.add_router("/", sales_router)
api.add_router("/", timesheets_router)
api.add_router("/", phases_router)
api.add_router("/", redates_router)


class HealthOut(Schema):
    status: str
    ledger_version: int


@api.get("/health", response=HealthOut, auth=None)
def health(request: HttpRequest) -> HealthOut:
    """Liveness and database check for load balancers; no authentication."""
    return HealthOut(status="ok", ledger_version=ledger_version_get())


class WhoAmIOut(Schema):
    username: str


@api.get("/me", response=WhoAmIOut)
def me(request: HttpRequest) -> WhoAmIOut:
    """The user a bearer token belongs to."""
    return WhoAmIOut(username=request.user.get_username())
