"""Every URL and every API operation, as each kind of visitor: the status each one gets.

The tables below are the authorisation matrix of docs/permissions.md, one row per URL
(Django's resolver) and per API operation (the OpenAPI schema); a URL or operation missing
from them fails the test, so a new one is decided before it ships. Some rows repeat a URL
on another object: another seller's deal, an exception its asker would decide, a person's
own page, a calendar feed's secret (any visitor may use it, and its user's rights decide).

Columns: anonymous; no_role (signed in, in no group); sales_a (owns the deals below);
sales_b (another seller); operations; admin (the admin group, not staff) with a session;
admin_token (the admin's API token, no session). Pages are visited with a session; the API
with each user's bearer token, except in the admin column, which sends the admin's session
to the API (it takes tokens only). Statuses: a number, or "login" (302 to the sign-in page),
"adminlogin" (302 to the admin's sign-in page).
"""

# ruff: noqa: F811  (fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import cached_property
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from promisekeeper.api.api import api
from promisekeeper.api.services import api_token_create
from promisekeeper.delivery.models import CheckIn, ProjectAssignment, ProjectPhase, TimesheetImport
from promisekeeper.insights.feeds import feed_token_issue, feed_token_revoke
from promisekeeper.organisation.services import group_permissions_sync
from promisekeeper.people.models import Person
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.exceptions import exception_request
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.redates import redate_propose
from promisekeeper.sales.models import CustomerNotice, Deal, RedateRequest
from tests.factories import (
    PersonFactory,
    ProjectFactory,
    ProjectPhaseFactory,
    SkillFactory,
    UserFactory,
)
from tests.sales.conftest import deal_for, nth_working_day, shop_create

pytestmark = pytest.mark.django_db

COLUMNS = ("anonymous", "no_role", "sales_a", "sales_b", "operations", "admin", "admin_token")

PAGES = """
url name                      method  object            anonymous no_role sales_a sales_b operations admin adm_token
favicon.ico                   GET     -                 302     302     302     302     302     302     302
login                         GET     -                 200     200     200     200     200     200     200
logout                        POST    -                 login   login   login   login   login   login   login
api-1:openapi-json            GET     -                 200     200     200     200     200     200     200
api-1:openapi-view            GET     -                 200     200     200     200     200     200     200
api-1:api-root                GET     -                 404     404     404     404     404     404     404
insights:plotly_js            GET     -                 200     200     200     200     200     200     200
insights:dashboard            GET     -                 login   403     200     200     200     200     login
insights:timeline             GET     -                 login   403     200     200     200     200     login
insights:heatmap              GET     -                 login   403     200     200     200     200     login
insights:heatmap_cell         GET     role_cell         login   403     200     200     200     200     login
insights:heatmap_cell         GET     person_cell       login   403     403     403     200     200     login
insights:heatmap_csv          GET     -                 login   403     200     200     200     200     login
insights:at_risk_csv          GET     -                 login   403     200     200     200     200     login
insights:deals                GET     -                 login   403     200     200     200     200     login
insights:deals                GET     csv               login   403     200     200     200     200     login
insights:kpis                 GET     -                 login   403     200     200     200     200     login
promising:quote               GET     -                 login   403     200     200     200     200     login
promising:deal                GET     deal_a            login   403     200     200     200     200     login
promising:deal-commit         POST    deal_a            login   403     302     403     403     302     login
promising:exceptions          GET     -                 login   403     403     403     200     200     login
promising:exception-decide    POST    asked_by_a        login   403     403     403     302     302     login
promising:exception-decide    POST    asked_by_admin    login   403     403     403     302     403     login
promising:promise-sheet       GET     promise           login   403     200     200     200     200     login
promising:promise-sheet-pdf   GET     promise           login   403     200     200     200     200     login
promising:deal-redate         POST    promised_redate   login   403     302     403     302     302     login
promising:deal-cancel         POST    promised_cancel   login   403     302     403     302     302     login
promising:redate-decide       POST    redate_by_a       login   403     403     403     302     302     login
promising:notice              GET     notice            login   403     200     200     200     200     login
promising:notice-sheet-pdf    GET     notice            login   403     200     200     200     200     login
promising:notifications       GET     -                 login   200     200     200     200     200     login
promising:notifications-read  POST    -                 login   302     302     302     302     302     login
delivery:projects             GET     -                 login   403     200     200     200     200     login
delivery:projects             GET     csv               login   403     200     200     200     200     login
delivery:project_detail       GET     project           login   403     200     200     200     200     login
delivery:project_thank        POST    project           login   403     302     302     302     302     login
delivery:project_phases       GET     project_phase     login   403     200     200     200     200     login
delivery:project_phases       GET     own_project_phase login   200     200     200     200     200     login
delivery:project_phases       POST    project_phase     login   403     403     403     302     302     login
delivery:project_phases       POST    own_project_phase login   302     403     403     302     302     login
delivery:project_calendar     GET     project           login   403     200     200     200     200     login
delivery:checkins             GET     -                 login   403     200     200     200     200     login
delivery:checkin_done         POST    checkin           login   403     302     403     302     302     login
delivery:checkin_owner        POST    checkin           login   403     403     403     302     302     login
delivery:timesheets           GET     -                 login   302     403     403     200     200     login
delivery:timesheet            GET     person            login   403     403     403     200     200     login
delivery:timesheet            GET     own_person        login   200     403     403     200     200     login
delivery:timesheet            POST    person            login   403     403     403     302     302     login
delivery:timesheet            POST    own_person        login   302     403     403     302     302     login
delivery:timesheet_import     GET     -                 login   403     403     403     200     200     login
delivery:timesheet_import     POST    -                 login   403     403     403     400     400     login
delivery:timesheet_import_detail GET  timesheet_import  login   403     403     403     200     200     login
delivery:timesheet_import_detail POST timesheet_import  login   403     403     403     302     302     login
catalog:offerings             GET     -                 login   403     200     200     200     200     login
catalog:offerings             GET     csv               login   403     200     200     200     200     login
catalog:offering_detail       GET     offering          login   403     200     200     200     200     login
people:people                 GET     -                 login   403     403     403     200     200     login
people:people                 GET     csv               login   403     403     403     200     200     login
people:person_new             GET     -                 login   403     403     403     200     200     login
people:person_detail          GET     person            login   403     403     403     200     200     login
people:person_detail          GET     own_person        login   200     403     403     200     200     login
people:person_calendar        GET     person            login   403     403     403     200     200     login
people:person_calendar        GET     own_person        login   200     403     403     200     200     login
feeds:calendar_feeds          GET     -                 login   200     200     200     200     200     login
feeds:calendar_feeds          POST    issue             login   200     200     200     200     200     login
feeds:person                  GET     feed_of_a         200     200     200     200     200     200     200
feeds:person                  GET     feed_revoked      404     404     404     404     404     404     404
feeds:project                 GET     project_feed_of_a 200     200     200     200     200     200     200
feeds:project                 GET     project_feed_of_nobody 403     403     403     403     403     403     403
feeds:team                    GET     team_feed_of_a    200     200     200     200     200     200     200
feeds:team                    GET     team_feed_of_nobody 403     403     403     403     403     403     403
admin:*                       GET     every_changelist  adminlogin adminlogin adminlogin adminlogin adminlogin 200 adminlogin
"""

API = """
method  path                                        object          anonymous no_role sales_a sales_b operations admin adm_token
GET     /api/health                                 -               200     200     200     200     200     200     200
GET     /api/me                                     -               401     200     200     200     200     401     200
POST    /api/quotes                                 -               401     403     200     200     200     401     200
POST    /api/holds                                  deal_a          401     403     201     403     403     401     201
POST    /api/commits                                deal_a          401     403     201     403     403     401     201
POST    /api/deals/{deal_id}/reschedule             promised        401     403     201     403     201     401     201
POST    /api/deals/{deal_id}/cancel                 promised        401     403     200     403     200     401     200
POST    /api/exceptions                             deal_a          401     403     201     403     403     401     201
POST    /api/exceptions/{request_id}/decision       asked_by_a      401     403     403     403     200     401     200
POST    /api/exceptions/{request_id}/decision       asked_by_admin  401     403     403     403     200     401     403
GET     /api/deals/{deal_id}/history                deal_a          401     403     200     200     200     401     200
GET     /api/timesheets                             -               401     200     403     403     200     401     200
PUT     /api/timesheets                             entry           401     403     403     403     200     401     200
PUT     /api/timesheets                             own_entry       401     200     403     403     200     401     200
GET     /api/projects/{project_id}/phases           project_phase   401     403     200     200     200     401     200
GET     /api/projects/{project_id}/phases           own_project_phase 401   200     200     200     200     401     200
POST    /api/phases/{phase_id}/report               project_phase   401     403     403     403     200     401     200
POST    /api/phases/{phase_id}/report               own_project_phase 401   200     403     403     200     401     200
POST    /api/deals/{deal_id}/redates                promised_redate 401     403     200     403     200     401     200
POST    /api/redates/{request_id}/decision          redate_by_a     401     403     403     403     200     401     200
"""


def _rows(table: str) -> list[tuple[str, str, str, dict[str, str]]]:
    lines = [line.split() for line in table.strip().splitlines()[1:]]
    return [(a, b, c, dict(zip(COLUMNS, statuses, strict=True))) for a, b, c, *statuses in lines]


PAGE_ROWS = _rows(PAGES)
API_ROWS = [(method, path, obj, expected) for method, path, obj, expected in _rows(API)]


class World:
    """A small shop, one user per column, and the objects the rows name."""

    def __init__(self) -> None:
        groups = group_permissions_sync()
        self.shop = shop_create()
        self.users = {
            "no_role": UserFactory(username="no-role"),
            "sales_a": UserFactory(username="sales-a"),
            "sales_b": UserFactory(username="sales-b"),
            "operations": UserFactory(username="operations"),
            "admin": UserFactory(username="administrator"),
        }
        for column, group in [
            ("sales_a", "sales"),
            ("sales_b", "sales"),
            ("operations", "operations"),
            ("admin", "admin"),
        ]:
            self.users[column].groups.add(groups[group] if group in groups else Group())
        self.deal_a = deal_for(self.shop, self.users["sales_a"], name="A's deal")
        self.asked_by_a = exception_request(
            user=self.users["sales_a"], deal=self.deal_a, requested_date=nth_working_day(2)
        )
        deal_admin = deal_for(self.shop, self.users["admin"], name="The admin's deal")
        self.asked_by_admin = exception_request(
            user=self.users["admin"], deal=deal_admin, requested_date=nth_working_day(2)
        )
        self.person = self.shop.person
        self.own_person = PersonFactory(user=self.users["no_role"])
        self.project = ProjectFactory(customer=self.shop.customer)

    @cached_property
    def timesheet_phase(self) -> ProjectPhase:
        """A developer phase both the shop's developer and the no-role person may log on."""
        SkillFactory(person=self.own_person, role=self.shop.role)
        return ProjectPhaseFactory(project=self.project, role=self.shop.role)

    @cached_property
    def assigned_phase(self) -> ProjectPhase:
        """The same phase, with the no-role person assigned to its project."""
        ProjectAssignment.objects.create(project=self.project, person=self.own_person)
        return self.timesheet_phase

    @cached_property
    def timesheet_import(self) -> TimesheetImport:
        return TimesheetImport.objects.create(
            file_name="hours.csv", content="person email,date,project,phase,hours\n"
        )

    @cached_property
    def checkin(self) -> CheckIn:
        """A customer check-in sales_a owns."""
        return CheckIn.objects.create(
            project=self.project,
            kind=CheckIn.Kind.CUSTOMER,
            due_date=timezone.localdate(),
            owner=self.users["sales_a"],
        )

    def feed(self, column: str, *, revoked: bool = False) -> str:
        """A calendar feed secret of the column's user (ended, if ``revoked``)."""
        secret = feed_token_issue(user=self.users[column])
        if revoked:
            feed_token_revoke(user=self.users[column])
        return secret

    def token(self, column: str) -> str:
        return api_token_create(user=self.users[column.replace("admin_token", "admin")])[1]

    @cached_property
    def promised(self) -> Deal:
        """A deal of sales_a's, promised five working days out."""
        deal = deal_for(self.shop, self.users["sales_a"], name="A's promised deal")
        lines = [QuoteLine(quantity=1, offering_id=self.shop.offering.pk)]
        date = nth_working_day(5)
        result = promise_commit(
            user=self.users["sales_a"],
            deal=deal,
            lines=lines,
            promised_date=date,
            idempotency_key="matrix-promise",
            request_fingerprint=commit_fingerprint(
                deal_id=deal.pk, lines=lines, promised_date=date, exception_id=None
            ),
        )
        assert result.status == "committed"
        return deal

    @cached_property
    def redate_by_a(self) -> RedateRequest:
        """sales_a's move of the promised deal for our capacity, waiting for operations."""
        outcome = redate_propose(
            user=self.users["sales_a"],
            deal=self.promised,
            promised_date=nth_working_day(9),
            reason_code="our_capacity",
            note="",
            idempotency_key="matrix-redate-request",
        )
        assert outcome.status == "requested" and outcome.request is not None
        return outcome.request

    @cached_property
    def notice(self) -> CustomerNotice:
        """The customer notice of the promised deal's new date."""
        outcome = redate_propose(
            user=self.users["sales_a"],
            deal=self.promised,
            promised_date=nth_working_day(9),
            reason_code="customer_change",
            note="",
            idempotency_key="matrix-redate",
        )
        assert outcome.status == "applied"
        return CustomerNotice.objects.get(deal=self.promised)


# What each object name means for a page: (URL arguments, query string, form data).
Target = tuple[list[Any], dict[str, str], dict[str, Any]]
PAGE_TARGETS: dict[str, Callable[[World], Target]] = {
    "-": lambda w: ([], {}, {}),
    "csv": lambda w: ([], {"format": "csv"}, {}),
    "role_cell": lambda w: ([], {"row": "role:developer", "week": "0"}, {}),
    "person_cell": lambda w: ([], {"row": f"person:{w.person.pk}", "week": "0"}, {}),
    "deal_a": lambda w: (
        [w.deal_a.pk],
        {},
        {"promised_date": nth_working_day(5), "idempotency_key": uuid.uuid4()},
    ),
    "asked_by_a": lambda w: _decision(w.asked_by_a.pk),
    "asked_by_admin": lambda w: _decision(w.asked_by_admin.pk),
    "promise": lambda w: ([w.promised.promises.get().pk], {}, {}),
    "promised_redate": lambda w: (
        [w.promised.pk],
        {},
        {
            "promised_date": nth_working_day(9),
            "reason_code": "customer_change",
            "note": "",
            "idempotency_key": uuid.uuid4(),
        },
    ),
    "promised_cancel": lambda w: ([w.promised.pk], {}, {"reason": "The customer withdrew."}),
    "redate_by_a": lambda w: ([w.redate_by_a.pk], {}, {"decision": "decline", "comment": "No."}),
    "notice": lambda w: ([w.notice.pk], {}, {}),
    "project": lambda w: ([w.project.pk], {}, {"text": "Thanks!"}),
    "checkin": lambda w: (
        [w.checkin.pk],
        {},
        {"notes": "Called; all on track.", "owner": w.users["sales_b"].pk},
    ),
    "project_phase": lambda w: (
        [w.project.pk],
        {},
        {"phase": w.timesheet_phase.pk, "state": "in_progress"},
    ),
    "own_project_phase": lambda w: (
        [w.project.pk],
        {},
        {"phase": w.assigned_phase.pk, "state": "in_progress"},
    ),
    "offering": lambda w: ([w.shop.offering.pk], {}, {}),
    "issue": lambda w: ([], {}, {"action": "issue"}),
    "feed_of_a": lambda w: ([w.feed("sales_a")], {}, {}),
    "feed_revoked": lambda w: ([w.feed("sales_a", revoked=True)], {}, {}),
    "project_feed_of_a": lambda w: ([w.feed("sales_a"), w.project.pk], {}, {}),
    "project_feed_of_nobody": lambda w: ([w.feed("no_role"), w.project.pk], {}, {}),
    "team_feed_of_a": lambda w: ([w.feed("sales_a"), w.shop.role.pk], {}, {}),
    "team_feed_of_nobody": lambda w: ([w.feed("no_role"), w.shop.role.pk], {}, {}),
    "timesheet_import": lambda w: ([w.timesheet_import.pk], {}, {}),
    "person": lambda w: ([w.person.pk], {}, {}),
    "own_person": lambda w: ([w.own_person.pk], {}, {}),
}


def _decision(pk: int) -> Target:
    return [pk], {}, {f"x{pk}-decision": "decline", f"x{pk}-comment": "No capacity."}


API_BODIES: dict[str, Callable[[World, str], tuple[dict[str, Any], dict[str, Any]]]] = {
    # (path parameters, JSON body) for each API row's object.
    "-": lambda w, path: (
        {},
        {"lines": [{"offering_id": w.shop.offering.pk, "quantity": 1}]},
    ),
    "deal_a": lambda w, path: (
        {"deal_id": w.deal_a.pk},
        {
            "deal_id": w.deal_a.pk,
            "days": 7,
            "lines": [{"offering_id": w.shop.offering.pk, "quantity": 1}],
            "promised_date": str(nth_working_day(5)),
            "requested_date": str(nth_working_day(2)),
        },
    ),
    "promised": lambda w, path: (
        {"deal_id": w.promised.pk},
        {"promised_date": str(nth_working_day(9)), "reason": "The customer asked."},
    ),
    "asked_by_a": lambda w, path: (
        {"request_id": w.asked_by_a.pk},
        {"decision": "decline", "comment": "No capacity."},
    ),
    "asked_by_admin": lambda w, path: (
        {"request_id": w.asked_by_admin.pk},
        {"decision": "decline", "comment": "No capacity."},
    ),
    "entry": lambda w, path: ({}, _hours(w, w.person)),
    "own_entry": lambda w, path: ({}, _hours(w, w.own_person)),
    "project_phase": lambda w, path: (
        {"project_id": w.project.pk, "phase_id": w.timesheet_phase.pk},
        {"state": "in_progress"},
    ),
    "own_project_phase": lambda w, path: (
        {"project_id": w.project.pk, "phase_id": w.assigned_phase.pk},
        {"state": "in_progress"},
    ),
    "promised_redate": lambda w, path: (
        {"deal_id": w.promised.pk},
        {"promised_date": str(nth_working_day(9)), "reason_code": "customer_change"},
    ),
    "redate_by_a": lambda w, path: (
        {"request_id": w.redate_by_a.pk},
        {"decision": "decline", "comment": "No."},
    ),
}


def _hours(world: World, person: Person) -> dict[str, Any]:
    entry = {"person_id": person.pk, "phase_id": world.timesheet_phase.pk, "hours": 2}
    return {"entries": [{**entry, "date": str(timezone.localdate())}]}


def _client(world: World, column: str, *, api_call: bool) -> tuple[Client, dict[str, str]]:
    client = Client()
    if column == "anonymous":
        return client, {}
    if column == "admin_token" or (api_call and column != "admin"):
        return client, {"Authorization": f"Bearer {world.token(column)}"}
    client.force_login(world.users[column])
    return client, {}


def _outcome(response: Any) -> str:
    location = response.get("Location", "") if response.status_code == 302 else ""
    if location.startswith(reverse("admin:login")):
        return "adminlogin"
    if location.startswith(reverse("login")):
        return "login"
    return str(response.status_code)


def _urls(patterns: list[Any], namespace: str = "", prefix: str = "") -> dict[str, str]:
    """Every URL's name (or route, if unnamed) and its route; the admin counts as one."""
    found: dict[str, str] = {}
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                found["admin:*"] = route
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= _urls(pattern.url_patterns, inner, route)
        elif isinstance(pattern, URLPattern):
            found[f"{namespace}{pattern.name}" if pattern.name else route] = route
    return found


def _api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema(path_prefix="/api/")
    return {(m.upper(), path) for path, methods in schema["paths"].items() for m in methods}


def test_every_url_is_in_the_matrix():
    """URLs of API operations are in the API table; every other URL is in the page table."""
    api_paths = {path for _, path in _api_operations()}
    pages = {
        name
        for name, route in _urls(get_resolver().url_patterns).items()
        if "/" + route.replace("<", "{").replace(">", "}") not in api_paths
    }
    assert pages == {name for name, *_ in PAGE_ROWS}


def test_every_api_operation_is_in_the_matrix():
    assert _api_operations() == {(method, path) for method, path, *_ in API_ROWS}


@pytest.fixture
def world() -> World:
    return World()


def _page_id(row: tuple[str, str, str, dict[str, str]]) -> str:
    return f"{row[0]}[{row[2]}]"


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("row", PAGE_ROWS, ids=[_page_id(r) for r in PAGE_ROWS])
def test_page_status(world, row, column):
    name, method, target, expected = row
    client, headers = _client(world, column, api_call=name.startswith("api-1:"))
    if name == "admin:*":
        _admin_pages_answer(client, headers, expected[column])
        return
    args, query, data = PAGE_TARGETS[target](world)
    url = reverse(name, args=args) if ":" in name or name in ("login", "logout") else f"/{name}"
    if method == "GET":
        response = client.get(url, query, headers=headers)
    else:
        response = client.post(url if not query else f"{url}?{query}", data, headers=headers)
    response.close()
    assert _outcome(response) == expected[column]


def _admin_pages_answer(client: Client, headers: dict[str, str], expected: str) -> None:
    urls = [reverse("admin:index")] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]
    outcomes = {url: _outcome(client.get(url, headers=headers)) for url in urls}
    assert outcomes == dict.fromkeys(urls, expected)


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("row", API_ROWS, ids=[f"{r[0]} {r[1]}[{r[2]}]" for r in API_ROWS])
def test_api_status(world, row, column):
    method, path, target, expected = row
    client, headers = _client(world, column, api_call=True)
    parameters, body = API_BODIES[target](world, path)
    url = path.format(**parameters)
    if method == "GET":
        response = client.get(url, headers=headers)
    else:
        headers = {**headers, "Idempotency-Key": f"matrix-{column}"}
        send = getattr(client, method.lower())
        response = send(url, body, content_type="application/json", headers=headers)
    assert _outcome(response) == expected[column], response.content[:300]
