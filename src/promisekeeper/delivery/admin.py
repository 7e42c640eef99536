from django.contrib import admin

from promisekeeper.delivery.models import (
    CheckIn,
    Project,
    ProjectAssignment,
    ProjectForecast,
    ProjectPhase,
    ThankYouNote,
    TimesheetEntry,
    TimesheetImport,
)
from promisekeeper.organisation.admin import ActorIsTheUser, ReadOnlyAdmin


class ProjectPhaseInline(admin.TabularInline):
    model = ProjectPhase
    extra = 0
    fields = ["order", "key", "name", "kind", "role", "effort_estimated_hours", "progress"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "customer", "status", "release_date", "promised_date", "delivered_date"]
    list_filter = ["status", "sop_version__offering"]
    search_fields = ["name", "customer__name"]
    raw_id_fields = ["deal", "customer", "sales_owner"]
    inlines = [ProjectPhaseInline]


@admin.register(ProjectPhase)
class ProjectPhaseAdmin(admin.ModelAdmin):
    list_display = ["project", "key", "kind", "role", "effort_estimated_hours", "progress"]
    list_filter = ["kind", "role"]
    raw_id_fields = ["project", "sop_phase"]
    # The sum of the phase's timesheet entries, kept by delivery.timesheets; the state is
    # set on the project's phases page, which gives back a done phase's reserved hours.
    readonly_fields = ["effort_actual_hours", "state"]


@admin.register(ProjectForecast)
class ProjectForecastAdmin(ReadOnlyAdmin):
    """Each promise's last forecast and state, written by the risk check."""

    list_display = ["project", "state", "finish_date", "promised_date", "changed_at"]
    list_filter = ["state"]
    search_fields = ["project__name"]


@admin.register(ProjectAssignment)
class ProjectAssignmentAdmin(admin.ModelAdmin):
    list_display = ["project", "person", "role"]
    raw_id_fields = ["project", "person"]


@admin.register(ThankYouNote)
class ThankYouNoteAdmin(ActorIsTheUser):
    actor_field = "author"

    list_display = ["project", "author", "created_at"]
    raw_id_fields = ["project"]


@admin.register(TimesheetEntry)
class TimesheetEntryAdmin(ReadOnlyAdmin):
    """Logged hours, written by the timesheet grid, import and API (which keep each phase's
    actual hours equal to the sum of its entries)."""

    list_display = ["day", "person", "phase", "minutes", "entered_by"]
    list_filter = ["day"]
    search_fields = ["person__name", "phase__project__name"]


@admin.register(TimesheetImport)
class TimesheetImportAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "uploaded_by", "uploaded_at", "applied_at"]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    """Check-ins, scheduled from each project's cadence and marked done on the check-ins page."""

    list_display = ["due_date", "kind", "project", "owner", "done_at"]
    list_filter = ["kind", "due_date"]
    search_fields = ["project__name"]
