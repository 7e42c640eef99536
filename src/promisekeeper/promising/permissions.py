"""One rule per promising action, used alike by the services, the pages and the API.

Each ``may_*`` function is pure: it reads the user's roles and the object's owner and returns
a ``Decision`` that is truthy when allowed and carries the human reason when refused. Services
call ``.require()`` (PermissionDenied with that reason); pages and the API ask the same rule
to answer 403 with the same words, and templates show only the buttons the rules allow.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import PermissionDenied

from promisekeeper.organisation.permissions import is_admin, is_operations, is_sales
from promisekeeper.sales.models import Deal, ExceptionRequest, Promise, RedateRequest

User = AuthUser | AnonymousUser

SIGN_IN = "Sign in first."
SALES_ONLY = "Only the sales team can do this."
OTHER_SELLER = "This deal belongs to another salesperson."


@dataclass(frozen=True)
class Decision:
    """Allowed, or refused with the reason to show the user."""

    refusal: str | None = None

    def __bool__(self) -> bool:
        return self.refusal is None

    def require(self) -> None:
        """Raise PermissionDenied with the refusal's reason; nothing when allowed."""
        if self.refusal is not None:
            raise PermissionDenied(self.refusal)


ALLOWED = Decision()


def _refuse(user: User, reason: str) -> Decision:
    return Decision(reason if user.is_authenticated else SIGN_IN)


def _sales_or_operations(user: User, reason: str) -> Decision:
    if is_sales(user) or is_operations(user):
        return ALLOWED
    return _refuse(user, reason)


def _seller(user: User, deal: Deal | None) -> Decision:
    """Sales act on their own deals and unowned ones; admins on any."""
    if not is_sales(user):
        return _refuse(user, SALES_ONLY)
    if deal is not None and deal.owner_id not in (None, user.pk) and not is_admin(user):
        return Decision(OTHER_SELLER)
    return ALLOWED


def may_quote(user: User) -> Decision:
    """Asking "can we promise?" writes nothing: sales and operations."""
    return _sales_or_operations(user, "Only sales and operations can ask for a quote.")


def may_save_quote(user: User, deal: Deal | None) -> Decision:
    """Putting quoted lines on a deal (or drafting one for a customer): the deal's seller."""
    return _seller(user, deal)


def may_hold(user: User, deal: Deal) -> Decision:
    """Keeping capacity for a deal: the deal's seller."""
    return _seller(user, deal)


def may_commit(user: User, deal: Deal) -> Decision:
    """Promising a date for a deal: the deal's seller (who owns an unowned deal by it)."""
    return _seller(user, deal)


def may_request_exception(user: User, deal: Deal) -> Decision:
    """Asking operations for a date the engine would not promise: the deal's seller."""
    return _seller(user, deal)


def _owner_or_operations(user: User, deal: Deal, reason: str) -> Decision:
    """A promise is changed by the deal's owner, or by operations (admins are both). A promise
    always has an owner (its committer, if the deal had none), so no other seller may."""
    if is_operations(user) or (is_sales(user) and deal.owner_id == user.pk):
        return ALLOWED
    return _refuse(user, reason)


def may_redate(user: User, deal: Deal) -> Decision:
    """Changing a promised deal's date: the deal's owner, or operations."""
    return _owner_or_operations(
        user, deal, "Only the deal's salesperson or operations can change a promised date."
    )


def may_cancel(user: User, deal: Deal) -> Decision:
    """Cancelling a promise: the deal's owner, or operations."""
    return _owner_or_operations(
        user, deal, "Only the deal's salesperson or operations can cancel a promise."
    )


def may_decide_redate(user: User, request: RedateRequest | None = None) -> Decision:
    """Approving or declining a new date we caused, or one beyond capacity: operations, but
    nobody decides their own request."""
    if not is_operations(user):
        return _refuse(user, "Only operations approves a new date we caused.")
    if request is not None and request.requested_by_id == user.pk:
        return Decision("Nobody decides their own request for a new date.")
    return ALLOWED


def may_view_inbox(user: User) -> Decision:
    """The exception inbox is operations' work list."""
    if is_operations(user):
        return ALLOWED
    return _refuse(user, "Only operations decides exception requests.")


def may_decide_exception(user: User, request: ExceptionRequest) -> Decision:
    """Operations decides, but nobody decides their own request."""
    if not is_operations(user):
        return _refuse(user, "Only operations decides exception requests.")
    if request.requested_by_id == user.pk:
        return Decision("Nobody decides their own exception request.")
    return ALLOWED


def may_view_deal(user: User, deal: Deal) -> Decision:
    """A deal's page and history: sales and operations."""
    return _sales_or_operations(user, "Only sales and operations can see deals.")


def may_view_promise(user: User, promise: Promise) -> Decision:
    """A promise sheet: sales and operations."""
    return _sales_or_operations(user, "Only sales and operations can see promise sheets.")


REPORT_PHASES = "Only operations and the people on the project can report its phases."


def may_report_phases(user: User, *, on_project: bool) -> Decision:
    """Setting a project's phase states, dates and hours left: operations, and the people
    on the project (``on_project``: assigned to it, or with hours logged on it)."""
    if is_operations(user) or (user.is_authenticated and on_project):
        return ALLOWED
    return _refuse(user, REPORT_PHASES)
