"""Item 16, hold storm: a hold is journalled and replayed like a commit, never a rebuild of
every worker's plan, and one user may place only so many holds a minute.

"Another process" is this process with its plan cache set back to the snapshot it had
before the write (``_as_another_process_sees_it``), which is what a second worker holds.
"""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from promisekeeper.api.services import api_token_create
from promisekeeper.engine.model import ProjectState
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.promising.cache import (
    plan_cache_clear,
    plan_cache_stats,
    portfolio_snapshot,
    snapshot_cache_put,
)
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.holds import hold_place, holds_expire, holds_warn_expiring
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.quote import quote_check
from promisekeeper.promising.snapshot import Snapshot, snapshot_build
from promisekeeper.sales.models import Deal, Hold, ReservationChange
from tests import factories
from tests.integrity.conftest import row_counts
from tests.sales.conftest import deal_for, nth_working_day, shop_create


def _as_another_process_sees_it(before: Snapshot) -> None:
    plan_cache_clear()
    snapshot_cache_put(before)


def _earliest(shop, user) -> datetime.date | None:
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    answer = quote_check(
        user=user, customer=shop.customer, deal=None, lines=lines, wanted_date=None
    )
    return answer.earliest_date


def _states(snapshot: Snapshot) -> dict[str, tuple[ProjectState, int | None]]:
    return {p.id: (p.state, p.promised_day) for p in snapshot.instance.projects}


def _assert_same_as_rebuilt(snapshot: Snapshot) -> None:
    """The replayed snapshot plans the same projects, in the same states and with the same
    hold expiries and hours taken, as one built from the database at its version."""
    rebuilt = snapshot_build(today=snapshot.today, ledger_version=snapshot.ledger_version)
    assert _states(snapshot) == _states(rebuilt)
    assert set(snapshot.firm_plan.projects) == set(rebuilt.firm_plan.projects)
    assert dict(snapshot.hold_expiries) == dict(rebuilt.hold_expiries)
    assert snapshot.firm_plan.free.sum() == pytest.approx(rebuilt.firm_plan.free.sum())


def test_a_hold_placed_elsewhere_is_replayed_not_rebuilt(shop, sales_rep):
    deal = deal_for(shop, sales_rep, name="held")
    assert _earliest(shop, sales_rep) == nth_working_day(5)
    before = portfolio_snapshot()

    hold = hold_place(user=sales_rep, deal=deal, days=3)

    change = ReservationChange.objects.get(kind=ReservationChange.Kind.HOLD_PLACED)
    assert (change.deal_id, change.first_version) == (deal.pk, before.ledger_version + 1)
    assert change.version == ledger_version_get()
    _as_another_process_sees_it(before)
    counted = plan_cache_stats()
    after = portfolio_snapshot()
    stats = plan_cache_stats()
    assert stats.snapshot_builds == counted.snapshot_builds
    assert stats.snapshot_replays == counted.snapshot_replays + 1
    assert after.instance.projects[len(after.firm_plan.instance.projects) - 1].id == (
        f"deal-{deal.pk}"
    )
    assert after.valid_until == hold.expires_at
    _assert_same_as_rebuilt(after)
    # The held week is taken for everyone else's quote.
    assert _earliest(shop, sales_rep) == nth_working_day(10)


def test_an_expired_hold_is_replayed_on_the_next_quote_not_rebuilt(shop, sales_rep):
    # Time stands at noon, so that moving it on never changes the day (which is a new plan).
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    deal = deal_for(shop, sales_rep, name="held")
    with mock.patch("django.utils.timezone.now", return_value=noon):
        hold = hold_place(user=sales_rep, deal=deal, days=1)
        Hold.objects.filter(pk=hold.pk).update(expires_at=noon + datetime.timedelta(seconds=1))
        assert _earliest(shop, sales_rep) == nth_working_day(10)
    counted = plan_cache_stats()

    with mock.patch("django.utils.timezone.now", return_value=noon + datetime.timedelta(seconds=2)):
        # No worker ran: the quote finds the hold due, releases it and replays the release
        # onto the snapshot whose hold has expired.
        assert _earliest(shop, sales_rep) == nth_working_day(5)
        snapshot = portfolio_snapshot()
        assert snapshot.valid_until is None

    stats = plan_cache_stats()
    assert stats.snapshot_builds == counted.snapshot_builds
    assert stats.snapshot_replays == counted.snapshot_replays + 1
    deal.refresh_from_db()
    assert deal.stage == Deal.Stage.PROPOSAL and not deal.holds.filter(active=True).exists()
    assert ReservationChange.objects.filter(kind=ReservationChange.Kind.HOLDS_ENDED).count() == 1
    _assert_same_as_rebuilt(snapshot)


def test_warning_of_an_expiring_hold_changes_no_plan_and_rebuilds_nothing(shop, sales_rep):
    hold_place(user=sales_rep, deal=deal_for(shop, sales_rep), days=1)
    before = portfolio_snapshot()
    counted = plan_cache_stats()

    assert holds_warn_expiring(now=timezone.now() + datetime.timedelta(hours=1)) == 1

    assert ledger_version_get() > before.ledger_version  # the warning did write a hold row
    _as_another_process_sees_it(before)
    after = portfolio_snapshot()
    assert plan_cache_stats().snapshot_builds == counted.snapshot_builds
    assert after.ledger_version == ledger_version_get()
    assert _states(after) == _states(before)


@override_settings(HOLDS_PER_USER_PER_MINUTE=1000)
def test_a_storm_of_holds_placed_and_expired_never_rebuilds_and_quotes_stay_true(
    shop, sales_rep, other_rep
):
    deals = [deal_for(shop, sales_rep if k % 2 else other_rep, name=f"d{k}") for k in range(12)]
    for k, deal in enumerate(deals[:4]):
        deal.wanted_date = nth_working_day(30 + k)
        deal.save()
    _earliest(shop, sales_rep)  # this worker's snapshot is warm
    counted = plan_cache_stats()

    active = 0
    for k, deal in enumerate(deals):
        user = sales_rep if k % 2 else other_rep
        # Deals 4 and 5 hold for a day, the others for three.
        hold_place(user=user, deal=deal, days=1 if k in (4, 5) else 3)
        active += 1
        if k == 5:
            assert holds_expire(now=timezone.now() + datetime.timedelta(days=1, hours=1)) == 2
            active -= 2
        # Each hold is a week of Ana's; the quote gets the week after the last one held.
        assert _earliest(shop, sales_rep) == nth_working_day(5 * (active + 1))

    stats = plan_cache_stats()
    assert stats.snapshot_builds == counted.snapshot_builds
    assert stats.snapshot_replays == counted.snapshot_replays + len(deals)  # one per quote
    final = portfolio_snapshot()
    _assert_same_as_rebuilt(final)
    plan_cache_clear()
    assert _earliest(shop, sales_rep) == nth_working_day(5 * 11)  # 10 holds of a week


@override_settings(HOLDS_PER_USER_PER_MINUTE=3)
def test_holds_are_limited_per_user_per_minute(shop, sales_rep, other_rep):
    deals = [deal_for(shop, sales_rep, name=f"d{k}") for k in range(4)]
    for deal in deals[:3]:
        hold_place(user=sales_rep, deal=deal)
    before = row_counts()
    version = ledger_version_get()

    with pytest.raises(QuoteInputError) as refused:
        hold_place(user=sales_rep, deal=deals[3])

    assert refused.value.field == "deal"
    assert "3 holds in the last minute" in refused.value.message
    assert row_counts() == before and ledger_version_get() == version
    # Another seller is not held back by this one; a minute later the first may hold again.
    hold_place(user=other_rep, deal=deal_for(shop, other_rep, name="theirs"))
    later = timezone.now() + datetime.timedelta(minutes=1, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        hold_place(user=sales_rep, deal=deals[3])
    assert Hold.objects.filter(active=True, created_by=sales_rep).count() == 4


@override_settings(HOLDS_PER_USER_PER_MINUTE=1)
def test_the_api_and_the_quote_page_answer_429_past_the_hold_limit(shop, sales_rep, client, counts):
    first, second, third = (deal_for(shop, sales_rep, name=f"d{k}") for k in range(3))
    key = api_token_create(user=sales_rep)[1]
    headers = {"Authorization": f"Bearer {key}"}
    url = "/api/holds"
    ok = client.post(url, {"deal_id": first.pk, "days": 2}, "application/json", headers=headers)
    assert ok.status_code == 201, ok.content
    before = counts()

    refused = client.post(
        url, {"deal_id": second.pk, "days": 2}, "application/json", headers=headers
    )

    assert refused.status_code == 429
    assert refused.json() == {
        "field": None,
        "message": "you placed 1 holds in the last minute, the most allowed; "
        "wait a minute and try again",
    }
    client.force_login(sales_rep)
    page = client.post(
        "/sales/quote/",
        {
            "deal": str(third.pk),
            "customer": str(shop.customer.pk),
            "line_item": [f"offering:{shop.offering.pk}"],
            "line_quantity": ["1"],
            "hold_days": "2",
            "action": "hold",
        },
    )
    assert page.status_code == 429
    assert "wait a minute and try again" in page.content.decode()
    assert counts() == before


HOLD_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), st.integers(0, 4), st.integers(1, 3)),
        st.tuples(st.just("expire"), st.integers(0, 80), st.just(0)),
        st.tuples(st.just("warn"), st.integers(0, 80), st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


class TestReplayedHoldsMatchARebuild(HypothesisTestCase):
    """Any sequence of holds placed (again), expired and warned about, replayed step by step
    onto the snapshot a worker keeps, plans what a rebuild from the database plans."""

    @settings(max_examples=25, deadline=None)
    @given(steps=HOLD_STEPS)
    def test_any_sequence_of_hold_changes(self, steps: list[tuple[str, int, int]]) -> None:
        shop = shop_create()
        user = factories.UserFactory(username="rep")
        user.groups.add(Group.objects.get_or_create(name="sales")[0])
        deals = [deal_for(shop, user, name=f"d{k}") for k in range(5)]
        deals[0].wanted_date = nth_working_day(40)
        deals[0].save()
        portfolio_snapshot()
        builds = plan_cache_stats().snapshot_builds
        start = timezone.now()
        with override_settings(HOLDS_PER_USER_PER_MINUTE=100):
            for action, number, days in steps:
                if action == "hold":
                    hold_place(user=user, deal=deals[number], days=days)
                elif action == "expire":
                    holds_expire(now=start + datetime.timedelta(hours=number))
                else:
                    holds_warn_expiring(now=start + datetime.timedelta(hours=number))
                _assert_same_as_rebuilt(portfolio_snapshot())
        assert plan_cache_stats().snapshot_builds == builds
