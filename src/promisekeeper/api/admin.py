from django.contrib import admin

from promisekeeper.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "created", "last_used"]
    readonly_fields = ["key_hash", "created", "last_used"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        # Keys are created with `promisekeeper api_token <user>` so the plain key is shown once.
        return False
