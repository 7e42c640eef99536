from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "promisekeeper.organisation"
    default_auto_field = "django.db.models.BigAutoField"
