"""The admin site: for the admin role only, and every change it makes is in the audit trail.

Django's admin lets in every staff user and records changes only in its own log. Here the
admin role (group "admin", or a superuser) is what opens it, staff status alone does not,
and every model registered on it records each add, change and delete as an ``AuditEvent``
whose actor is the signed-in user, in the transaction of the change. The recording is added
here, where every model admin is registered, because the apps whose admins it covers (people,
catalog, organisation) sit below ``sales``, which owns the audit trail, and may not import it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.base import ModelBase
from django.http import HttpRequest

from promisekeeper.organisation.permissions import is_admin
from promisekeeper.sales.models import AuditEvent, Deal
from promisekeeper.sales.services import audit_event_record


class AdminRoleAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form: the admin role, not staff status, lets one in."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "Please enter the username and password of an administrator.",
    }

    def confirm_login_allowed(self, user: Any) -> None:
        AuthenticationForm.confirm_login_allowed(self, user)
        if not is_admin(user):
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")


def _deal_of(obj: models.Model) -> Deal | None:
    """The deal an object is, or belongs to, so the change shows in that deal's history."""
    if isinstance(obj, Deal):
        return obj
    deal = getattr(obj, "deal", None)
    return deal if isinstance(deal, Deal) else None


def admin_change_record(
    *, request: HttpRequest, action: AuditEvent.Action, obj: models.Model, change: Any
) -> AuditEvent:
    """Record one admin add, change or delete of ``obj`` by the signed-in user."""
    deleted_deal = action == AuditEvent.Action.ADMIN_DELETED and isinstance(obj, Deal)
    return audit_event_record(
        actor=request.user,  # type: ignore[arg-type]
        action=action,
        deal=None if deleted_deal else _deal_of(obj),
        payload={
            "model": obj._meta.label_lower,
            "object_id": str(obj.pk),
            "object": str(obj)[:200],
            "change": change,
        },
    )


class AuditedAdmin(admin.ModelAdmin):
    """Each add, change and delete through this admin also writes an AuditEvent."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        # Called inside the admin's transaction, after the object and its inlines are saved.
        admin_change_record(
            request=request, action=AuditEvent.Action.ADMIN_ADDED, obj=obj, change=message
        )
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        admin_change_record(
            request=request, action=AuditEvent.Action.ADMIN_CHANGED, obj=obj, change=message
        )
        return super().log_change(request, obj, message)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            admin_change_record(
                request=request, action=AuditEvent.Action.ADMIN_DELETED, obj=obj, change=[]
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # The "delete selected" action runs outside a transaction: the events and the
        # deletion commit together or not at all.
        with transaction.atomic():
            for obj in queryset:
                admin_change_record(
                    request=request, action=AuditEvent.Action.ADMIN_DELETED, obj=obj, change=[]
                )
            super().delete_queryset(request, queryset)


class PromisekeeperAdminSite(admin.AdminSite):
    """Open to the admin role only; every model admin registered on it is audited."""

    site_header = "Promisekeeper administration"
    site_title = "Promisekeeper admin"
    login_form = AdminRoleAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)

    def register(
        self,
        model_or_iterable: ModelBase | Any,
        admin_class: type[admin.ModelAdmin] | None = None,
        **options: Any,
    ) -> None:
        chosen = admin_class or admin.ModelAdmin
        if not issubclass(chosen, AuditedAdmin):
            chosen = type(
                chosen.__name__, (AuditedAdmin, chosen), {"__module__": chosen.__module__}
            )
        super().register(model_or_iterable, chosen, **options)
