"""The JSON API at /api/ (docs at /api/docs); feature routers are added by their apps."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema

from promisekeeper.api.auth import TokenAuth
from promisekeeper.api.sales import router as sales_router
from promisekeeper.organisation.selectors import ledger_version_get

api = NinjaAPI(title="Promisekeeper API", version="1", docs_url="/docs", auth=TokenAuth())
api.add_router("/", sales_router)


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
