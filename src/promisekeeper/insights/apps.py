from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "promisekeeper.insights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Delivery sits below insights and cannot call the risk check itself: it tells its
        # subscribers once logged hours are committed, and this one enqueues the re-check.
        from promisekeeper.delivery.timesheets import hours_logged_subscribe
        from promisekeeper.insights.tasks import risk_recheck_enqueue

        hours_logged_subscribe(risk_recheck_enqueue)
