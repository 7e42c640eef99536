"""Who may ask and who may act: the checks every promising service makes first."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import PermissionDenied

from promisekeeper.organisation.permissions import (
    can_quote,
    is_admin,
    is_sales,
)
from promisekeeper.sales.models import (
    Deal,
)

User = AuthUser | AnonymousUser


def require_seller(user: User, deal: Deal | None) -> None:
    """Sales may act on their own deals (and unowned ones); admins on any."""
    if not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    if not is_sales(user):
        raise PermissionDenied("Only the sales team can do this.")
    if deal is not None and deal.owner_id not in (None, user.pk) and not is_admin(user):
        raise PermissionDenied("This deal belongs to another salesperson.")


def require_quoter(user: User) -> None:
    if not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    if not can_quote(user):
        raise PermissionDenied("Only sales and operations can ask for a quote.")
