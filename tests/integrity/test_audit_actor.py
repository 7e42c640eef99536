"""Audit events name the signed-in user as actor, always: no form, admin page or API body
lets anyone say who did something."""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from promisekeeper.api.api import api
from promisekeeper.api.services import api_token_create
from promisekeeper.promising.exceptions import exception_request
from promisekeeper.sales.models import AuditEvent, ExceptionRequest
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    deal_for,
    nth_working_day,
    ops_manager,
    other_rep,
    sales_rep,
    shop,
)

pytestmark = pytest.mark.django_db

# Fields that say who did something: only a service sets them, from the signed-in user.
ACTOR_FIELDS = {"actor", "actor_id", "created_by", "decided_by", "requested_by", "author"}


def test_no_admin_form_lets_anyone_choose_who_did_something(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    offered = []
    for model, model_admin in admin.site._registry.items():
        forms = []
        if model_admin.has_add_permission(request):
            forms.append(("add", model_admin.get_form(request, None)))
        if model_admin.has_change_permission(request):
            forms.append(("change", model_admin.get_form(request, model())))
        offered += [
            (model._meta.label, kind, name)
            for kind, form in forms
            for name in form.base_fields
            if name in ACTOR_FIELDS
        ]
    assert offered == []


def _schema_properties(schema, components):
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    names = set(schema.get("properties", {}))
    for nested in schema.get("properties", {}).values():
        for item in [nested, nested.get("items", {}), *nested.get("anyOf", [])]:
            if "$ref" in item:
                names |= _schema_properties(item, components)
    return names


def test_no_api_body_accepts_an_actor():
    openapi = api.get_openapi_schema()
    components = openapi["components"]["schemas"]
    accepted = {}
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            for content in body.values():
                names = _schema_properties(content["schema"], components)
                parameters = {p["name"] for p in operation.get("parameters", [])}
                if (names | parameters) & ACTOR_FIELDS:
                    accepted[f"{method} {path}"] = (names | parameters) & ACTOR_FIELDS
    assert accepted == {}


def test_an_api_decision_is_signed_by_the_token_user_whatever_the_body_says(
    client, shop, sales_rep, ops_manager, other_rep
):
    asked = exception_request(
        user=sales_rep, deal=deal_for(shop, sales_rep), requested_date=nth_working_day(2)
    )
    _, key = api_token_create(user=ops_manager)
    response = client.post(
        f"/api/exceptions/{asked.pk}/decision",
        {"decision": "decline", "comment": "full", "actor": other_rep.pk, "decided_by": 1},
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    assert ExceptionRequest.objects.get(pk=asked.pk).decided_by == ops_manager
    event = AuditEvent.objects.get(action="exception.declined")
    assert event.actor == ops_manager


def test_an_audit_event_cannot_be_written_in_the_admin(client, superuser, sales_rep):
    client.force_login(superuser)
    add = reverse("admin:sales_auditevent_add")
    response = client.post(add, {"action": "promise.committed", "actor": sales_rep.pk})
    assert response.status_code == 403
    assert not AuditEvent.objects.exists()
