from django.apps import AppConfig


class PromisingConfig(AppConfig):
    """Quotes, commits, holds, exceptions and re-dates: the part of Promisekeeper that
    decides, with the engine, what may be promised, and books it."""

    name = "promisekeeper.promising"
    default_auto_field = "django.db.models.BigAutoField"
