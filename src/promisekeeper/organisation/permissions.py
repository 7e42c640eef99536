"""Who may do what: membership of the sales, operations and admin groups."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User

SALES = "sales"
OPERATIONS = "operations"
ADMIN = "admin"
GROUPS = (SALES, OPERATIONS, ADMIN)

AnyUser = AbstractBaseUser | AnonymousUser


def _in_group(user: AnyUser, group: str) -> bool:
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool({group, ADMIN} & _group_names(user))


def _group_names(user: User) -> frozenset[str]:
    """The user's role groups, read once per user object.

    Django's auth middleware loads the user once per request, and a view and its template ask
    about roles several times, so one query per request answers them all.
    """
    cached: frozenset[str] | None = getattr(user, "_promisekeeper_groups", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=GROUPS).values_list("name", flat=True))
        user._promisekeeper_groups = cached  # type: ignore[attr-defined]
    return cached


def is_sales(user: AnyUser) -> bool:
    """Sales people quote and request promises; admins may too."""
    return _in_group(user, SALES)


def is_operations(user: AnyUser) -> bool:
    """Operations manages capacity, SOPs and delivery; admins may too."""
    return _in_group(user, OPERATIONS)


def can_quote(user: AnyUser) -> bool:
    """Who may ask "can we promise?": sales, and operations (acting on the answer is sales')."""
    return is_sales(user) or is_operations(user)


def is_admin(user: AnyUser) -> bool:
    """Admins configure the organisation."""
    return _in_group(user, ADMIN)
