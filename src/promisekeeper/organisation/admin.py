from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from promisekeeper.organisation.models import (
    CompanyClosure,
    Ledger,
    OrganisationSettings,
    PeriodicJobRun,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the services write (promises, reservations, loads, the audit trail): anyone
    in the admin may look at them; nobody adds, changes or deletes one by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ActorIsTheUser(admin.ModelAdmin):
    """A row that names who made it (``actor_field``): the signed-in user, never a choice."""

    actor_field = "created_by"

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return [*super().get_readonly_fields(request, obj), self.actor_field]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            setattr(obj, self.actor_field, request.user)
        super().save_model(request, obj, form, change)


@admin.register(OrganisationSettings)
class OrganisationSettingsAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "subdivision", "time_zone", "quote_confidence"]


@admin.register(CompanyClosure)
class CompanyClosureAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date", "end_date"]
    date_hierarchy = "start_date"


@admin.register(Ledger)
class LedgerAdmin(ReadOnlyAdmin):
    """The capacity version, moved only by the database triggers."""

    list_display = ["version", "updated_at"]


@admin.register(PeriodicJobRun)
class PeriodicJobRunAdmin(ReadOnlyAdmin):
    """What the scheduler enqueued, to look at only: a run row is the claim on its slot."""

    list_display = ["job", "slot", "task_result_id", "enqueued_at"]
    list_filter = ["job"]
