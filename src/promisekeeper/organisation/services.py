"""Writes about the organisation (the capacity ledger moves by itself: database triggers)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from promisekeeper.organisation.models import CompanyClosure, OrganisationSettings
from promisekeeper.organisation.permissions import ADMIN, OPERATIONS, SALES


@transaction.atomic
def organisation_settings_update(**fields: Any) -> OrganisationSettings:
    """Create or update the single settings row; validates before saving."""
    settings_row = OrganisationSettings.objects.filter(singleton=True).first()
    if settings_row is None:
        settings_row = OrganisationSettings(**fields)
    else:
        for name, value in fields.items():
            setattr(settings_row, name, value)
    settings_row.full_clean()
    settings_row.save()
    return settings_row


@transaction.atomic
def company_closure_create(
    *, name: str, start_date: datetime.date, end_date: datetime.date
) -> CompanyClosure:
    """Record a closure; validated."""
    closure = CompanyClosure(name=name, start_date=start_date, end_date=end_date)
    closure.full_clean()
    closure.save()
    return closure


# Which apps each group may change (add/change/delete/view) or only view. Only the admin
# role opens the admin (promisekeeper.admin_site); sales change deals through the services,
# which check ownership, so their group holds no change rights at all.
GROUP_APP_PERMISSIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    SALES: ((), ("sales", "catalog", "delivery")),
    OPERATIONS: (("people", "catalog", "delivery", "organisation"), ("sales",)),
    # Admins also see login lock-outs (axes) and the task queue, to unlock and to diagnose.
    ADMIN: (
        (
            "organisation",
            "people",
            "catalog",
            "sales",
            "delivery",
            "api",
            "auth",
            "axes",
            "django_tasks_database",
        ),
        (),
    ),
}


@transaction.atomic
def group_permissions_sync() -> dict[str, Group]:
    """Create the sales, operations and admin groups and give each its model permissions."""
    groups = {}
    for name, (change_apps, view_apps) in GROUP_APP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label__in=change_apps) | (
            Permission.objects.filter(
                content_type__app_label__in=view_apps, codename__startswith="view_"
            )
        )
        group.permissions.set(permissions)
        groups[name] = group
    return groups
