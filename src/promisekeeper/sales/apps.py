from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "promisekeeper.sales"
    default_auto_field = "django.db.models.BigAutoField"
