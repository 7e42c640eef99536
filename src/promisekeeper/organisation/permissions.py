"""Who may do what: membership of the sales, operations and admin groups."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

SALES = "sales"
OPERATIONS = "operations"
ADMIN = "admin"
GROUPS = (SALES, OPERATIONS, ADMIN)


def _in_group(user: User | AnonymousUser, group: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=[group, ADMIN]).exists()


def is_sales(user: User | AnonymousUser) -> bool:
    """Sales people quote and request promises; admins may too."""
    return _in_group(user, SALES)


def is_operations(user: User | AnonymousUser) -> bool:
    """Operations manages capacity, SOPs and delivery; admins may too."""
    return _in_group(user, OPERATIONS)


def is_admin(user: User | AnonymousUser) -> bool:
    """Admins configure the organisation."""
    return _in_group(user, ADMIN)
