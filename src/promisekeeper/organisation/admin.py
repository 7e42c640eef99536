from typing import Any

from django.contrib import admin
from django.db.models import Model

from promisekeeper.organisation.models import (
    CompanyClosure,
    Ledger,
    OrganisationSettings,
    PeriodicJobRun,
)


@admin.register(OrganisationSettings)
class OrganisationSettingsAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "subdivision", "time_zone", "quote_confidence"]


@admin.register(CompanyClosure)
class CompanyClosureAdmin(admin.ModelAdmin):
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
