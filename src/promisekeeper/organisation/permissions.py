"""Who may do what: membership of the sales, operations and admin groups, and who may read
which part of the product (one table, ``READERS``, used by pages, exports, feeds and the API)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

SALES = "sales"
OPERATIONS = "operations"
ADMIN = "admin"
GROUPS = frozenset({SALES, OPERATIONS, ADMIN})

AnyUser = AbstractBaseUser | AnonymousUser
View = TypeVar("View", bound=Callable[..., HttpResponse])


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
        # All the user's group names, filtered here: half the cost of building the
        # related manager's IN query on every request.
        names = Group.objects.filter(user=user.pk).values_list("name", flat=True)
        cached = frozenset(names) & GROUPS
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


# Who may read what (docs/permissions.md is the same table in prose). Admins are in every
# role (``_in_group``), so they read everything.
class Area(StrEnum):
    """The parts of the product a reader is allowed into as a whole."""

    PLAN = "plan"  # dashboard, timeline, heatmap by role, at-risk list
    DEALS = "deals"  # deal list, deal pages, quotes, promise sheets, deal history
    PROJECTS = "projects"  # project list and pages, project calendar feeds
    CATALOG = "catalog"  # offerings and their SOPs
    PEOPLE = "people"  # people list, person pages, person calendars, per-person load


READERS: dict[Area, tuple[str, ...]] = {
    Area.PLAN: (SALES, OPERATIONS),
    Area.DEALS: (SALES, OPERATIONS),
    Area.PROJECTS: (SALES, OPERATIONS),
    Area.CATALOG: (SALES, OPERATIONS),
    Area.PEOPLE: (OPERATIONS,),
}

NO_ROLE = "Your account has no role here yet; ask an administrator for one."


def may_read(user: AnyUser, area: Area) -> bool:
    """Whether ``user`` may read ``area`` (pages, exports, feeds and API alike)."""
    return any(_in_group(user, group) for group in READERS[area])


def read_refusal(area: Area) -> str:
    """Why a user who may not read ``area`` is refused, in words for the 403 page."""
    roles = " and ".join(READERS[area])
    return f"Only {roles} can see this. {NO_ROLE}"


def is_self(user: AnyUser, person_user_id: int | None) -> bool:
    """Whether ``user`` is the person whose account is ``person_user_id``."""
    return bool(user.is_authenticated and person_user_id is not None and user.pk == person_user_id)


def may_read_person(user: AnyUser, person_user_id: int | None) -> bool:
    """A person's page and calendar: operations, and the person themselves."""
    return may_read(user, Area.PEOPLE) or is_self(user, person_user_id)


def may_see_time_off_reason(user: AnyUser, person_user_id: int | None) -> bool:
    """Why someone is away (sick, holiday): only operations and the person; others see "away"."""
    return is_operations(user) or is_self(user, person_user_id)


LOG_HOURS_REFUSAL = "Only the person themselves and operations can log these hours."


def may_log_hours(user: AnyUser, person_user_id: int | None) -> bool:
    """A person's timesheet (grid, import, API): the person themselves; operations for anyone."""
    return is_operations(user) or is_self(user, person_user_id)


CHECKIN_REFUSAL = "Only the check-in's owner and operations can mark it done."


def may_complete_checkin(user: AnyUser, owner_id: int | None) -> bool:
    """Marking a check-in done: its owner; operations for any."""
    return is_operations(user) or bool(
        user.is_authenticated and owner_id is not None and user.pk == owner_id
    )


def read_required(area: Area) -> Callable[[View], View]:
    """A view decorator: sign in first, then a 403 naming the readers when not one of them."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not may_read(request.user, area):
                raise PermissionDenied(read_refusal(area))
            return view(request, *args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorate
