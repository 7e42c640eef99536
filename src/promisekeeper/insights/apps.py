from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "promisekeeper.insights"
    default_auto_field = "django.db.models.BigAutoField"
