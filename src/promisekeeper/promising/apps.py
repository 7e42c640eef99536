from django.apps import AppConfig


class PromisingConfig(AppConfig):
    """Quotes, commits, holds, exceptions and re-dates: the part of Promisekeeper that
    decides, with the engine, what may be promised, and books it."""

    name = "promisekeeper.promising"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Delivery sits below promising and cannot touch reservations itself: each timesheet
        # save calls this inside its transaction, so the hours and what they consume commit
        # together.
        from promisekeeper.delivery.timesheets import phases_logged_handle
        from promisekeeper.promising.logged_hours import logged_hours_consume

        phases_logged_handle(logged_hours_consume)
