from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_groups_after_last_app(sender: AppConfig, **kwargs: Any) -> None:
    # post_migrate fires once per app in INSTALLED_APPS order; only after the last one do the
    # permissions of every app exist, so only then can the groups be given theirs.
    if sender is not list(apps.get_app_configs())[-1]:
        return
    from promisekeeper.organisation.services import group_permissions_sync

    group_permissions_sync()


class OrganisationConfig(AppConfig):
    name = "promisekeeper.organisation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_sync_groups_after_last_app, dispatch_uid="promisekeeper-groups")
