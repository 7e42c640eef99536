from __future__ import annotations

import csv
import datetime
import io
import re

import plotly.graph_objects as go
import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from promisekeeper.delivery.models import Project, ProjectAssignment, ThankYouNote
from promisekeeper.demo.seed import demo_company_create
from promisekeeper.insights import charts
from promisekeeper.organisation.permissions import is_admin, is_operations, is_sales
from promisekeeper.promising.cache import plan_cache_clear
from promisekeeper.sales.models import Deal, ExceptionRequest, Hold
from tests import factories

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_dashboard_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_login_with_demo_account_lands_on_the_full_dashboard(client):
    demo_company_create(seed=1, size="S")
    response = client.post(
        reverse("login"), {"username": "sales", "password": "promise-demo"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Northwind Digital &amp; Installations" in page
    assert "htmx" in page
    assert {tile.key for tile, _ in response.context["tiles"]} == {
        "on_time",
        "slip",
        "forecast",
        "utilisation",
        "backlog",
        "pipeline",
    }
    assert response.context["gantt_rows"], "the demo has committed work to draw"
    assert 'id="heat-figure"' in page and 'id="gantt-figure"' in page
    for tile, figure in response.context["tiles"]:
        go.Figure(figure)  # raises on any invalid Plotly property
        assert f'title="{tile.formula}"' in page.replace("&#x27;", "'") or tile.formula[:20] in page


def test_wrong_password_stays_on_login(client):
    demo_company_create(seed=1, size="S")
    response = client.post(reverse("login"), {"username": "sales", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_logout_is_a_post_and_ends_the_session(client, sales_user):
    client.force_login(sales_user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_dashboard_without_organisation_still_renders(client, sales_user):
    client.force_login(sales_user)
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["organisation_name"] == "Promisekeeper"
    assert response.context["at_risk"] == []


def test_group_helpers_follow_membership(sales_user, ops_user, outsider, superuser):
    assert is_sales(sales_user) and not is_operations(sales_user)
    assert is_operations(ops_user) and not is_sales(ops_user)
    assert not (is_sales(outsider) or is_operations(outsider) or is_admin(outsider))
    assert is_sales(superuser) and is_operations(superuser) and is_admin(superuser)


def test_history_tiles_show_known_values(client, world, sales_user):
    client.force_login(sales_user)
    tiles = {tile.key: tile for tile, _ in client.get("/").context["tiles"]}
    # One delivery kept (2 days early), one 4 days late.
    assert tiles["on_time"].value == "50 %"
    assert tiles["slip"].value == "4.0 days"
    # |50 − 40| + |40 − 40| over 90 actual hours → 1 − 10/90 ≈ 89 %.
    assert tiles["forecast"].value == "89 %"
    assert len(tiles["on_time"].trend) == 12


def test_plan_tiles_use_the_planned_load(client, world, sales_user):
    client.force_login(sales_user)
    context = client.get("/").context
    tiles = {tile.key: tile for tile, _ in context["tiles"]}
    capacity = {row.key: sum(row.capacity) for row in context["heat_rows"]}
    # 80 committed developer hours; Ada is the only developer, Ben the only designer.
    used = 80 / (capacity["role:developer"] + capacity["role:designer"])
    assert tiles["utilisation"].value == f"{used * 100:.0f} %"
    weekly_developer = capacity["role:developer"] / 12
    backlog = dict(tiles["backlog"].details)
    assert backlog["developer"] == f"{80 / weekly_developer:.1f} wk"
    assert backlog["designer"] == "0.0 wk"
    assert tiles["backlog"].value.endswith("(developer)")
    # No open deals: no pipeline demand.
    assert tiles["pipeline"].value.startswith("0 h /")


def test_every_tile_explains_its_formula_on_hover_and_focus(client, world, sales_user):
    client.force_login(sales_user)
    page = client.get("/").content.decode()
    assert page.count('<article class="kpi') == 6
    assert page.count('tabindex="0" title="') == 6
    assert page.count('class="formula"') == 6


def test_at_risk_lists_the_late_project_with_phase_and_role(client, world, ops_user):
    client.force_login(ops_user)
    response = client.get("/")
    rows = response.context["at_risk"]
    assert [row.project.pk for row in rows] == [world.tight.pk]
    assert "Build" in rows[0].reason and "developer" in rows[0].reason
    assert rows[0].project.lateness_days > 0
    with_threshold = _csv(client.get(reverse("insights:at_risk_csv")))
    assert [int(r["project_id"]) for r in with_threshold] == [world.tight.pk]


def test_slack_under_the_threshold_is_at_risk(client, world, ops_user):
    from promisekeeper.organisation.models import OrganisationSettings

    OrganisationSettings.objects.update(risk_slack_threshold_days=200)
    client.force_login(ops_user)
    rows = client.get("/").context["at_risk"]
    assert {row.project.pk for row in rows} == {world.tight.pk, world.easy.pk}


def test_heatmap_cell_lists_the_projects_behind_it(client, world, ops_user):
    client.force_login(ops_user)
    facts_weeks = client.get("/").context["heat_weeks"]
    found = set()
    for week in range(len(facts_weeks)):
        response = client.get(
            reverse("insights:heatmap_cell"), {"row": "role:developer", "week": week}
        )
        assert response.status_code == 200
        found |= {item.name for item in response.context["cell_projects"]}
    assert found == {"Tight", "Easy"}
    empty = client.get(reverse("insights:heatmap_cell"), {"row": "role:designer", "week": 0})
    assert empty.context["cell_projects"] == []
    assert client.get(reverse("insights:heatmap_cell"), {"row": "x", "week": 99}).status_code == 404


def test_heatmap_cell_words_a_project_state_for_people(client, world, ops_user):
    Project.objects.filter(pk=world.tight.pk).update(status=Project.Status.IN_DELIVERY)
    plan_cache_clear()
    client.force_login(ops_user)
    pages = "".join(
        client.get(
            reverse("insights:heatmap_cell"), {"row": "role:developer", "week": week}
        ).content.decode()
        for week in range(len(client.get("/").context["heat_weeks"]))
    )
    assert "in delivery" in pages and "in_delivery" not in pages


def test_heatmap_expands_a_role_to_its_people_via_htmx(client, world, ops_user):
    client.force_login(ops_user)
    response = client.get(
        reverse("insights:heatmap"), {"expand": "developer"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert "<html" not in page
    assert "Ada Lovelace" in page
    assert "Ben Design" not in page


def test_heatmap_csv_has_a_line_per_row_and_week(client, world, ops_user):
    client.force_login(ops_user)
    rows = _csv(client.get(reverse("insights:heatmap_csv")))
    assert {r["row"] for r in rows} == {
        "role:designer",
        "role:developer",
        f"person:{world.ada.pk}",
        f"person:{world.ben.pk}",
    }
    assert len(rows) == 4 * 12
    developer = [r for r in rows if r["row"] == "role:developer"]
    assert sum(float(r["committed_held_hours"]) for r in developer) == pytest.approx(80.0)


def test_timeline_filters_by_customer_team_role_and_salesperson(
    client, world, sales_user, ops_user
):
    client.force_login(sales_user)

    def names(**params: object) -> set[str]:
        response = client.get(reverse("insights:timeline"), params)
        return {row.project.name for row in response.context["gantt_rows"]}

    assert names() == {"Tight", "Easy"}
    assert names(customer=world.alpha.pk) == {"Tight"}
    assert names(salesperson=ops_user.pk) == {"Easy"}
    assert names(team=world.digital.pk) == {"Tight", "Easy"}
    assert names(team=world.other.pk) == set()
    assert names(role="designer") == set()
    assert names(role="developer") == {"Tight", "Easy"}


@pytest.mark.parametrize("path", ["/", "/insights/timeline/"])
def test_timeline_htmx_request_returns_only_the_partial(client, world, sales_user, path):
    client.force_login(sales_user)
    response = client.get(
        path,
        {"customer": world.beta.pk},
        headers={"HX-Request": "true", "HX-Target": "timeline"},
    )
    page = response.content.decode()
    assert "<html" not in page and 'id="timeline"' in page
    assert "Easy" in page and ">Tight<" not in page


def test_dashboard_filters_apply_on_a_full_page_load(client, world, sales_user):
    client.force_login(sales_user)
    response = client.get("/", {"customer": world.alpha.pk})
    assert [row.project.name for row in response.context["gantt_rows"]] == ["Tight"]


def test_figures_are_valid_plotly(client, world, ops_user):
    client.force_login(ops_user)
    context = client.get("/").context
    go.Figure(context["heat_figure"])
    go.Figure(context["gantt_figure"])
    late = [t for t in context["gantt_figure"]["data"] if t.get("name") == "late"]
    assert late and late[0]["y"] == ["Tight"]


def test_plotly_js_is_served_from_the_python_package(client):
    response = client.get(reverse("insights:plotly_js"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert len(body) > 1_000_000 and b"plotly" in body[:2000].lower()


def test_salesperson_sees_expiring_holds_and_operations_pending_exceptions(
    client, sales_user, ops_user
):
    deal = factories.DealFactory(name="Soon gone", owner=sales_user, stage=Deal.Stage.HELD)
    Hold.objects.create(
        deal=deal, expires_at=timezone.now() + datetime.timedelta(hours=20), created_by=sales_user
    )
    later = factories.DealFactory(name="Far away", owner=sales_user, stage=Deal.Stage.HELD)
    Hold.objects.create(
        deal=later, expires_at=timezone.now() + datetime.timedelta(days=6), created_by=sales_user
    )
    ExceptionRequest.objects.create(
        deal=deal, requested_date=datetime.date(2031, 1, 6), requested_by=sales_user
    )
    client.force_login(sales_user)
    todos = client.get("/").context["todos"]
    assert [t.kind for t in todos] == ["hold"]
    assert "Soon gone" in todos[0].text and todos[0].url == f"/sales/deals/{deal.pk}/"
    client.force_login(ops_user)
    todos = client.get("/").context["todos"]
    assert [t.kind for t in todos] == ["exception"]


def test_recognition_credits_assigned_people_and_sales_owners(client, world, sales_user):
    ProjectAssignment.objects.create(project=world.done_on_time, person=world.ada)
    client.force_login(sales_user)
    context = client.get("/").context
    credit = [r for r in context["recognition"] if r.project_pk == world.done_on_time.pk]
    assert credit and credit[0].team == ["Ada Lovelace"]
    assert world.done_late.pk not in {r.project_pk for r in context["recognition"]}
    assert [(c.kept, c.total) for c in context["sales_credit"]] == [(1, 2)]


def test_thank_you_note_on_a_delivered_project_shows_in_the_feed(client, world, sales_user):
    client.force_login(sales_user)
    response = client.post(
        reverse("delivery:project_thank", args=[world.done_on_time.pk]),
        {"text": "Brilliant work, Ada!"},
    )
    assert response.status_code == 302
    assert ThankYouNote.objects.get().author == sales_user
    assert "Brilliant work, Ada!" in client.get("/").content.decode()


def test_thank_you_note_on_an_open_project_is_refused(client, world, sales_user):
    client.force_login(sales_user)
    client.post(reverse("delivery:project_thank", args=[world.tight.pk]), {"text": "Too early"})
    assert not ThankYouNote.objects.exists()


def test_deals_list_filters_sorts_and_exports(client, sales_user):
    owner_deal = factories.DealFactory(name="Alpha site", owner=sales_user, stage=Deal.Stage.LEAD)
    factories.DealFactory(name="Beta shop", stage=Deal.Stage.WON)
    factories.DealFactory(name="Gamma app", stage=Deal.Stage.LEAD)
    client.force_login(sales_user)
    url = reverse("insights:deals")
    assert [d.name for d in client.get(url, {"sort": "name"}).context["deals"]] == [
        "Alpha site",
        "Beta shop",
        "Gamma app",
    ]
    assert [d.name for d in client.get(url, {"sort": "-name"}).context["deals"]][0] == "Gamma app"
    assert {d.name for d in client.get(url, {"stage": "lead"}).context["deals"]} == {
        "Alpha site",
        "Gamma app",
    }
    assert [d.pk for d in client.get(url, {"owner": sales_user.pk}).context["deals"]] == [
        owner_deal.pk
    ]
    assert f'href="/sales/deals/{owner_deal.pk}/"' in client.get(url).content.decode()
    rows = _csv(client.get(url, {"q": "beta", "format": "csv"}))
    assert [r["deal"] for r in rows] == ["Beta shop"]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_deal_name_in_the_deals_list_links_to_its_deal_page(client, ops_user, htmx):
    deals = [
        factories.DealFactory(name="Alpha site", stage=Deal.Stage.LEAD),
        factories.DealFactory(name="Beta shop", stage=Deal.Stage.WON),
        factories.DealFactory(name="Gamma & sons", stage=Deal.Stage.PROPOSAL),
    ]
    client.force_login(ops_user)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    page = client.get(reverse("insights:deals"), **headers).content.decode()
    links = dict(re.findall(r'<tr data-deal="\d+"><td><a href="([^"]+)">([^<]+)</a>', page))
    assert links == {reverse("promising:deal", args=[deal.pk]): escape(deal.name) for deal in deals}
    for deal in deals:
        response = client.get(reverse("promising:deal", args=[deal.pk]))
        assert response.status_code == 200 and response.context["deal"] == deal


def test_heatmap_figure_marks_overload(world):
    from promisekeeper.insights.selectors.heatmap import HeatRow

    row = HeatRow("role:x", "x", False, [1.2, 0.5], [None, 0.1], [10, 10], [12, 5], [0, 1])
    figure = charts.heatmap([row], [datetime.date(2026, 3, 2), datetime.date(2026, 3, 9)])
    go.Figure(figure)
    assert figure["data"][0]["z"] == [[120.0, 50.0]]
    assert figure["data"][0]["text"] == [["!", ""]]
    assert [cell["over"] for cell in row.cells] == [True, False]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/insights/deals/",
        "/insights/heatmap/",
        "/insights/timeline/",
        "/insights/heatmap.csv",
        "/insights/at-risk.csv",
        "/insights/heatmap/cell/?row=role:developer&week=0",
    ],
)
def test_every_insights_page_requires_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_pipeline_tile_weighs_open_deals_by_win_probability(client, world, sales_user):
    from decimal import Decimal

    deal = factories.DealFactory(stage=Deal.Stage.LEAD, win_probability=Decimal("0.25"))
    factories.DealLineFactory(deal=deal, offering=world.sop.offering, quantity=1)
    client.force_login(sales_user)
    tiles = {tile.key: tile for tile, _ in client.get("/").context["tiles"]}
    # One 40-hour website at 25 %: 10 probability-weighted hours.
    assert tiles["pipeline"].value.startswith("10 h /")


def test_at_risk_puts_the_latest_first(client, world, ops_user):
    from promisekeeper.organisation.models import OrganisationSettings

    OrganisationSettings.objects.update(risk_slack_threshold_days=200)
    client.force_login(ops_user)
    rows = client.get("/").context["at_risk"]
    assert [row.project.name for row in rows] == ["Tight", "Easy"]
    assert rows[0].project.lateness_days > rows[1].project.lateness_days
