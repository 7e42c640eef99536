from django.contrib import admin

from promisekeeper.delivery.models import Project, ProjectAssignment, ProjectPhase, ThankYouNote
from promisekeeper.organisation.admin import ActorIsTheUser


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


@admin.register(ProjectAssignment)
class ProjectAssignmentAdmin(admin.ModelAdmin):
    list_display = ["project", "person", "role"]
    raw_id_fields = ["project", "person"]


@admin.register(ThankYouNote)
class ThankYouNoteAdmin(ActorIsTheUser):
    actor_field = "author"

    list_display = ["project", "author", "created_at"]
    raw_id_fields = ["project"]
