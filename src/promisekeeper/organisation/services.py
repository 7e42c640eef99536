"""Writes about the organisation; every capacity-affecting write bumps the ledger."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.utils import timezone

from promisekeeper.organisation.models import CompanyClosure, Ledger, OrganisationSettings
from promisekeeper.organisation.permissions import ADMIN, OPERATIONS, SALES


def ledger_bump() -> int:
    """Increment the ledger version inside the caller's transaction and return the new value.

    One UPDATE .. RETURNING makes the increment atomic even without a lock (and costs one
    round trip inside the commit's lock); callers that also read capacity lock the row first
    with select_for_update (the global capacity lock).
    """
    table = connection.ops.quote_name(Ledger._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET version = version + 1, updated_at = %s "  # noqa: S608
            "WHERE singleton RETURNING version",
            [timezone.now()],
        )
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    Ledger.objects.get_or_create(singleton=True)  # the first capacity write ever
    return ledger_bump()


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
    ledger_bump()
    return settings_row


@transaction.atomic
def company_closure_create(
    *, name: str, start_date: datetime.date, end_date: datetime.date
) -> CompanyClosure:
    """Record a closure; validated, and bumps the ledger since capacity changes."""
    closure = CompanyClosure(name=name, start_date=start_date, end_date=end_date)
    closure.full_clean()
    closure.save()
    ledger_bump()
    return closure


# Which apps each group may change (add/change/delete/view) or only view.
GROUP_APP_PERMISSIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    SALES: (("sales",), ("catalog", "people", "delivery", "organisation")),
    OPERATIONS: (("people", "catalog", "delivery", "organisation"), ("sales",)),
    ADMIN: (("organisation", "people", "catalog", "sales", "delivery", "api", "auth"), ()),
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
