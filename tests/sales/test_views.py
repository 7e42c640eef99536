"""The sales pages through HTTP: full page vs htmx partial, the no-JavaScript path, permissions,
validation that writes nothing, and exactly-once commits. Every test asserts the database."""

from __future__ import annotations

import datetime
import re
import uuid
import zlib

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import dateformat

from promisekeeper.sales.models import (
    AuditEvent,
    Deal,
    DealLine,
    ExceptionRequest,
    Hold,
    Notification,
    Promise,
)
from tests.integrity.invariants import capacity_violations
from tests.sales.conftest import deal_for, nth_working_day

pytestmark = pytest.mark.django_db

QUOTE = "/sales/quote/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Deal, DealLine, Hold, Promise, ExceptionRequest, AuditEvent)
    }


def quote_data(shop, *, quantity: int = 1, wanted: datetime.date | None = None, **extra):
    data = {
        "customer": str(shop.customer.pk),
        "line_item": [f"offering:{shop.offering.pk}"],
        "line_quantity": [str(quantity)],
        "wanted_date": wanted.isoformat() if wanted else "",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(extra)
    return data


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [QUOTE, "/sales/exceptions/", "/sales/deals/1/", "/sales/promises/1/sheet/"]
)
def test_anonymous_is_redirected_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_anonymous_post_to_the_quote_is_redirected_to_login_and_writes_nothing(client, shop):
    before = counts()
    response = client.post(QUOTE, quote_data(shop, action="commit"))
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert counts() == before


def test_quote_page_is_not_for_users_outside_sales_and_operations(client, shop, outsider):
    client.force_login(outsider)
    assert client.get(QUOTE).status_code == 403
    assert client.post(QUOTE, quote_data(shop)).status_code == 403
    assert client.post(QUOTE, quote_data(shop), **HTMX).status_code == 403


ACTION_BUTTONS = ('value="hold"', 'value="commit"', 'value="exception"', 'name="hold_days"')


def test_sales_sees_hold_commit_and_exception_under_the_answer(client, shop, sales_rep):
    client.force_login(sales_rep)
    page = client.post(QUOTE, quote_data(shop, wanted=nth_working_day(30))).content.decode()
    assert 'data-verdict="yes"' in page
    for button in ACTION_BUTTONS:
        assert button in page
    assert 'data-actions="sales-only"' not in page


def test_operations_asks_on_the_quote_page_without_hold_commit_or_exception(
    client, shop, ops_manager
):
    client.force_login(ops_manager)
    before = counts()
    response = client.get(QUOTE)
    assert response.status_code == 200 and 'id="quote-form"' in response.content.decode()

    response = client.post(QUOTE, quote_data(shop, wanted=nth_working_day(30)))
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert 'data-verdict="yes"' in page and response.context["answer"].can_promise is True
    assert 'data-actions="sales-only"' in page
    for button in ACTION_BUTTONS:
        assert button not in page

    response = client.post(QUOTE, quote_data(shop, quantity=3, wanted=nth_working_day(2)), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith('<section id="answer"')
    assert 'data-verdict="no"' in page and 'value="commit"' not in page
    assert counts() == before


def test_operations_adds_and_removes_lines(client, shop, ops_manager):
    client.force_login(ops_manager)
    before = counts()
    response = client.post(QUOTE, quote_data(shop, action="add_line"), **HTMX)
    assert response.status_code == 200
    assert response.content.decode().count('name="line_item"') == 2
    data = quote_data(shop, action="remove-0")
    data["line_item"] = [f"offering:{shop.offering.pk}", f"product:{shop.product.pk}"]
    data["line_quantity"] = ["1", "2"]
    response = client.post(QUOTE, data)
    assert response.status_code == 200
    assert [row.item for row in response.context["rows"]] == [f"product:{shop.product.pk}"]
    assert counts() == before


def test_operations_quotes_an_existing_deal_from_its_page(client, shop, sales_rep, ops_manager):
    deal = deal_for(shop, sales_rep, quantity=2)
    client.force_login(ops_manager)
    response = client.get(f"{QUOTE}?deal={deal.pk}")
    page = response.content.decode()
    assert response.status_code == 200 and response.context["answer"] is not None
    assert f'<option value="{deal.pk}" selected>' in page
    assert 'value="commit"' not in page and 'data-actions="sales-only"' in page


@pytest.mark.parametrize("action", ["hold", "commit", "exception"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_operations_may_not_hold_commit_or_request_an_exception(
    client, shop, sales_rep, ops_manager, action, htmx
):
    deal = deal_for(shop, sales_rep)
    client.force_login(ops_manager)
    wanted = nth_working_day(30)
    before = counts()
    for named_deal in ("", str(deal.pk)):
        data = quote_data(
            shop,
            wanted=wanted,
            deal=named_deal,
            action=action,
            hold_days="5",
            promised_date=wanted.isoformat(),
            requested_date=wanted.isoformat(),
            scope_note="Launch",
        )
        response = client.post(QUOTE, data, **(HTMX if htmx else {}))
        assert response.status_code == 403
    assert counts() == before
    deal.refresh_from_db()
    assert deal.stage == Deal.Stage.LEAD


def test_empty_quote_page_renders_form_without_answer(client, shop, sales_rep):
    client.force_login(sales_rep)
    response = client.get(QUOTE)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page and 'id="quote-form"' in page
    assert page.count('hx-trigger="change delay:300ms"') == 2
    assert "Website build" in page and "KIT-1" in page
    assert response.context["answer"] is None


# --- asking -----------------------------------------------------------------------------------


def test_plain_post_renders_full_page_with_yes_and_writes_nothing(client, shop, sales_rep):
    client.force_login(sales_rep)
    before = counts()
    response = client.post(QUOTE, quote_data(shop, wanted=nth_working_day(30)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page and "Can we promise this?" in page
    assert 'data-verdict="yes"' in page
    assert response.context["answer"].can_promise is True
    assert counts() == before


def test_htmx_post_renders_only_the_answer_partial_with_no_and_options(client, shop, sales_rep):
    client.force_login(sales_rep)
    before = counts()
    response = client.post(QUOTE, quote_data(shop, quantity=3, wanted=nth_working_day(2)), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and 'id="quote-form"' not in page
    assert page.lstrip().startswith('<section id="answer"')
    assert 'data-verdict="no"' in page
    answer = response.context["answer"]
    assert answer.can_promise is False and answer.options
    for option in answer.options:
        assert f'data-option="{option.kind}"' in page
    assert "Bottleneck: developer" in page
    assert "P50 (coin flip)" in page and "P95 (safe)" in page
    assert counts() == before


def test_answer_shows_product_availability_and_evidence(client, shop, sales_rep):
    client.force_login(sales_rep)
    data = quote_data(shop, wanted=nth_working_day(30))
    data["line_item"] = [f"offering:{shop.offering.pk}", f"product:{shop.product.pk}"]
    data["line_quantity"] = ["1", "4"]
    page = client.post(QUOTE, data, **HTMX).content.decode()
    assert "Products available to promise" in page and "KIT-1 Router kit" in page
    assert "Evidence from past projects" in page


def test_bottleneck_chart_has_data_and_a_table_alternative(client, shop, sales_rep):
    client.force_login(sales_rep)
    response = client.post(QUOTE, quote_data(shop, quantity=3, wanted=nth_working_day(2)), **HTMX)
    chart = response.context["load_chart"]
    assert chart["role"] == "developer" and len(chart["weeks"]) == len(chart["booked"]) > 0
    page = response.content.decode()
    assert 'id="load-chart-data"' in page and "Load of developer as a table" in page


def test_plotly_is_served_locally(client, sales_rep):
    client.force_login(sales_rep)
    response = client.get(reverse("insights:plotly_js"))
    try:
        assert response.status_code == 200
        assert response["Content-Type"] == "text/javascript"
        assert b"plotly" in next(iter(response.streaming_content))[:5000].lower()
    finally:
        response.close()


def test_quote_page_loads_plotly_from_our_own_route(client, shop, sales_rep):
    client.force_login(sales_rep)
    page = client.get(QUOTE).content.decode()
    assert f'src="{reverse("insights:plotly_js")}"' in page
    assert "cdn" not in page.lower()


def test_add_line_and_remove_line_rerender_the_rows(client, shop, sales_rep):
    client.force_login(sales_rep)
    response = client.post(QUOTE, quote_data(shop, action="add_line"), **HTMX)
    page = response.content.decode()
    assert "<html" not in page
    assert page.count('name="line_item"') == 2 and 'id="answer"' in page
    data = quote_data(shop, action="remove-0")
    data["line_item"] = [f"offering:{shop.offering.pk}", f"product:{shop.product.pk}"]
    data["line_quantity"] = ["1", "2"]
    response = client.post(QUOTE, data)
    assert [row.item for row in response.context["rows"]] == [f"product:{shop.product.pk}"]


def test_quote_for_existing_deal_prefills_its_lines(client, shop, sales_rep):
    deal = deal_for(shop, sales_rep, quantity=2)
    client.force_login(sales_rep)
    response = client.get(f"{QUOTE}?deal={deal.pk}")
    assert response.status_code == 200
    assert [(row.item, row.quantity) for row in response.context["rows"]] == [
        (f"offering:{shop.offering.pk}", "2")
    ]
    assert response.context["answer"] is not None
    assert (
        f'<option value="{deal.pk}" selected>Acme site — Acme</option>' in response.content.decode()
    )


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"customer": ""}, "Customer: choose a customer or an open deal."),
        ({"customer": "999999"}, "Select a valid choice"),
        ({"line_quantity": ["0"]}, "Line 1 quantity: enter a whole number from 1 to 10000."),
        ({"line_quantity": ["lots"]}, "Line 1 quantity: enter a whole number from 1 to 10000."),
        ({"line_item": ["offering:999999"]}, "Line 1 item: choose an offering or a product."),
        (
            {"line_item": [""], "line_quantity": [""]},
            "Lines: add at least one offering or product.",
        ),
        ({"wanted_date": "2020-01-01"}, "Wanted date: is in the past."),
        ({"wanted_date": "31/31/2026"}, "Enter a valid date."),
    ],
)
def test_bad_quote_input_names_the_field_and_changes_nothing(
    client, shop, sales_rep, change, message
):
    client.force_login(sales_rep)
    before = counts()
    for action in ("ask", "hold", "commit", "exception"):
        data = quote_data(shop, wanted=nth_working_day(30), action=action, **change)
        data.update(change)
        response = client.post(QUOTE, data, **HTMX)
        assert response.status_code == 200
        page = response.content.decode()
        assert message in page
        assert "data-verdict" not in page and "Earliest dates" not in page
    assert counts() == before


def test_deal_of_another_customer_is_refused(client, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    other = type(shop.customer).objects.create(name="Other Ltd")
    client.force_login(sales_rep)
    data = quote_data(shop, deal=str(deal.pk), customer=str(other.pk))
    page = client.post(QUOTE, data).content.decode()
    assert "Customer: the deal" in page and "belongs to Acme" in page


def test_bad_hold_days_and_missing_commit_date_are_named(client, shop, sales_rep):
    client.force_login(sales_rep)
    before = counts()
    page = client.post(
        QUOTE, quote_data(shop, wanted=nth_working_day(30), action="hold", hold_days="90")
    ).content.decode()
    assert "Hold days: Ensure this value is less than or equal to 30." in page
    page = client.post(
        QUOTE, quote_data(shop, wanted=nth_working_day(30), action="commit", promised_date="")
    ).content.decode()
    assert "Promise date: This field is required." in page
    page = client.post(
        QUOTE, quote_data(shop, wanted=nth_working_day(30), action="exception", scope_note="x")
    ).content.decode()
    assert "Requested date: This field is required." in page
    assert counts() == before


# --- hold, commit, exception from the quote ----------------------------------------------------


def test_hold_for_a_customer_creates_the_deal_with_its_lines_and_a_hold(client, shop, sales_rep):
    client.force_login(sales_rep)
    response = client.post(
        QUOTE,
        quote_data(shop, quantity=2, wanted=nth_working_day(30), action="hold", hold_days="5"),
    )
    deal = Deal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sales/deals/{deal.pk}/"
    assert deal.owner == sales_rep and deal.stage == Deal.Stage.HELD
    assert list(deal.lines.values_list("offering_id", "quantity")) == [(shop.offering.pk, 2)]
    hold = Hold.objects.get(deal=deal, active=True)
    assert 4 <= (hold.expires_at - hold.created_at).days <= 5


def test_commit_double_post_with_one_token_creates_exactly_one_promise(client, shop, sales_rep):
    client.force_login(sales_rep)
    promised = nth_working_day(30)
    data = quote_data(shop, wanted=promised, action="commit", promised_date=promised.isoformat())
    first = client.post(QUOTE, data)
    second = client.post(QUOTE, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    promise = Promise.objects.get()
    assert Deal.objects.count() == 1
    assert promise.promised_date == promised and promise.created_by == sales_rep
    assert promise.deal.stage == Deal.Stage.WON


def test_commit_on_an_existing_deal_via_htmx_less_path(client, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    client.force_login(sales_rep)
    promised = nth_working_day(20)
    data = quote_data(
        shop,
        deal=str(deal.pk),
        wanted=promised,
        action="commit",
        promised_date=promised.isoformat(),
    )
    response = client.post(QUOTE, data, follow=True)
    assert response.status_code == 200
    assert f"Promised {promised:%d %b %Y}" in response.content.decode()
    assert Promise.objects.get().deal == deal


def test_commit_too_early_is_refused_with_the_earliest_date(client, shop, sales_rep):
    client.force_login(sales_rep)
    before = counts()
    early = nth_working_day(2)
    data = quote_data(
        shop, quantity=3, wanted=early, action="commit", promised_date=early.isoformat()
    )
    response = client.post(QUOTE, data)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Promise date:" in page and "the earliest date now is" in page
    # The deal drafted for the customer went with the refused commit: nothing was written.
    assert counts() == before


def test_customer_quote_whose_capacity_was_just_taken_leaves_no_draft_deal(
    client, shop, sales_rep, other_rep
):
    wanted = nth_working_day(6)
    data = quote_data(shop, wanted=wanted, action="commit", promised_date=wanted.isoformat())
    client.force_login(sales_rep)
    asked = client.post(QUOTE, {**data, "action": "ask"})
    assert 'data-verdict="yes"' in asked.content.decode()

    # Before the rep clicks Commit, another rep promises three weeks of the only developer.
    globex = type(shop.customer).objects.create(name="Globex")
    rival = Deal.objects.create(customer=globex, name="Globex portal", owner=other_rep)
    DealLine.objects.create(deal=rival, offering=shop.offering, quantity=3)
    client.force_login(other_rep)
    rival_date = nth_working_day(30)
    rival_commit = quote_data(
        shop,
        deal=str(rival.pk),
        customer=str(globex.pk),
        quantity=3,
        wanted=rival_date,
        action="commit",
        promised_date=rival_date.isoformat(),
    )
    assert client.post(QUOTE, rival_commit).status_code == 302

    client.force_login(sales_rep)
    before = counts()
    response = client.post(QUOTE, data)
    page = response.content.decode()
    assert response.status_code == 409
    assert f"{wanted:%d %b %Y} cannot be promised any more" in page
    assert "the earliest date now is" in page
    assert counts() == before
    assert not Deal.objects.filter(customer=shop.customer).exists()
    assert response.context["form"]["customer"].value() == str(shop.customer.pk)

    # The same form submitted twice is refused twice and still leaves no deal.
    assert client.post(QUOTE, data).status_code == 409
    assert counts() == before

    # Committing the earliest date from the same form drafts the deal and keeps it.
    earliest = response.context["answer"].promise_date
    assert earliest is not None and earliest > wanted
    retry = {**data, "wanted_date": earliest.isoformat(), "promised_date": earliest.isoformat()}
    committed = client.post(QUOTE, retry)
    draft = Deal.objects.get(customer=shop.customer)
    assert committed.status_code == 302 and committed["Location"] == f"/sales/deals/{draft.pk}/"
    assert draft.owner == sales_rep and draft.stage == Deal.Stage.WON
    assert Promise.objects.get(deal=draft).promised_date == earliest
    actions = list(draft.audit_events.order_by("pk").values_list("action", flat=True))
    assert actions.count(AuditEvent.Action.DEAL_CREATED) == 1

    # A retried commit (same form, same key) finds the same deal and replays the promise.
    replayed = client.post(QUOTE, retry)
    assert replayed.status_code == 302 and replayed["Location"] == f"/sales/deals/{draft.pk}/"
    assert Deal.objects.filter(customer=shop.customer).count() == 1
    assert Promise.objects.filter(deal=draft).count() == 1


def test_exception_request_from_quote_notifies_operations(
    client, shop, sales_rep, ops_manager, django_capture_on_commit_callbacks
):
    client.force_login(sales_rep)
    wanted = nth_working_day(2)
    data = quote_data(
        shop,
        quantity=3,
        wanted=wanted,
        action="exception",
        requested_date=wanted.isoformat(),
        scope_note="Launch event on that day",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(QUOTE, data)
    request = ExceptionRequest.objects.get()
    assert response.status_code == 302
    assert request.requested_by == sales_rep and request.status == "pending"
    assert request.scope_note == "Launch event on that day"
    assert Notification.objects.filter(user=ops_manager, read=False).count() == 1


# --- deal page ------------------------------------------------------------------------------


def test_deal_page_shows_lines_hold_and_history(client, shop, sales_rep, ops_manager):
    client.force_login(sales_rep)
    client.post(
        QUOTE,
        quote_data(shop, quantity=2, wanted=nth_working_day(30), action="hold", hold_days="7"),
    )
    deal = Deal.objects.get()
    for user in (sales_rep, ops_manager):
        client.force_login(user)
        page = client.get(f"/sales/deals/{deal.pk}/").content.decode()
        assert "Website build" in page and "Held until" in page
        assert "Capacity held" in page and "Deal lines changed" in page and "by rep" in page
        assert "hold.placed" not in page and "deal.lines_set" not in page


def test_deal_page_is_not_for_outsiders(client, shop, sales_rep, outsider):
    deal = deal_for(shop, sales_rep)
    client.force_login(outsider)
    assert client.get(f"/sales/deals/{deal.pk}/").status_code == 403


# --- operations inbox -------------------------------------------------------------------------


def _pending(shop, rep, *, wanted: datetime.date) -> ExceptionRequest:
    deal = deal_for(shop, rep, quantity=3)
    return ExceptionRequest.objects.create(
        deal=deal,
        requested_date=wanted,
        scope_note="big launch",
        scope_lines=[[shop.offering.pk, None, 3]],
        requested_by=rep,
    )


def test_sales_cannot_see_inbox_or_decide(client, shop, sales_rep):
    request = _pending(shop, sales_rep, wanted=nth_working_day(2))
    client.force_login(sales_rep)
    assert client.get("/sales/exceptions/").status_code == 403
    response = client.post(
        f"/sales/exceptions/{request.pk}/decide/",
        {f"x{request.pk}-decision": "approve", f"x{request.pk}-comment": "fine"},
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "pending" and request.decided_by is None


def test_sales_deal_page_has_no_decision_buttons(client, shop, sales_rep):
    request = _pending(shop, sales_rep, wanted=nth_working_day(2))
    client.force_login(sales_rep)
    page = client.get(f"/sales/deals/{request.deal.pk}/").content.decode()
    assert "Pending" in page and "Approve" not in page and "Decide" not in page


def test_ops_sees_pending_request_with_engine_view_and_decision_form(
    client, shop, sales_rep, ops_manager
):
    request = _pending(shop, sales_rep, wanted=nth_working_day(2))
    client.force_login(ops_manager)
    response = client.get("/sales/exceptions/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "big launch" in page and 'value="approve"' in page and "Overtime %" in page
    [(item, answer, _problem, _form, _scope)] = response.context["pending"]
    assert item == request and answer is not None and answer.can_promise is False
    assert "Does not fit" in page and "Bottleneck: developer" in page


def test_ops_approves_with_overtime_and_sales_is_notified(
    client, shop, sales_rep, ops_manager, django_capture_on_commit_callbacks
):
    request = _pending(shop, sales_rep, wanted=nth_working_day(2))
    client.force_login(ops_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/sales/exceptions/{request.pk}/decide/",
            {
                f"x{request.pk}-decision": "approve",
                f"x{request.pk}-comment": "Overtime agreed",
                f"x{request.pk}-overtime_percent": "20",
            },
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == ops_manager
    assert str(request.overtime_share) == "0.20" and "overtime" in request.impact
    assert Notification.objects.filter(user=sales_rep).count() == 1


def test_htmx_decision_returns_the_decided_row(client, shop, sales_rep, ops_manager):
    request = _pending(shop, sales_rep, wanted=nth_working_day(2))
    client.force_login(ops_manager)
    response = client.post(
        f"/sales/exceptions/{request.pk}/decide/",
        {f"x{request.pk}-decision": "decline", f"x{request.pk}-comment": "No capacity"},
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert page.lstrip().startswith("<li") and "Declined" in page
    request.refresh_from_db()
    assert request.status == "declined"


def test_propose_without_date_names_the_field_and_changes_nothing(
    client, shop, sales_rep, ops_manager
):
    request = _pending(shop, sales_rep, wanted=nth_working_day(2))
    client.force_login(ops_manager)
    before = counts()
    response = client.post(
        f"/sales/exceptions/{request.pk}/decide/",
        {f"x{request.pk}-decision": "propose", f"x{request.pk}-comment": "later"},
    )
    assert response.status_code == 400
    assert "Proposed date: give the date you can offer." in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending" and counts() == before


def test_nobody_decides_their_own_request(client, shop, superuser):
    request = _pending(shop, superuser, wanted=nth_working_day(2))
    client.force_login(superuser)
    response = client.post(
        f"/sales/exceptions/{request.pk}/decide/",
        {f"x{request.pk}-decision": "approve", f"x{request.pk}-comment": "mine"},
    )
    assert response.status_code == 403
    assert "Nobody decides their own exception request." in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending"


def test_sales_commits_the_approved_date_on_the_deal_page(client, shop, sales_rep, ops_manager):
    wanted = nth_working_day(2)
    request = _pending(shop, sales_rep, wanted=wanted)
    client.force_login(ops_manager)
    client.post(
        f"/sales/exceptions/{request.pk}/decide/",
        {
            f"x{request.pk}-decision": "approve_beyond_capacity",  # 15 days of work by day 2
            f"x{request.pk}-comment": "ok",
        },
    )
    client.force_login(sales_rep)
    page = client.get(f"/sales/deals/{request.deal.pk}/").content.decode()
    assert f"Commit {dateformat.format(wanted, 'j M Y')}" in page
    key = str(uuid.uuid4())
    data = {
        "promised_date": wanted.isoformat(),
        "exception": str(request.pk),
        "idempotency_key": key,
    }
    for _ in range(2):
        response = client.post(f"/sales/deals/{request.deal.pk}/commit/", data)
        assert response.status_code == 302
    promise = Promise.objects.get()
    assert promise.approval == request and promise.promised_date == wanted
    assert capacity_violations(connection) == []


def test_deal_commit_with_bad_input_is_refused(client, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    client.force_login(sales_rep)
    before = counts()
    response = client.post(
        f"/sales/deals/{deal.pk}/commit/", {"promised_date": "soon", "idempotency_key": "x"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Promised date: Enter a valid date." in page
    assert counts() == before


# --- promise sheet ------------------------------------------------------------------------------


def _committed(client, shop, rep) -> Promise:
    shop.sop.deliverables = "Responsive website\n- Admin training"
    shop.sop.checkin_cadence_days = 14
    shop.sop.checkin_channels = "video call"
    shop.sop.save()
    client.force_login(rep)
    promised = nth_working_day(20)
    client.post(
        QUOTE,
        quote_data(shop, wanted=promised, action="commit", promised_date=promised.isoformat()),
    )
    return Promise.objects.get()


def _pdf_text(pdf: bytes) -> str:
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            text.append(stream.decode("latin-1"))
    return "\n".join(text)


def test_promise_sheet_shows_deliverables_timeline_checkins_and_names(client, shop, sales_rep):
    promise = _committed(client, shop, sales_rep)
    response = client.get(f"/sales/promises/{promise.pk}/sheet/")
    page = response.content.decode()
    assert response.status_code == 200
    assert dateformat.format(promise.promised_date, "j F Y") in page
    assert "Responsive website" in page and "Admin training" in page
    assert "Timeline by phase" in page and "every 14 days by video call" in page
    [phase] = response.context["sheet"].timeline
    assert phase.name == "Build" and phase.start <= phase.end <= promise.promised_date
    assert "Sales owner" in page and "rep" in page


def test_promise_sheet_pdf_is_a_pdf_with_the_promised_date(client, shop, sales_rep):
    promise = _committed(client, shop, sales_rep)
    response = client.get(f"/sales/promises/{promise.pk}/sheet.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert f"Promised delivery date: {promise.promised_date:%d %B %Y}" in text
    assert "every 14 days by video call" in text and "  - Build: " in text


# --- notifications -------------------------------------------------------------------------------


def test_notifications_show_in_the_top_bar_and_can_be_marked_read(client, shop, sales_rep):
    deal = deal_for(shop, sales_rep)
    Notification.objects.create(user=sales_rep, deal=deal, text="Operations approved Acme site")
    client.force_login(sales_rep)
    page = client.get(QUOTE).content.decode()
    assert "Operations approved Acme site" in page and "1 unread" in page
    response = client.post(reverse("promising:notifications-read"), {"next": QUOTE}, **HTMX)
    assert response.status_code == 200 and "No new notifications." in response.content.decode()
    assert Notification.objects.get().read is True


def test_notifications_read_refuses_offsite_redirects(client, sales_rep):
    client.force_login(sales_rep)
    response = client.post(
        reverse("promising:notifications-read"), {"next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_htmx_request_never_acts_only_asks(client, shop, sales_rep):
    client.force_login(sales_rep)
    before = counts()
    wanted = nth_working_day(2)
    for action in ("hold", "commit", "exception"):
        data = quote_data(
            shop,
            quantity=3,
            wanted=wanted,
            action=action,
            requested_date=wanted.isoformat(),
            promised_date=wanted.isoformat(),
            scope_note="x",
        )
        response = client.post(QUOTE, data, **HTMX)
        assert response.status_code == 200
        assert 'data-verdict="no"' in response.content.decode()
    assert counts() == before


def test_refreshed_answer_keeps_the_typed_exception_note_and_hold_days(client, shop, sales_rep):
    client.force_login(sales_rep)
    data = quote_data(
        shop, quantity=3, wanted=nth_working_day(2), scope_note="Trade fair", hold_days="3"
    )
    page = client.post(QUOTE, data, **HTMX).content.decode()
    assert ">\nTrade fair</textarea>" in page and 'name="hold_days" value="3"' in page


def test_posts_without_csrf_token_are_refused_and_write_nothing(shop, sales_rep):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sales_rep)
    before = counts()
    promised = nth_working_day(30)
    data = quote_data(shop, wanted=promised, action="commit", promised_date=promised.isoformat())
    assert client.post(QUOTE, data).status_code == 403
    assert counts() == before
    page = client.get(QUOTE).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page and "X-CSRFToken" in page


def test_sheet_of_an_exception_promise_does_not_show_plan_dates_after_the_promise(
    client, shop, sales_rep, ops_manager
):
    wanted = nth_working_day(2)
    request = _pending(shop, sales_rep, wanted=wanted)
    client.force_login(ops_manager)
    client.post(
        f"/sales/exceptions/{request.pk}/decide/",
        {
            f"x{request.pk}-decision": "approve_beyond_capacity",  # 15 days of work by day 2
            f"x{request.pk}-comment": "ok",
        },
    )
    client.force_login(sales_rep)
    data = {
        "promised_date": wanted.isoformat(),
        "exception": str(request.pk),
        "idempotency_key": str(uuid.uuid4()),
    }
    client.post(f"/sales/deals/{request.deal.pk}/commit/", data)
    promise = Promise.objects.get()
    response = client.get(f"/sales/promises/{promise.pk}/sheet/")
    sheet = response.context["sheet"]
    assert sheet.planned_finish_after_promise > promise.promised_date
    assert [(p.start, p.end) for p in sheet.timeline] == [(None, None)]
    assert "after the promised date" in response.content.decode()
    assert "beyond capacity, agreed by operations" in response.content.decode()
