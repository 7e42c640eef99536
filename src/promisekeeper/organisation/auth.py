"""Loading the signed-in user together with the role groups every page asks about."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef

from promisekeeper.organisation.permissions import GROUPS, remember_group_names


class RoleAwareBackend(ModelBackend):
    """Django's model backend, but a session's user arrives with its role groups.

    Every request checks whether the user is in sales, operations or admin; reading that
    in the same query as the user saves a database round trip per request.
    """

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        through = User.groups.through
        member_of = {
            f"in_{name}": Exists(through.objects.filter(user_id=OuterRef("pk"), group__name=name))
            for name in GROUPS
        }
        user = User._default_manager.annotate(**member_of).filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_group_names(user, [name for name in GROUPS if getattr(user, f"in_{name}")])
        return user
