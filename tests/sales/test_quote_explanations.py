"""The quote and exception pages explain a late date truthfully and in people's words.

The project manager is free; both designers have half of every day booked for two weeks
by a retainer, so nobody can give the kick-off workshop (one project manager and one
designer for a whole day) its day until the third week. The pages must blame the designers
and the workshop, by name, and never show an engine id or a stored code.
"""

from __future__ import annotations

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from promisekeeper.catalog.models import Offering, SopDependency, SopPhase, SopPhaseCrew, SopVersion
from promisekeeper.delivery.models import Project, ProjectPhase
from promisekeeper.organisation.models import OrganisationSettings
from promisekeeper.people.models import Person, Role, Skill
from promisekeeper.promising.cache import plan_cache_clear
from promisekeeper.promising.exceptions import exception_request
from promisekeeper.sales.models import Customer, Deal, DealLine
from tests.sales.conftest import nth_working_day

pytestmark = pytest.mark.django_db

QUOTE = "/sales/quote/"
HTMX = {"HTTP_HX_REQUEST": "true"}
# Engine ids of phases of a multi-line quote, projects, deals and people, and raw states.
INTERNAL = re.compile(r"\bl\d+-[a-z]|\b(?:deal|project|person)-\d|\bin_delivery\b|\bquote-\d")


def _person(name: str, role: Role) -> Person:
    person = Person.objects.create(
        name=name,
        email=f"{name.lower()}@example.com",
        start_date=datetime.date(2020, 1, 1),
        delivery_share=Decimal("1.00"),
        **{f"hours_{day}": Decimal(8) for day in ("mon", "tue", "wed", "thu", "fri")},
    )
    Skill.objects.create(person=person, role=role, efficiency=Decimal("1.00"))
    return person


def _effort(sop: SopVersion, key: str, name: str, role: Role, hours: int, **extra) -> SopPhase:
    return SopPhase.objects.create(
        sop_version=sop,
        key=key,
        name=name,
        kind=SopPhase.Kind.EFFORT,
        role=role,
        effort_low=Decimal(hours),
        effort_likely=Decimal(hours),
        effort_high=Decimal(hours),
        **extra,
    )


@pytest.fixture
def studio(db: None) -> dict[str, object]:
    OrganisationSettings.objects.create(name="Studio", country="", planning_horizon_days=120)
    manager = Role.objects.create(name="project manager")
    designer = Role.objects.create(name="designer")
    _person("Pia", manager)
    _person("Dan", designer)
    _person("Dee", designer)
    customer = Customer.objects.create(name="Acme")

    app = Offering.objects.create(name="App prototype")
    app_sop = SopVersion.objects.create(offering=app, version=1)
    workshop = SopPhase.objects.create(
        sop_version=app_sop,
        key="workshop",
        name="Kick-off workshop",
        order=1,
        kind=SopPhase.Kind.FIXED,
        fixed_days=1,
        hours_per_day=Decimal(8),
    )
    SopPhaseCrew.objects.create(phase=workshop, role=manager, count=1)
    SopPhaseCrew.objects.create(phase=workshop, role=designer, count=1)
    ux = _effort(app_sop, "ux", "UX design", designer, 16, order=2)
    SopDependency.objects.create(phase=ux, predecessor=workshop)
    check = Offering.objects.create(name="Brand check")
    _effort(SopVersion.objects.create(offering=check, version=1), "brief", "Brief", manager, 4)

    retainer = Offering.objects.create(name="Design retainer")
    retainer_sop = SopVersion.objects.create(offering=retainer, version=1)
    support = _effort(
        retainer_sop, "support", "Support", designer, 80, max_people=2, max_hours_per_day=4
    )
    today = timezone.localdate()
    booked = Project.objects.create(
        name="Acme retainer",
        customer=customer,
        sop_version=retainer_sop,
        status=Project.Status.COMMITTED,
        release_date=today,
        promised_date=today + datetime.timedelta(days=80),
    )
    ProjectPhase.objects.create(
        project=booked,
        sop_phase=support,
        key="support",
        name="Support",
        kind=SopPhase.Kind.EFFORT,
        role=designer,
        effort_estimated_hours=Decimal(80),
    )
    plan_cache_clear()
    return {"customer": customer, "app": app, "check": check}


def _ask(client, studio, wanted: datetime.date):
    data = {
        "customer": str(studio["customer"].pk),
        "line_item": [f"offering:{studio['app'].pk}", f"offering:{studio['check'].pk}"],
        "line_quantity": ["1", "1"],
        "wanted_date": wanted.isoformat(),
        "idempotency_key": str(uuid.uuid4()),
    }
    return client.post(QUOTE, data, **HTMX)


def test_the_quote_blames_the_full_designers_for_the_workshop_by_name(client, studio, sales_rep):
    client.force_login(sales_rep)
    response = _ask(client, studio, nth_working_day(3))
    page = response.content.decode()
    assert "Bottleneck: designer" in page
    assert 'data-bottleneck-phase="Kick-off workshop"' in page
    bottleneck = response.context["answer"].bottleneck
    assert (bottleneck.name, bottleneck.role) == ("Kick-off workshop", "designer")
    assert bottleneck.phase == "l0-workshop"  # the key stays in the data, off the page
    # Ten working days of half-booked designers: the workshop runs on the eleventh.
    assert bottleneck.delay_days == (nth_working_day(11) - nth_working_day(1)).days
    assert f"The Kick-off workshop phase finishes {bottleneck.delay_days} days later" in page
    assert "project manager capacity" not in page


def test_the_hire_option_is_for_a_designer_and_says_when_it_would_not_help(
    client, studio, sales_rep
):
    client.force_login(sales_rep)
    answer = _ask(client, studio, nth_working_day(3)).context["answer"]
    [hire] = [o for o in answer.options if o.kind == "hire"]
    assert hire.hire_role == "designer"
    # The hire's notice period ends after the designers are free again: no earlier date.
    assert hire.outcome == "no_gain" and not hire.feasible
    assert "would not bring the finish forward" in hire.detail


def test_the_quote_and_exception_pages_show_names_not_ids(client, studio, sales_rep, ops_manager):
    client.force_login(sales_rep)
    response = _ask(client, studio, nth_working_day(3))
    page = response.content.decode()
    [reshuffle] = [o for o in response.context["answer"].options if o.kind == "reshuffle"]
    assert reshuffle.moves and "Acme retainer" in reshuffle.detail
    assert INTERNAL.findall(page) == []

    deal = Deal.objects.create(customer=studio["customer"], name="Acme app", owner=sales_rep)
    for offering in (studio["app"], studio["check"]):
        DealLine.objects.create(deal=deal, offering=offering, quantity=1)
    exception_request(user=sales_rep, deal=deal, requested_date=nth_working_day(3))
    client.force_login(ops_manager)
    page = client.get("/sales/exceptions/").content.decode()
    assert "Bottleneck: designer (Kick-off workshop waits" in page
    assert INTERNAL.findall(page) == []
    page = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert "Exception requested" in page and "exception.requested" not in page
    assert INTERNAL.findall(page) == []
