"""Who may do what, checked in the services (the web, the API and the CLI all go through them)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.exceptions import exception_decide, exception_request
from promisekeeper.promising.holds import hold_place
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.quote import quote_check
from promisekeeper.sales.models import AuditEvent, ExceptionRequest, Hold, Promise
from tests.sales.conftest import deal_for, nth_working_day

pytestmark = pytest.mark.django_db


def _lines(shop):
    return [QuoteLine(quantity=1, offering_id=shop.offering.pk)]


def _commit(user, deal, shop, date=None):
    date = date or nth_working_day(5)
    return promise_commit(
        user=user,
        deal=deal,
        lines=_lines(shop),
        promised_date=date,
        idempotency_key=f"perm-{deal.pk}-{user.pk}",
        request_fingerprint=commit_fingerprint(
            deal_id=deal.pk, lines=_lines(shop), promised_date=date
        ),
    )


def _written() -> tuple[int, int, int, int]:
    return (
        Promise.objects.count(),
        Hold.objects.count(),
        ExceptionRequest.objects.count(),
        AuditEvent.objects.count(),
    )


def test_anonymous_can_do_nothing(shop, sales_rep, anonymous):
    deal = deal_for(shop, sales_rep)
    before = _written()
    for attempt in (
        lambda: quote_check(
            user=anonymous, customer=None, deal=None, lines=_lines(shop), wanted_date=None
        ),
        lambda: hold_place(user=anonymous, deal=deal),
        lambda: _commit(anonymous, deal, shop),
        lambda: exception_request(user=anonymous, deal=deal, requested_date=nth_working_day(3)),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert _written() == before


def test_sales_rep_quotes_holds_and_commits_their_own_deal(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    hold_place(user=sales_rep, deal=deal)
    assert _commit(sales_rep, deal, shop).status == "committed"


def test_another_rep_may_quote_but_not_hold_commit_or_request_on_someone_elses_deal(
    shop, sales_rep, other_rep
):
    deal = deal_for(shop, sales_rep)
    quote_check(user=other_rep, customer=None, deal=deal, lines=_lines(shop), wanted_date=None)
    before = _written()
    with pytest.raises(PermissionDenied, match="another salesperson"):
        hold_place(user=other_rep, deal=deal)
    with pytest.raises(PermissionDenied, match="another salesperson"):
        _commit(other_rep, deal, shop)
    with pytest.raises(PermissionDenied, match="another salesperson"):
        exception_request(user=other_rep, deal=deal, requested_date=nth_working_day(3))
    assert _written() == before


def test_operations_quotes_but_does_not_commit(shop, sales_rep, ops_manager):
    deal = deal_for(shop, sales_rep)
    quote_check(user=ops_manager, customer=None, deal=deal, lines=_lines(shop), wanted_date=None)
    with pytest.raises(PermissionDenied, match="sales team"):
        _commit(ops_manager, deal, shop)


def test_salesperson_cannot_commit_an_earlier_date_than_feasible(shop, sales_rep):
    result = _commit(sales_rep, deal_for(shop, sales_rep), shop, nth_working_day(2))
    assert result.status == "taken" and Promise.objects.count() == 0


def test_sales_cannot_decide_exceptions(shop, sales_rep, other_rep):
    request = exception_request(
        user=sales_rep, deal=deal_for(shop, sales_rep), requested_date=nth_working_day(3)
    )
    for user in (sales_rep, other_rep):
        with pytest.raises(PermissionDenied, match="Only operations"):
            exception_decide(user=user, request=request, decision="approve", comment="")
    request.refresh_from_db()
    assert request.status == ExceptionRequest.Status.PENDING


def test_nobody_decides_their_own_request(shop, superuser):
    deal = deal_for(shop, superuser)
    request = exception_request(user=superuser, deal=deal, requested_date=nth_working_day(3))
    with pytest.raises(PermissionDenied, match="own"):
        exception_decide(user=superuser, request=request, decision="approve", comment="")


def test_operations_decides_a_sales_request(shop, sales_rep, ops_manager):
    request = exception_request(
        user=sales_rep, deal=deal_for(shop, sales_rep), requested_date=nth_working_day(3)
    )
    decided = exception_decide(user=ops_manager, request=request, decision="decline", comment="no")
    assert decided.decided_by == ops_manager
