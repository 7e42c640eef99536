from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "promisekeeper.api"
    default_auto_field = "django.db.models.BigAutoField"
