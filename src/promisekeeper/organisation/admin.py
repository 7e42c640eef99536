from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet

from promisekeeper.organisation.models import (
    CompanyClosure,
    Ledger,
    OrganisationSettings,
    PeriodicJobRun,
)
from promisekeeper.organisation.services import ledger_bump


class LedgerBumpingAdmin(admin.ModelAdmin):
    """Edits here change plans and answers (people, calendars, SOPs, projects, deals, the
    quote confidence): each one bumps the ledger, so no cached snapshot or answer outlives it.

    The admin saves a form and its inlines in one transaction, so the bump in ``save_model``
    covers inline-only edits too.
    """

    def save_model(self, request: Any, obj: Model, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            ledger_bump()

    def delete_model(self, request: Any, obj: Model) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            ledger_bump()

    def delete_queryset(self, request: Any, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            ledger_bump()


@admin.register(OrganisationSettings)
class OrganisationSettingsAdmin(LedgerBumpingAdmin):
    list_display = ["name", "country", "subdivision", "time_zone", "quote_confidence"]


@admin.register(CompanyClosure)
class CompanyClosureAdmin(LedgerBumpingAdmin):
    list_display = ["name", "start_date", "end_date"]
    date_hierarchy = "start_date"


@admin.register(Ledger)
class LedgerAdmin(admin.ModelAdmin):
    list_display = ["version", "updated_at"]
    readonly_fields = ["version", "updated_at"]


@admin.register(PeriodicJobRun)
class PeriodicJobRunAdmin(admin.ModelAdmin):
    """What the scheduler enqueued, to look at only: a run row is the claim on its slot."""

    list_display = ["job", "slot", "task_result_id", "enqueued_at"]
    list_filter = ["job"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Model | None = None) -> bool:
        return False
