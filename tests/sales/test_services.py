"""Can we promise? Quotes, holds, commits and exceptions through the services, asserting the DB."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from promisekeeper.catalog.models import IncomingSupply, StockReservation
from promisekeeper.delivery.models import Project
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.promising.cache import (
    plan_cache_clear,
    plan_cache_stats,
    portfolio_snapshot,
    snapshot_cache_put,
)
from promisekeeper.promising.changes import promise_cancel, promise_reschedule
from promisekeeper.promising.commit import commit_prepare, commit_prepared, promise_commit
from promisekeeper.promising.errors import IdempotencyConflict, QuoteInputError
from promisekeeper.promising.exceptions import exception_decide, exception_request
from promisekeeper.promising.holds import hold_place, holds_expire, holds_warn_expiring
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.integrity import person_day_overcommitted
from promisekeeper.promising.journal import snapshot_catch_up
from promisekeeper.promising.lines import QuoteLine, resolve_lines
from promisekeeper.promising.quote import quote_check, quote_compute
from promisekeeper.promising.snapshot import snapshot_build
from promisekeeper.promising.stock import product_atp
from promisekeeper.sales.models import (
    AuditEvent,
    CapacityReservation,
    Deal,
    ExceptionRequest,
    Hold,
    Notification,
    PersonDayLoad,
    ProductAvailability,
    Promise,
    ReservationChange,
)
from tests.factories import TimeOffFactory
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import deal_for, nth_working_day

pytestmark = pytest.mark.django_db


def one_site(shop, quantity: int = 1) -> list[QuoteLine]:
    return [QuoteLine(quantity=quantity, offering_id=shop.offering.pk)]


def commit(user, deal, lines, date, key="key-1", exception=None):
    return promise_commit(
        user=user,
        deal=deal,
        lines=lines,
        promised_date=date,
        idempotency_key=key,
        request_fingerprint=commit_fingerprint(
            deal_id=deal.pk,
            lines=lines,
            promised_date=date,
            exception_id=exception.pk if exception else None,
        ),
        exception=exception,
    )


def counts() -> tuple[int, ...]:
    return (
        Promise.objects.count(),
        Project.objects.count(),
        CapacityReservation.objects.count(),
        AuditEvent.objects.count(),
        Hold.objects.count(),
        ExceptionRequest.objects.count(),
        ledger_version_get(),
    )


# --- quote ---------------------------------------------------------------------------------


def test_quote_says_yes_on_the_engine_date_and_no_the_working_day_before(shop, sales_rep):
    fifth = nth_working_day(5)
    yes = quote_check(
        user=sales_rep, customer=None, deal=None, lines=one_site(shop), wanted_date=fifth
    )
    assert yes.can_promise is True
    assert yes.promise_date == yes.earliest_date == yes.p80_date == fifth
    assert yes.confidence == "P80"
    assert yes.bottleneck is not None and yes.bottleneck.role == "developer"
    assert yes.options == ()
    no = quote_check(
        user=sales_rep,
        customer=None,
        deal=None,
        lines=one_site(shop),
        wanted_date=nth_working_day(4),
    )
    assert no.can_promise is False
    assert [o.kind for o in no.options] == ["smaller_scope", "overtime", "hire", "reshuffle"]


def test_quote_effort_scales_with_quantity(shop, sales_rep):
    answer = quote_check(
        user=sales_rep, customer=None, deal=None, lines=one_site(shop, 2), wanted_date=None
    )
    assert answer.promise_date == nth_working_day(10)
    assert answer.can_promise is None


def test_quote_of_a_stocked_product_uses_available_to_promise(shop, sales_rep):
    lines = [QuoteLine(quantity=4, product_id=shop.product.pk)]
    answer = quote_check(
        user=sales_rep, customer=None, deal=None, lines=lines, wanted_date=nth_working_day(2)
    )
    assert answer.can_promise is True
    (stock,) = answer.stock
    assert (stock.sku, stock.available_on_wanted_date, stock.earliest_date) == (
        "KIT-1",
        10,
        timezone.localdate(),
    )
    too_many = [QuoteLine(quantity=11, product_id=shop.product.pk)]
    answer = quote_check(
        user=sales_rep, customer=None, deal=None, lines=too_many, wanted_date=nth_working_day(2)
    )
    assert answer.can_promise is False and answer.promise_date is None


def test_quote_is_reproducible_at_one_ledger_version(shop, sales_rep):
    ask = dict(user=sales_rep, customer=None, deal=None, lines=one_site(shop), wanted_date=None)
    first, second = quote_check(**ask), quote_check(**ask)
    assert first == second and first.seed == ledger_version_get()


def test_a_commit_right_after_its_quote_reuses_the_engine_answer(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    quote_check(
        user=sales_rep,
        customer=None,
        deal=deal,
        lines=one_site(shop),
        wanted_date=nth_working_day(5),
    )
    before = plan_cache_stats()
    assert commit(sales_rep, deal, one_site(shop), nth_working_day(5)).status == "committed"
    assert plan_cache_stats().engine_runs == before.engine_runs  # no second engine run
    other = deal_for(shop, sales_rep, name="second")
    assert commit(sales_rep, other, one_site(shop), nth_working_day(10), key="k2").status == (
        "committed"
    )
    assert plan_cache_stats().engine_runs == before.engine_runs + 1  # nothing cached for it


def test_a_commit_quote_leaves_out_the_load_chart_a_quote_page_shows(shop, sales_rep):
    # Someone else's promise on the developer's first days makes the developer the bottleneck.
    commit(sales_rep, deal_for(shop, sales_rep, name="rival"), one_site(shop), nth_working_day(5))
    deal = deal_for(shop, sales_rep)
    ask = dict(
        snapshot=portfolio_snapshot(),
        deal=deal,
        lines=resolve_lines(one_site(shop)),
        wanted_date=nth_working_day(10),
    )
    before = plan_cache_stats()
    as_committed = quote_compute(**ask, with_options=False).answer
    middle = plan_cache_stats()
    on_the_page = quote_compute(**ask).answer
    after = plan_cache_stats()
    assert as_committed.bottleneck is not None and as_committed.load == ()
    assert on_the_page.bottleneck == as_committed.bottleneck and on_the_page.load
    assert (middle.engine_runs - before.engine_runs, middle.load_charts) == (1, before.load_charts)
    assert (after.engine_runs - middle.engine_runs, after.load_charts - middle.load_charts) == (
        1,
        1,
    )
    # Asked again, each is served from the cache.
    assert quote_compute(**ask, with_options=False).answer == as_committed
    assert quote_compute(**ask).answer == on_the_page
    again = plan_cache_stats()
    assert (again.engine_runs, again.load_charts) == (after.engine_runs, after.load_charts)
    assert again.answer_hits == after.answer_hits + 2


def test_asking_other_dates_for_the_same_lines_runs_the_engine_once(shop, sales_rep):
    before = plan_cache_stats()

    def ask(day):
        return quote_check(
            user=sales_rep,
            customer=None,
            deal=None,
            lines=one_site(shop),
            wanted_date=nth_working_day(day),
        )

    early, late = ask(1), ask(40)
    assert plan_cache_stats().engine_runs == before.engine_runs + 1
    assert (early.can_promise, late.can_promise) == (False, True)
    assert early.options and not late.options
    assert (early.p80_date, early.bottleneck) == (late.p80_date, late.bottleneck)
    # Once the plan moves, the same lines are worked out again.
    commit(sales_rep, deal_for(shop, sales_rep), one_site(shop), nth_working_day(40))
    ask(40)
    assert plan_cache_stats().engine_runs == before.engine_runs + 3  # the commit and the new quote


def test_quote_evidence_summarises_delivered_projects_of_the_offering(shop, sales_rep):
    today = timezone.localdate()
    release = today - datetime.timedelta(days=100)
    for days, slack in ((10, 0), (20, 3), (30, -5)):
        delivered = release + datetime.timedelta(days=days)
        Project.objects.create(
            name=f"old {days}",
            customer=shop.customer,
            sop_version=shop.sop,
            release_date=release,
            promised_date=delivered + datetime.timedelta(days=slack),
            delivered_date=delivered,
            status=Project.Status.DELIVERED,
        )
    answer = quote_check(
        user=sales_rep, customer=None, deal=None, lines=one_site(shop), wanted_date=None
    )
    (evidence,) = answer.evidence
    assert (evidence.delivered, evidence.median_days, evidence.p80_days) == (3, 20.0, 30.0)
    assert evidence.on_time_share == pytest.approx(2 / 3, abs=1e-3)


@pytest.mark.parametrize(
    ("lines", "wanted", "field"),
    [
        ([QuoteLine(quantity=1, offering_id=999_999)], None, "lines[0].offering_id"),
        ([QuoteLine(quantity=1, product_id=999_999)], None, "lines[0].product_id"),
        ("zero", None, "lines[0].quantity"),
        ("negative", None, "lines[0].quantity"),
        ([], None, "lines"),
        ("site", -1, "wanted_date"),
    ],
)
def test_bad_quote_input_names_the_field_and_changes_nothing(shop, sales_rep, lines, wanted, field):
    if lines == "zero":
        lines = one_site(shop, 0)
    elif lines == "negative":
        lines = one_site(shop, -2)
    elif lines == "site":
        lines = one_site(shop)
    when = None if wanted is None else timezone.localdate() + datetime.timedelta(days=wanted)
    before = counts()
    with pytest.raises(QuoteInputError) as error:
        quote_check(user=sales_rep, customer=None, deal=None, lines=lines, wanted_date=when)
    assert error.value.field == field
    assert counts() == before


# --- commit ---------------------------------------------------------------------------------


def test_commit_writes_promise_project_reservations_and_one_audit_event(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    version = ledger_version_get()
    result = commit(sales_rep, deal, one_site(shop), nth_working_day(5))
    assert result.status == "committed"
    promise = result.promise
    assert promise.promised_date == nth_working_day(5) and promise.confidence == "P80"
    project = Project.objects.get(deal=deal)
    assert project.status == Project.Status.COMMITTED
    assert list(project.phases.values_list("key", flat=True)) == ["build"]
    assert sum(r.minutes for r in CapacityReservation.objects.filter(project=project)) == 40 * 60
    assert PersonDayLoad.objects.filter(reserved_minutes=8 * 60).count() == 5
    deal.refresh_from_db()
    assert deal.stage == Deal.Stage.WON
    assert list(
        AuditEvent.objects.filter(action="promise.committed").values_list("deal", flat=True)
    ) == [deal.pk]
    # Its writes bumped the ledger from the locked version; one journal row covers them all.
    change = ReservationChange.objects.get(deal=deal)
    assert (change.first_version, change.version) == (version + 1, ledger_version_get())


def test_long_bookings_are_written_in_statements_the_database_accepts(shop, sales_rep):

    from promisekeeper.promising.sql import person_day_load_add, rows_insert

    promise = commit(sales_rep, deal_for(shop, sales_rep), one_site(shop), nth_working_day(5))
    project = Project.objects.get()
    booked = CapacityReservation.objects.count()
    start = timezone.localdate() + datetime.timedelta(days=200)  # after the promise's days
    days = [start + datetime.timedelta(days=k) for k in range(300)]  # SQLite: 999 parameters
    loads = [(shop.person.pk, day, 8 * 60, 60, 0, 0) for day in days]
    person_day_load_add(loads)
    person_day_load_add(loads)
    later = PersonDayLoad.objects.filter(day__gte=start)
    assert later.count() == 300
    assert set(later.values_list("reserved_minutes", flat=True)) == {120}
    rows = [(promise.promise.pk, project.pk, "extra", shop.person.pk, day, 60, 0) for day in days]
    columns = (
        "promise_id",
        "project_id",
        "phase_key",
        "person_id",
        "day",
        "minutes",
        "overtime_minutes",
    )
    rows_insert(CapacityReservation, columns, rows)
    assert CapacityReservation.objects.filter(phase_key="extra").count() == 300
    assert CapacityReservation.objects.count() == booked + 300


def test_committed_work_pushes_the_next_quote_later(shop, sales_rep):
    commit(sales_rep, deal_for(shop, sales_rep), one_site(shop), nth_working_day(5))
    answer = quote_check(
        user=sales_rep, customer=None, deal=None, lines=one_site(shop), wanted_date=None
    )
    assert answer.promise_date == nth_working_day(10)


def test_commit_earlier_than_feasible_is_taken_and_writes_nothing(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    before = counts()
    result = commit(sales_rep, deal, one_site(shop), nth_working_day(4))
    assert (result.status, result.promise, result.earliest_date) == (
        "taken",
        None,
        nth_working_day(5),
    )
    assert counts() == before


def _commit_whose_quote_ages(shop, sales_rep, rival_lines=None, day=10):
    """Prepare a commit (its quote computed now), then let another deal commit before it
    takes the lock (by default on the developer's days 1-5). Returns the prepared commit."""
    deal = deal_for(shop, sales_rep)
    prepared = commit_prepare(
        user=sales_rep,
        deal=deal,
        lines=one_site(shop),
        promised_date=nth_working_day(day),
        idempotency_key="aged",
        request_fingerprint=commit_fingerprint(
            deal_id=deal.pk, lines=one_site(shop), promised_date=nth_working_day(day)
        ),
    )
    rival = deal_for(shop, sales_rep, name="rival")
    lines = rival_lines or one_site(shop)
    assert commit(sales_rep, rival, lines, nth_working_day(5), key="rival").status == "committed"
    return prepared


def test_a_commit_whose_quote_aged_places_its_work_again_under_the_lock(shop, sales_rep):
    prepared = _commit_whose_quote_ages(shop, sales_rep)
    before = plan_cache_stats()
    result = commit_prepared(prepared)
    after = plan_cache_stats()
    assert result.status == "committed"
    days = sorted(
        CapacityReservation.objects.filter(promise=result.promise).values_list("day", flat=True)
    )
    assert days == [nth_working_day(n) for n in range(6, 11)]  # after the rival's days 1-5
    assert person_day_overcommitted() == []
    # The exact placement was redone under the lock; no Monte Carlo ran there, and no load
    # chart was drawn (it is not part of a promise's record).
    assert after.rechecks_replaced == before.rechecks_replaced + 1
    assert (after.engine_runs, after.load_charts) == (before.engine_runs, before.load_charts)
    assert result.promise.p80_date == nth_working_day(10)
    locked = ReservationChange.objects.get(deal=result.promise.deal).first_version - 1
    assert result.promise.evidence["ledger_version"] == locked


def test_a_commit_whose_hours_are_still_free_books_the_quote_as_it_was(shop, sales_rep):
    # The rival only takes stock: the ledger moves, the developer's hours stay free.
    rival_lines = [QuoteLine(quantity=1, product_id=shop.product.pk)]
    prepared = _commit_whose_quote_ages(shop, sales_rep, rival_lines)
    before = plan_cache_stats()
    result = commit_prepared(prepared)
    after = plan_cache_stats()
    assert result.status == "committed"
    days = sorted(
        CapacityReservation.objects.filter(promise=result.promise).values_list("day", flat=True)
    )
    assert days == [nth_working_day(n) for n in range(1, 6)]
    # The lock checked the quoted hours and placed nothing again; no Monte Carlo under it.
    assert after.rechecks_kept == before.rechecks_kept + 1
    assert after.rechecks_replaced == before.rechecks_replaced
    assert after.engine_runs == before.engine_runs
    assert result.promise.p80_date == nth_working_day(5)
    locked = ReservationChange.objects.get(deal=result.promise.deal).first_version - 1
    assert result.promise.evidence["ledger_version"] == locked  # checked there


def test_a_commit_whose_date_was_taken_while_it_waited_is_refused_with_the_new_date(
    shop, sales_rep
):
    prepared = _commit_whose_quote_ages(shop, sales_rep, day=5)
    deal = prepared.deal
    result = commit_prepared(prepared)
    assert (result.status, result.promise, result.earliest_date) == (
        "taken",
        None,
        nth_working_day(10),
    )
    assert not Promise.objects.filter(deal=deal).exists()
    assert person_day_overcommitted() == []


def test_same_key_same_body_replays_the_one_promise(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    first = commit(sales_rep, deal, one_site(shop), nth_working_day(5))
    again = commit(sales_rep, deal, one_site(shop), nth_working_day(5))
    assert (first.status, again.status) == ("committed", "replayed")
    assert again.promise == first.promise
    assert Promise.objects.count() == 1


def test_same_key_different_body_is_a_conflict(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    commit(sales_rep, deal, one_site(shop), nth_working_day(5))
    with pytest.raises(IdempotencyConflict):
        commit(sales_rep, deal, one_site(shop), nth_working_day(9))
    assert Promise.objects.count() == 1


def test_a_deal_is_promised_only_once(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    commit(sales_rep, deal, one_site(shop), nth_working_day(5))
    with pytest.raises(QuoteInputError) as error:
        commit(sales_rep, deal, one_site(shop), nth_working_day(12), key="key-2")
    assert error.value.field == "deal"


def test_backstop_rejects_reserving_more_than_capacity_even_without_the_service(shop, sales_rep):
    commit(sales_rep, deal_for(shop, sales_rep), one_site(shop), nth_working_day(5))
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonDayLoad.objects.filter(day=nth_working_day(1)).update(
            reserved_minutes=F("reserved_minutes") + 1
        )


def test_missing_idempotency_key_is_named(shop, sales_rep):
    with pytest.raises(QuoteInputError) as error:
        commit(sales_rep, deal_for(shop, sales_rep), one_site(shop), nth_working_day(5), key="")
    assert error.value.field == "idempotency_key"


# --- holds ----------------------------------------------------------------------------------


def test_hold_keeps_capacity_from_other_quotes_until_it_expires(shop, sales_rep):
    held = deal_for(shop, sales_rep, name="held")
    hold = hold_place(user=sales_rep, deal=held, days=3)
    held.refresh_from_db()
    assert held.stage == Deal.Stage.HELD
    assert AuditEvent.objects.filter(action="hold.placed", deal=held).count() == 1
    ask = dict(user=sales_rep, customer=None, deal=None, lines=one_site(shop), wanted_date=None)
    assert quote_check(**ask).promise_date == nth_working_day(10)
    # Its own quote does not compete with its own hold.
    own = quote_check(**{**ask, "deal": held})
    assert own.promise_date == nth_working_day(5)
    # Expired and no worker ran: the next quote expires it lazily and no longer counts it.
    Hold.objects.filter(pk=hold.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert quote_check(**ask).promise_date == nth_working_day(5)
    hold.refresh_from_db()
    held.refresh_from_db()
    assert not hold.active and held.stage == Deal.Stage.PROPOSAL
    assert AuditEvent.objects.filter(action="hold.expired", deal=held).count() == 1


def test_one_query_reads_the_ledger_version_and_whether_a_hold_is_due(shop, sales_rep):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from promisekeeper.organisation.models import Ledger
    from promisekeeper.promising.sql import ledger_version_and_holds_due
    from promisekeeper.sales.models import Hold

    now = timezone.now()
    hold_place(user=sales_rep, deal=deal_for(shop, sales_rep, name="a"), days=1)
    version = ledger_version_get()
    assert ledger_version_and_holds_due(now=now) == (version, False)
    with CaptureQueriesContext(connection) as queries:
        assert ledger_version_and_holds_due(now=now + datetime.timedelta(days=2)) == (
            version,
            True,
        )
    assert len(queries.captured_queries) == 1
    expires = Hold.objects.get(active=True).expires_at
    assert ledger_version_and_holds_due(now=expires) == (version, True)
    assert ledger_version_and_holds_due(now=expires - datetime.timedelta(microseconds=1)) == (
        version,
        False,
    )
    Ledger.objects.all().delete()  # before the first capacity write there is no ledger row
    assert ledger_version_and_holds_due(now=now + datetime.timedelta(days=2)) == (0, True)


def test_holds_expire_counts_only_expired_holds(shop, sales_rep):
    hold_place(user=sales_rep, deal=deal_for(shop, sales_rep, name="a"), days=1)
    hold_place(user=sales_rep, deal=deal_for(shop, sales_rep, name="b"), days=5)
    assert holds_expire(now=timezone.now() + datetime.timedelta(days=2)) == 1
    assert Hold.objects.filter(active=True).count() == 1


def test_expiring_hold_warns_its_owner_once_a_day_before(shop, sales_rep):
    hold_place(user=sales_rep, deal=deal_for(shop, sales_rep), days=2)
    now = timezone.now()
    assert holds_warn_expiring(now=now) == 0
    later = now + datetime.timedelta(days=1, hours=1)
    assert holds_warn_expiring(now=later) == 1
    assert holds_warn_expiring(now=later) == 0
    (note,) = Notification.objects.filter(user=sales_rep)
    assert "expires" in note.text


def test_hold_days_out_of_range_is_named(shop, sales_rep):
    with pytest.raises(QuoteInputError) as error:
        hold_place(user=sales_rep, deal=deal_for(shop, sales_rep), days=0)
    assert error.value.field == "days"


def test_committing_a_held_deal_turns_the_hold_into_the_promise(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    hold_place(user=sales_rep, deal=deal)
    result = commit(sales_rep, deal, one_site(shop), nth_working_day(5))
    assert result.status == "committed"
    assert not Hold.objects.filter(deal=deal, active=True).exists()


# --- exceptions -----------------------------------------------------------------------------


def test_approved_exception_lets_sales_commit_an_earlier_date(
    shop, sales_rep, ops_manager, django_capture_on_commit_callbacks
):
    deal = deal_for(shop, sales_rep)
    early = nth_working_day(4)  # 40 h at 12 h a day (50 % overtime) fit four days
    assert commit(sales_rep, deal, one_site(shop), early).status == "taken"
    with django_capture_on_commit_callbacks(execute=True):
        request = exception_request(
            user=sales_rep, deal=deal, requested_date=early, scope_note="rush"
        )
    assert Notification.objects.filter(user=ops_manager).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        decided = exception_decide(
            user=ops_manager,
            request=request,
            decision="approve",
            comment="overtime ok",
            overtime_share=0.5,
        )
    assert decided.status == ExceptionRequest.Status.APPROVED
    assert decided.impact["feasible_as_is"] is False
    assert decided.impact["overtime"]["share"] == 0.5
    assert Notification.objects.filter(user=sales_rep, deal=deal).count() == 1
    result = commit(sales_rep, deal, one_site(shop), early, key="key-2", exception=decided)
    assert result.status == "committed"
    assert result.promise.approval == decided
    assert capacity_violations(connection) == []


def _approved(sales_rep, ops_manager, deal, when, **decision):
    request = exception_request(user=sales_rep, deal=deal, requested_date=when)
    return exception_decide(
        user=ops_manager, request=request, decision="approve", comment="ok", **decision
    )


def test_approved_overtime_is_booked_as_overtime_and_released_with_the_promise(
    shop, sales_rep, ops_manager
):
    deal = deal_for(shop, sales_rep)
    day_4 = nth_working_day(4)  # 40 h at 8 h a day needs five days; at 10 h, four
    assert commit(sales_rep, deal, one_site(shop), day_4).status == "taken"
    decided = _approved(sales_rep, ops_manager, deal, day_4, overtime_share=0.25)
    assert decided.impact["overtime"]["feasible"] is True
    result = commit(sales_rep, deal, one_site(shop), day_4, key="k2", exception=decided)
    assert result.status == "committed"
    assert result.promise.evidence["approval_applied"] == {"overtime_share": 0.25}
    event = AuditEvent.objects.get(action="promise.committed", deal=deal)
    assert event.payload["approval_applied"] == {"overtime_share": 0.25}
    rows = CapacityReservation.objects.filter(project__deal=deal)
    assert max(r.day for r in rows) == day_4
    assert sum(r.minutes for r in rows) == 40 * 60
    assert sum(r.overtime_minutes for r in rows) == 8 * 60
    loads = PersonDayLoad.objects.filter(reserved_minutes__gt=0)
    assert {
        (load.reserved_minutes, load.capacity_minutes, load.overtime_minutes) for load in loads
    } == {(10 * 60, 8 * 60, 2 * 60)}
    # The approval allowed 25 % of 8 h on each day it used, visibly on the load.
    assert {load.overtime_allowed_minutes for load in loads} == {2 * 60}
    # The overtime belongs to this promise: nobody else can book it ...
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonDayLoad.objects.filter(pk=loads[0].pk).update(
            reserved_minutes=F("reserved_minutes") + 1
        )
    other = deal_for(shop, sales_rep, name="next")
    answer = quote_check(
        user=sales_rep, customer=shop.customer, deal=other, lines=one_site(shop), wanted_date=None
    )
    assert answer.earliest_date == nth_working_day(9)
    # ... and it goes with the promise.
    promise_cancel(user=sales_rep, deal=deal, reason="customer withdrew")
    assert set(
        PersonDayLoad.objects.values_list(
            "reserved_minutes", "overtime_minutes", "overtime_allowed_minutes"
        ).distinct()
    ) == {(0, 0, 0)}
    assert capacity_violations(connection) == []


def test_approved_reshuffle_moves_the_hours_of_a_promise_with_slack(shop, sales_rep, ops_manager):
    relaxed = deal_for(shop, sales_rep, name="relaxed")
    first = commit(sales_rep, relaxed, one_site(shop), nth_working_day(20)).promise
    assert max(CapacityReservation.objects.values_list("day", flat=True)) == nth_working_day(5)
    urgent = deal_for(shop, sales_rep, name="urgent")
    day_5 = nth_working_day(5)
    assert commit(sales_rep, urgent, one_site(shop), day_5, key="k2").status == "taken"
    decided = _approved(sales_rep, ops_manager, urgent, day_5, allow_reshuffle=True)
    assert decided.impact["reshuffle"]["feasible"] is True
    result = commit(sales_rep, urgent, one_site(shop), day_5, key="k3", exception=decided)
    assert result.status == "committed"
    relaxed_project = Project.objects.get(deal=relaxed)
    assert result.promise.evidence["approval_applied"] == {
        "reshuffle": [{"project": relaxed_project.pk, "shift_days": 7}]
    }
    moved = CapacityReservation.objects.filter(project=relaxed_project)
    assert {r.promise_id for r in moved} == {first.pk}
    assert min(r.day for r in moved) == nth_working_day(6)
    assert max(r.day for r in moved) == nth_working_day(10)
    urgent_rows = CapacityReservation.objects.filter(project__deal=urgent)
    assert max(r.day for r in urgent_rows) == day_5
    assert sum(r.overtime_minutes for r in urgent_rows) == 0
    assert set(PersonDayLoad.objects.values_list("reserved_minutes", flat=True)) == {8 * 60}
    assert PersonDayLoad.objects.count() == 10
    assert not person_day_overcommitted()
    assert capacity_violations(connection) == []


def test_pending_exception_does_not_cover_a_commit(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    request = exception_request(user=sales_rep, deal=deal, requested_date=nth_working_day(3))
    with pytest.raises(QuoteInputError) as error:
        commit(sales_rep, deal, one_site(shop), nth_working_day(3), exception=request)
    assert error.value.field == "exception"


def test_propose_needs_a_date_and_decline_is_recorded(shop, sales_rep, ops_manager):
    deal = deal_for(shop, sales_rep)
    request = exception_request(user=sales_rep, deal=deal, requested_date=nth_working_day(3))
    with pytest.raises(QuoteInputError) as error:
        exception_decide(user=ops_manager, request=request, decision="propose", comment="?")
    assert error.value.field == "proposed_date"
    proposed = exception_decide(
        user=ops_manager,
        request=request,
        decision="propose",
        comment="how about",
        proposed_date=nth_working_day(6),
    )
    assert proposed.status == ExceptionRequest.Status.PROPOSED
    other = exception_request(user=sales_rep, deal=deal, requested_date=nth_working_day(2))
    declined = exception_decide(user=ops_manager, request=other, decision="decline", comment="no")
    assert declined.status == ExceptionRequest.Status.DECLINED
    with pytest.raises(QuoteInputError) as error:
        exception_decide(user=ops_manager, request=other, decision="approve", comment="changed")
    assert error.value.field == "request"


def test_backstop_refusal_is_answered_as_taken_and_writes_nothing(shop, sales_rep):
    # Wrong data the plan cannot see (a load row without reservations): the CHECK still holds.
    PersonDayLoad.objects.create(
        person=shop.person, day=nth_working_day(1), capacity_minutes=480, reserved_minutes=480
    )
    deal = deal_for(shop, sales_rep)
    before = counts()
    result = commit(sales_rep, deal, one_site(shop), nth_working_day(5))
    assert (result.status, result.promise) == ("taken", None)
    assert counts() == before


# --- cancellation ---------------------------------------------------------------------------


def test_cancelling_a_promise_releases_its_hours_and_units(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    lines = [*one_site(shop), QuoteLine(quantity=3, product_id=shop.product.pk)]
    commit(sales_rep, deal, lines, nth_working_day(5))
    project = promise_cancel(user=sales_rep, deal=deal, reason="customer withdrew")
    assert project.status == Project.Status.CANCELLED
    assert CapacityReservation.objects.count() == 0
    assert sum(load.reserved_minutes for load in PersonDayLoad.objects.all()) == 0
    assert ProductAvailability.objects.get(product=shop.product).reserved_quantity == 0
    assert Promise.objects.filter(deal=deal).count() == 1  # history stays
    assert AuditEvent.objects.filter(action="promise.cancelled", deal=deal).count() == 1
    again = quote_check(
        user=sales_rep, customer=None, deal=None, lines=one_site(shop), wanted_date=None
    )
    assert again.promise_date == nth_working_day(5)


def test_cancel_needs_a_reason_and_promised_work(shop, sales_rep, other_rep):
    deal = deal_for(shop, sales_rep)
    with pytest.raises(QuoteInputError) as error:
        promise_cancel(user=sales_rep, deal=deal, reason="")
    assert error.value.field == "reason"
    with pytest.raises(QuoteInputError) as error:
        promise_cancel(user=sales_rep, deal=deal, reason="why not")
    assert error.value.field == "deal"
    with pytest.raises(PermissionDenied):
        promise_cancel(user=other_rep, deal=deal, reason="not mine")


def test_committing_process_caches_the_next_snapshot_equal_to_a_rebuild(
    shop, sales_rep, django_capture_on_commit_callbacks
):
    deal = deal_for(shop, sales_rep)
    hold_place(user=sales_rep, deal=deal)
    tentative = deal_for(shop, sales_rep, name="maybe")
    with django_capture_on_commit_callbacks(execute=True):
        commit(sales_rep, deal, one_site(shop), nth_working_day(5))
    cached = portfolio_snapshot()
    assert cached.built_in_seconds == 0.0  # put there by the commit, not rebuilt
    rebuilt = snapshot_build(today=cached.today, ledger_version=cached.ledger_version)
    assert (cached.firm_plan.free == rebuilt.firm_plan.free).all()
    assert set(cached.projects) == set(rebuilt.projects)
    assert f"deal-{tentative.pk}" in cached.projects and f"deal-{deal.pk}" not in cached.projects


def _as_another_process_sees_it(before) -> None:
    """Forget the committer's snapshot and keep the older one, as a second worker would."""
    plan_cache_clear()
    snapshot_cache_put(before)


def test_another_process_replays_commits_onto_its_snapshot_instead_of_rebuilding(
    shop, sales_rep, django_capture_on_commit_callbacks
):
    tentative = deal_for(shop, sales_rep, name="maybe")
    deals = [deal_for(shop, sales_rep, name=f"site {k}") for k in range(3)]
    hold_place(user=sales_rep, deal=deals[1])  # its hold is in the firm plan until committed
    before = portfolio_snapshot()
    assert f"deal-{deals[1].pk}" in before.firm_plan.projects
    with django_capture_on_commit_callbacks(execute=True):
        for k, deal in enumerate([deals[1], deals[0], deals[2]]):
            result = commit(sales_rep, deal, one_site(shop), nth_working_day(5 * (k + 1)), f"k{k}")
            assert result.status == "committed"
    assert ReservationChange.objects.filter(kind=ReservationChange.Kind.BOOKING).count() == 3
    _as_another_process_sees_it(before)

    caught_up = portfolio_snapshot()
    assert caught_up.built_in_seconds == 0.0  # replayed, not planned again
    assert caught_up.ledger_version == ledger_version_get()
    rebuilt = snapshot_build(today=caught_up.today, ledger_version=caught_up.ledger_version)
    assert (caught_up.firm_plan.free == rebuilt.firm_plan.free).all()
    assert set(caught_up.projects) == set(rebuilt.projects)
    assert all(f"deal-{deal.pk}" not in caught_up.projects for deal in deals)
    assert f"deal-{tentative.pk}" in caught_up.projects
    assert caught_up.plan.projects.keys() == rebuilt.plan.projects.keys()
    # The next quote sees the three weeks as taken, as a rebuilt snapshot would.
    answer = quote_check(
        user=sales_rep, customer=shop.customer, deal=None, lines=one_site(shop), wanted_date=None
    )
    assert answer.earliest_date == nth_working_day(20)


def test_a_late_cache_put_never_replaces_a_newer_snapshot(
    shop, sales_rep, django_capture_on_commit_callbacks
):
    older = portfolio_snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        commit(sales_rep, deal_for(shop, sales_rep), one_site(shop), nth_working_day(5))
    newer = portfolio_snapshot()
    assert newer.ledger_version > older.ledger_version
    snapshot_cache_put(older)  # e.g. a thread's on-commit hook running late
    assert portfolio_snapshot() is newer


def test_a_capacity_write_that_is_not_a_reservation_change_makes_others_rebuild(
    shop, sales_rep, django_capture_on_commit_callbacks
):
    before = portfolio_snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        commit(sales_rep, deal_for(shop, sales_rep), one_site(shop), nth_working_day(5))
    TimeOffFactory(person=shop.person)  # not something a replay can express
    assert snapshot_catch_up(before, ledger_version_get()) is None
    _as_another_process_sees_it(before)
    assert portfolio_snapshot().built_in_seconds > 0.0


def test_a_re_dated_promise_is_replayed_with_its_new_hours(
    shop, sales_rep, django_capture_on_commit_callbacks
):
    deal = deal_for(shop, sales_rep)
    with django_capture_on_commit_callbacks(execute=True):
        commit(sales_rep, deal, one_site(shop), nth_working_day(5))
    before = portfolio_snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        assert _redate(sales_rep, deal, nth_working_day(15)).status == "committed"
    _as_another_process_sees_it(before)
    caught_up = portfolio_snapshot()
    assert caught_up.built_in_seconds == 0.0
    rebuilt = snapshot_build(today=caught_up.today, ledger_version=caught_up.ledger_version)
    assert (caught_up.firm_plan.free == rebuilt.firm_plan.free).all()
    assert len(caught_up.firm_plan.instance.projects) == len(rebuilt.firm_plan.instance.projects)


# --- date change ----------------------------------------------------------------------------


def _redate(user, deal, date, key="redate-1", reason="customer asked"):
    return promise_reschedule(
        user=user,
        deal=deal,
        promised_date=date,
        idempotency_key=key,
        request_fingerprint=f"{deal.pk}:{date}",
        reason=reason,
    )


def test_changing_the_date_supersedes_the_promise_and_keeps_the_hours_reserved(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    first = commit(sales_rep, deal, one_site(shop), nth_working_day(5)).promise
    other = deal_for(shop, sales_rep, name="second")
    commit(sales_rep, other, one_site(shop), nth_working_day(10), key="key-2")
    later = nth_working_day(15)
    result = _redate(sales_rep, deal, later)
    assert result.status == "committed"
    assert result.promise.pk != first.pk and result.promise.evidence["supersedes"] == first.pk
    assert Project.objects.get(deal=deal).promised_date == later
    assert sum(r.minutes for r in CapacityReservation.objects.all()) == 80 * 60
    assert all(
        load.reserved_minutes <= load.capacity_minutes for load in PersonDayLoad.objects.all()
    )
    assert AuditEvent.objects.filter(action="promise.date_changed", deal=deal).count() == 1
    assert _redate(sales_rep, deal, later).status == "replayed"


def test_a_re_dated_promise_moves_its_units_to_the_new_date(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    lines = [*one_site(shop), QuoteLine(quantity=4, product_id=shop.product.pk)]
    commit(sales_rep, deal, lines, nth_working_day(5))
    later = nth_working_day(15)
    result = _redate(sales_rep, deal, later)
    assert result.status == "committed"
    reservation = StockReservation.objects.get(deal=deal)
    assert reservation.promise == result.promise and reservation.promise.promised_date == later
    atp = product_atp(product=shop.product, today=timezone.localdate(), horizon=120)
    today = timezone.localdate()
    # The units leave the projected stock on the new date, not the old one.
    assert atp.balance[(later - today).days - 1] == 10
    assert atp.balance[(later - today).days] == 6
    assert ProductAvailability.objects.get(product=shop.product).reserved_quantity == 4


def test_atp_counts_each_reservation_on_its_due_date_and_can_leave_one_deal_out(shop, sales_rep):
    today = timezone.localdate()
    IncomingSupply.objects.create(product=shop.product, date=nth_working_day(3), quantity=5)
    promised = deal_for(shop, sales_rep, name="promised")
    kits = [QuoteLine(quantity=4, product_id=shop.product.pk)]
    promise = commit(sales_rep, promised, kits, nth_working_day(8)).promise
    wanted = deal_for(shop, sales_rep, name="wanted")
    wanted.wanted_date = nth_working_day(6)
    wanted.save()
    StockReservation.objects.create(product=shop.product, deal=wanted, quantity=2)
    # A unit held for the promise alone (no deal on the row): due on the promised date.
    StockReservation.objects.create(product=shop.product, promise=promise, quantity=1)

    def balance(without=None):
        atp = product_atp(product=shop.product, today=today, horizon=120, without_deal=without)
        return [atp.balance[(d - today).days] for d in days]

    days = [today, nth_working_day(3), nth_working_day(6), nth_working_day(8)]
    assert balance() == [10, 15, 13, 8]
    assert balance(without=promised) == [10, 15, 13, 12]  # the unit without a deal stays
    assert balance(without=wanted) == [10, 15, 15, 10]


def test_re_dating_earlier_than_the_units_arrive_is_taken_and_changes_nothing(shop, sales_rep):
    shop.product.stock_on_hand = 0
    shop.product.save()
    arrives = nth_working_day(12)
    IncomingSupply.objects.create(product=shop.product, date=arrives, quantity=4)
    deal = deal_for(shop, sales_rep)
    lines = [*one_site(shop), QuoteLine(quantity=4, product_id=shop.product.pk)]
    first = commit(sales_rep, deal, lines, nth_working_day(15)).promise
    before = (counts(), list(StockReservation.objects.values_list("promise_id", "quantity")))
    result = _redate(sales_rep, deal, nth_working_day(8))
    assert result.status == "taken"
    assert "not enough KIT-1" in result.reason and result.earliest_date == arrives
    assert (
        counts(),
        list(StockReservation.objects.values_list("promise_id", "quantity")),
    ) == before
    assert StockReservation.objects.get(deal=deal).promise == first


def test_changing_to_an_infeasible_date_is_taken_and_changes_nothing(shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    commit(sales_rep, deal, one_site(shop), nth_working_day(5))
    before = (counts(), list(CapacityReservation.objects.values_list("day", "minutes")))
    result = _redate(sales_rep, deal, nth_working_day(3))
    assert (result.status, result.earliest_date) == ("taken", nth_working_day(5))
    assert (counts(), list(CapacityReservation.objects.values_list("day", "minutes"))) == before
