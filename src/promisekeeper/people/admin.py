from django.contrib import admin

from promisekeeper.people.models import Person, Role, Skill, Team, TimeOff


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class SkillInline(admin.TabularInline):
    model = Skill
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "team", "delivery_share", "start_date", "end_date"]
    list_filter = ["team"]
    search_fields = ["name", "email"]
    inlines = [SkillInline]
    raw_id_fields = ["user"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["person", "role", "efficiency"]
    list_filter = ["role"]
    raw_id_fields = ["person"]


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["person", "kind", "status", "start_date", "end_date", "hours_per_day"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["person"]
