"""A deterministic demo company, Northwind Digital & Installations, for trying Promisekeeper.

Everything is drawn from one random.Random(seed) and dated relative to today, so the same seed
always gives the same company (shifted to the current date). Rows are bulk-created so that the
large sizes stay fast.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from promisekeeper.catalog.models import (
    IncomingSupply,
    Offering,
    Product,
    SopDependency,
    SopPhase,
    SopPhaseCrew,
    SopVersion,
)
from promisekeeper.delivery.checkins import ACTIVE, checkin_complete, checkins_schedule
from promisekeeper.delivery.models import (
    CheckIn,
    Project,
    ProjectAssignment,
    ProjectPhase,
    ThankYouNote,
    TimesheetEntry,
)
from promisekeeper.delivery.timesheets import phase_actual_hours
from promisekeeper.organisation.models import CompanyClosure, OrganisationSettings
from promisekeeper.organisation.permissions import ADMIN, OPERATIONS, SALES
from promisekeeper.organisation.services import group_permissions_sync
from promisekeeper.people.models import Person, Role, Skill, Team, TimeOff
from promisekeeper.sales.models import AuditEvent, Customer, Deal, DealLine, Hold, Promise

DEMO_PASSWORD = "promise-demo"
ORGANISATION_NAME = "Northwind Digital & Installations"


@dataclass(frozen=True)
class DemoSize:
    people: int
    customers: int
    deals: int
    active_projects: int
    finished_projects: int


SIZES: dict[str, DemoSize] = {
    "S": DemoSize(people=25, customers=40, deals=60, active_projects=25, finished_projects=80),
    "M": DemoSize(people=200, customers=300, deals=400, active_projects=150, finished_projects=450),
    "L": DemoSize(
        people=2000, customers=3000, deals=4000, active_projects=1500, finished_projects=4500
    ),
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


DEMO_ACCOUNTS = (
    DemoAccount("sales", DEMO_PASSWORD, "Sales rep (group sales)"),
    DemoAccount("ops", DEMO_PASSWORD, "Operations manager (group operations)"),
    DemoAccount("admin", DEMO_PASSWORD, "Administrator (superuser)"),
)


class DemoDataExists(ValidationError):
    """The database already holds a company; the demo never overwrites data."""


# (role, share of staff, secondary role or None)
STAFF_MIX = (
    ("project manager", 0.12, None),
    ("designer", 0.20, "developer"),
    ("developer", 0.32, "designer"),
    ("installer", 0.24, "electrician"),
    ("electrician", 0.12, "installer"),
)

FIRST_NAMES = [
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Finn",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kira",
    "Leo",
    "Maya",
    "Nina",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xena",
    "Yusuf",
    "Zoe",
    "Amir",
    "Bea",
    "Carl",
    "Dina",
    "Emil",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jade",
]
LAST_NAMES = [
    "Adams",
    "Baker",
    "Clarke",
    "Dixon",
    "Evans",
    "Foster",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Moore",
    "Nash",
    "Owen",
    "Patel",
    "Reid",
    "Shaw",
    "Turner",
    "Usman",
    "Vaughan",
    "Walsh",
    "Young",
    "Zielinski",
    "Brook",
    "Carter",
    "Doyle",
    "Ellis",
    "Fox",
]
COMPANY_WORDS = [
    "Acme",
    "Birch",
    "Cedar",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Harbour",
    "Indigo",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Oak",
    "Pioneer",
    "Quartz",
    "Riverside",
    "Summit",
    "Thistle",
    "Upland",
    "Vale",
    "Willow",
    "Yarrow",
    "Zephyr",
]
COMPANY_SUFFIXES = ("Ltd", "Bakery", "Dental", "Homes", "Studio", "Legal", "Partners", "Café")


@dataclass(frozen=True)
class PhaseSpec:
    key: str
    name: str
    role: str | None
    effort: tuple[int, int, int] = (0, 0, 0)
    per_unit: tuple[int, int, int] = (0, 0, 0)
    max_people: int = 1
    fixed_days: int = 0
    # On-site hours per crew member and day; below 8 because crew members give
    # only their delivery share (75-90 %) of an 8-hour day to project work.
    crew_hours_per_day: int = 6
    crew: tuple[tuple[str, int], ...] = ()
    after: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class OfferingSpec:
    name: str
    description: str
    quantity_range: tuple[int, int]
    versions: tuple[tuple[PhaseSpec, ...], ...]


_WEBSITE_V2 = (
    PhaseSpec("discovery", "Discovery", "project manager", (16, 24, 40)),
    PhaseSpec("design", "Design", "designer", (40, 60, 90), (6, 8, 12), after=(("discovery", 0),)),
    PhaseSpec("build", "Build", "developer", (80, 120, 200), max_people=3, after=(("design", 0),)),
    PhaseSpec("launch", "Launch", "developer", (8, 12, 20), after=(("build", 5),)),
)
_WEBSITE_V1 = (
    PhaseSpec("discovery", "Discovery", "project manager", (12, 20, 32)),
    PhaseSpec("design", "Design", "designer", (32, 50, 80), (6, 8, 12), after=(("discovery", 0),)),
    PhaseSpec("build", "Build", "developer", (80, 110, 180), max_people=2, after=(("design", 0),)),
    PhaseSpec("launch", "Launch", "developer", (8, 12, 20), after=(("build", 5),)),
)
_SMART_HOME_V2 = (
    PhaseSpec("survey", "Site survey", "installer", (4, 6, 10)),
    PhaseSpec(
        "install",
        "Installation",
        None,
        fixed_days=3,
        crew=(("installer", 2), ("electrician", 1)),
        after=(("survey", 3),),
    ),
    PhaseSpec("handover", "Handover", "project manager", (2, 3, 5), after=(("install", 0),)),
)
_SMART_HOME_V1 = (
    PhaseSpec("survey", "Site survey", "installer", (4, 8, 12)),
    PhaseSpec(
        "install",
        "Installation",
        None,
        fixed_days=4,
        crew=(("installer", 2), ("electrician", 1)),
        after=(("survey", 5),),
    ),
    PhaseSpec("handover", "Handover", "project manager", (2, 3, 5), after=(("install", 0),)),
)

OFFERINGS = (
    OfferingSpec(
        "Website build",
        "A marketing website, designed and built.",
        (4, 12),
        (_WEBSITE_V1, _WEBSITE_V2),
    ),
    OfferingSpec(
        "Smart-home installation",
        "Survey, install and hand over a smart-home system.",
        (1, 1),
        (_SMART_HOME_V1, _SMART_HOME_V2),
    ),
    OfferingSpec(
        "Online shop",
        "A shop with payments and product import.",
        (1, 1),
        (
            (
                PhaseSpec("discovery", "Discovery", "project manager", (20, 32, 48)),
                PhaseSpec("design", "Design", "designer", (60, 80, 120), after=(("discovery", 0),)),
                PhaseSpec(
                    "build",
                    "Build",
                    "developer",
                    (160, 240, 400),
                    max_people=4,
                    after=(("design", 0),),
                ),
                PhaseSpec(
                    "integration",
                    "Payment integration",
                    "developer",
                    (24, 40, 80),
                    after=(("build", 0),),
                ),
                PhaseSpec(
                    "launch", "Launch", "developer", (8, 16, 24), after=(("integration", 5),)
                ),
            ),
        ),
    ),
    OfferingSpec(
        "Brand identity",
        "Logo, palette and brand guidelines.",
        (1, 1),
        (
            (
                PhaseSpec("brief", "Brief", "project manager", (4, 8, 12)),
                PhaseSpec("concepts", "Concepts", "designer", (24, 40, 64), after=(("brief", 0),)),
                PhaseSpec(
                    "refine", "Refinement", "designer", (12, 20, 36), after=(("concepts", 3),)
                ),
            ),
        ),
    ),
    OfferingSpec(
        "EV charger installation",
        "Survey and install a home charger.",
        (1, 2),
        (
            (
                PhaseSpec("survey", "Survey", "electrician", (2, 3, 5)),
                PhaseSpec(
                    "install",
                    "Installation",
                    None,
                    fixed_days=1,
                    crew=(("electrician", 1), ("installer", 1)),
                    after=(("survey", 2),),
                ),
            ),
        ),
    ),
    OfferingSpec(
        "App prototype",
        "A clickable prototype to test an idea with users.",
        (1, 1),
        (
            (
                PhaseSpec("workshop", "Workshop", "project manager", (8, 12, 16)),
                PhaseSpec("ux", "UX design", "designer", (24, 36, 60), after=(("workshop", 0),)),
                PhaseSpec(
                    "prototype",
                    "Prototype",
                    "developer",
                    (40, 60, 100),
                    max_people=2,
                    after=(("ux", 0),),
                ),
            ),
        ),
    ),
)

PRODUCTS = (
    ("HUB-01", "Smart hub", 14),
    ("EVC-11", "EV charger 11 kW", 6),
    ("THM-02", "Thermostat kit", 30),
)


def _dec(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def _christmas(day: datetime.date) -> bool:
    """The demo company's closure, 24 December to 1 January."""
    return (day.month, day.day) >= (12, 24) or (day.month, day.day) == (1, 1)


def demo_company_exists() -> bool:
    """True when any organisation, person or project is already in the database."""
    return (
        OrganisationSettings.objects.exists() or Person.objects.exists() or Project.objects.exists()
    )


@transaction.atomic
def demo_company_create(*, seed: int = 1, size: str = "S") -> DemoSize:
    """Create the demo company deterministically from `seed`; refuses when data exists."""
    if size not in SIZES:
        raise ValidationError({"size": f"Size must be one of {', '.join(SIZES)}."})
    if demo_company_exists():
        raise DemoDataExists("The database already holds data; the demo is created only once.")
    spec = SIZES[size]
    rng = random.Random(seed)
    today = timezone.localdate()
    builder = _Builder(rng=rng, today=today, spec=spec)
    builder.build()
    return spec


class _Builder:
    def __init__(self, *, rng: random.Random, today: datetime.date, spec: DemoSize) -> None:
        self.rng = rng
        # Its own stream, so naming project teams leaves every other draw unchanged.
        self.team_rng = random.Random(rng.getstate()[1][0])
        self.today = today
        self.spec = spec
        self.roles: dict[str, Role] = {}
        self.users: dict[str, User] = {}
        self.sops: dict[str, list[SopVersion]] = {}
        self.phases: dict[int, list[tuple[SopPhase, PhaseSpec]]] = {}
        self.offerings: list[tuple[Offering, OfferingSpec]] = []
        self.customers: list[Customer] = []
        self.products: list[Product] = []

    def build(self) -> None:
        self._organisation()
        self._users()
        self._people()
        self._catalog()
        self._customers()
        deals_won = self._deals()
        self._active_projects(deals_won)
        self._timesheets()
        self._finished_projects()
        self._checkins()

    def _checkins(self) -> None:
        """Check-ins since each active project's release: every past one held with notes
        except every fifth, which is missed (so the dashboard has some to show)."""
        projects = Project.objects.filter(status__in=ACTIVE).select_related("sop_version")
        for project in projects.order_by("pk"):
            checkins_schedule(project=project, today=project.release_date)
        past = CheckIn.objects.filter(due_date__lt=self.today).select_related("owner")
        for number, checkin in enumerate(past.order_by("due_date", "pk")):
            if number % 5 != 4:
                checkin_complete(
                    user=checkin.owner or self.users["ops"],
                    checkin_id=checkin.pk,
                    notes="On track; next steps agreed.",
                )

    def _organisation(self) -> None:
        organisation = OrganisationSettings(
            name=ORGANISATION_NAME,
            time_zone="Europe/London",
            country="GB",
            subdivision="ENG",
            working_weekdays=[0, 1, 2, 3, 4],
        )
        organisation.full_clean()
        organisation.save()
        for year in (
            self.today.year - 2,
            self.today.year - 1,
            self.today.year,
            self.today.year + 1,
        ):
            CompanyClosure.objects.create(
                name=f"Christmas closure {year}",
                start_date=datetime.date(year, 12, 24),
                end_date=datetime.date(year + 1, 1, 1),
            )

    def _users(self) -> None:
        password = make_password(DEMO_PASSWORD)
        groups = group_permissions_sync()
        sales = User.objects.create(
            username="sales",
            first_name="Sam",
            last_name="Seller",
            password=password,
            email="sales@northwind.example",
        )
        sales.groups.add(groups[SALES])
        ops = User.objects.create(
            username="ops",
            first_name="Olga",
            last_name="Operations",
            password=password,
            email="ops@northwind.example",
        )
        ops.groups.add(groups[OPERATIONS])
        admin = User.objects.create(
            username="admin",
            first_name="Ari",
            last_name="Admin",
            password=password,
            email="admin@northwind.example",
            is_staff=True,
            is_superuser=True,
        )
        admin.groups.add(groups[ADMIN])
        self.users = {"sales": sales, "ops": ops, "admin": admin}

    def _people(self) -> None:
        rng = self.rng
        self.roles = {name: Role.objects.create(name=name) for name, _, _ in STAFF_MIX}
        teams = [
            Team.objects.create(name=name)
            for name in ("Digital", "Installations", "Project office")
        ]
        team_of = {
            "project manager": teams[2],
            "designer": teams[0],
            "developer": teams[0],
            "installer": teams[1],
            "electrician": teams[1],
        }
        role_plan: list[tuple[str, str | None]] = []
        for name, share, secondary in STAFF_MIX:
            role_plan.extend([(name, secondary)] * max(1, round(share * self.spec.people)))
        role_plan = role_plan[: self.spec.people]
        while len(role_plan) < self.spec.people:
            role_plan.append(("developer", "designer"))

        people: list[Person] = []
        for index, (role, _) in enumerate(role_plan):
            first = rng.choice(FIRST_NAMES)
            last = rng.choice(LAST_NAMES)
            hours = [8.0, 8.0, 8.0, 8.0, 8.0, 0.0, 0.0]
            if index % 10 in (2, 7):
                hours = [8.0, 8.0, 8.0, 8.0, 0.0, 0.0, 0.0]  # four-day week
            elif index % 10 == 5:
                hours = [4.0, 4.0, 4.0, 4.0, 4.0, 0.0, 0.0]  # 20 h part-time
            share = 0.6 if role == "project manager" else rng.choice((0.75, 0.8, 0.85, 0.9))
            start = self.today - datetime.timedelta(days=rng.randint(200, 3000))
            end = None
            if rng.random() < 0.04:
                end = self.today + datetime.timedelta(days=rng.randint(30, 200))
            people.append(
                Person(
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower()}.{index}@northwind.example",
                    team=team_of[role],
                    hours_mon=_dec(hours[0]),
                    hours_tue=_dec(hours[1]),
                    hours_wed=_dec(hours[2]),
                    hours_thu=_dec(hours[3]),
                    hours_fri=_dec(hours[4]),
                    hours_sat=_dec(hours[5]),
                    hours_sun=_dec(hours[6]),
                    start_date=start,
                    end_date=end,
                    delivery_share=_dec(share),
                    cost_rate=_dec(rng.choice((45, 55, 65, 75, 90))),
                )
            )
        people = Person.objects.bulk_create(people, batch_size=1000)
        self.people_by_role: dict[str, list[Person]] = {}
        for person, (role, _) in zip(people, role_plan, strict=True):
            self.people_by_role.setdefault(role, []).append(person)

        skills: list[Skill] = []
        time_off: list[TimeOff] = []
        for person, (role, secondary) in zip(people, role_plan, strict=True):
            skills.append(
                Skill(person=person, role=self.roles[role], efficiency=_dec(rng.uniform(0.9, 1.2)))
            )
            if secondary and rng.random() < 0.35:
                skills.append(
                    Skill(
                        person=person,
                        role=self.roles[secondary],
                        efficiency=_dec(rng.uniform(0.5, 0.8)),
                    )
                )
            for _ in range(rng.randint(1, 3)):
                start = self.today + datetime.timedelta(days=rng.randint(-30, 240))
                length = rng.choice((1, 2, 5, 5, 10))
                time_off.append(
                    TimeOff(
                        person=person,
                        start_date=start,
                        end_date=start + datetime.timedelta(days=length - 1),
                        kind=rng.choice(
                            (TimeOff.Kind.VACATION,) * 4
                            + (TimeOff.Kind.TRAINING, TimeOff.Kind.OTHER)
                        ),
                        status=TimeOff.Status.APPROVED
                        if rng.random() < 0.8
                        else TimeOff.Status.TENTATIVE,
                    )
                )
            if rng.random() < 0.15:
                sick = self.today - datetime.timedelta(days=rng.randint(1, 60))
                time_off.append(
                    TimeOff(person=person, start_date=sick, end_date=sick, kind=TimeOff.Kind.SICK)
                )
        Skill.objects.bulk_create(skills, batch_size=1000)
        TimeOff.objects.bulk_create(time_off, batch_size=1000)

    def _catalog(self) -> None:
        for spec in OFFERINGS:
            offering = Offering.objects.create(name=spec.name, description=spec.description)
            self.offerings.append((offering, spec))
            versions = []
            for number, phase_specs in enumerate(spec.versions, start=1):
                sop = SopVersion.objects.create(
                    offering=offering,
                    version=number,
                    created_by=self.users["ops"],
                    notes="Initial procedure." if number == 1 else "Tightened after retrospective.",
                    checkin_cadence_days=7,
                    checkin_channels="email, call",
                    deliverables=f"Everything promised for {spec.name.lower()}.",
                    handoff="Handover meeting with the customer and a written summary.",
                    communication_channels="email",
                )
                versions.append(sop)
                self.phases[sop.pk] = self._sop_phases(sop, phase_specs)
            self.sops[spec.name] = versions
        for sku, name, stock in PRODUCTS:
            product = Product.objects.create(sku=sku, name=name, stock_on_hand=stock)
            self.products.append(product)
            for week in (2, 6):
                IncomingSupply.objects.create(
                    product=product,
                    date=self.today + datetime.timedelta(weeks=week),
                    quantity=self.rng.randint(5, 20),
                )

    def _sop_phases(
        self, sop: SopVersion, phase_specs: tuple[PhaseSpec, ...]
    ) -> list[tuple[SopPhase, PhaseSpec]]:
        created: dict[str, SopPhase] = {}
        result = []
        for order, spec in enumerate(phase_specs):
            phase = SopPhase(
                sop_version=sop,
                key=spec.key,
                name=spec.name,
                order=order,
                kind=SopPhase.Kind.FIXED if spec.fixed_days else SopPhase.Kind.EFFORT,
                role=self.roles[spec.role] if spec.role else None,
                effort_low=_dec(spec.effort[0]),
                effort_likely=_dec(spec.effort[1]),
                effort_high=_dec(spec.effort[2]),
                effort_per_unit_low=_dec(spec.per_unit[0]),
                effort_per_unit_likely=_dec(spec.per_unit[1]),
                effort_per_unit_high=_dec(spec.per_unit[2]),
                max_people=spec.max_people,
                max_hours_per_day=_dec(8) if not spec.fixed_days else None,
                fixed_days=spec.fixed_days,
                hours_per_day=_dec(spec.crew_hours_per_day),
            )
            phase.full_clean()
            phase.save()
            for role, count in spec.crew:
                SopPhaseCrew.objects.create(phase=phase, role=self.roles[role], count=count)
            for predecessor, lag in spec.after:
                SopDependency.objects.create(
                    phase=phase, predecessor=created[predecessor], lag_days=lag
                )
            created[spec.key] = phase
            result.append((phase, spec))
        return result

    def _customers(self) -> None:
        rng = self.rng
        customers = []
        for index in range(self.spec.customers):
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
            if index >= len(COMPANY_WORDS):
                name = f"{name} {index}"
            customers.append(
                Customer(
                    name=name,
                    email=f"hello{index}@customer.example",
                    phone=f"+44 20 7946 {index % 10000:04d}",
                )
            )
        self.customers = Customer.objects.bulk_create(customers, batch_size=1000)

    def _deals(self) -> list[Deal]:
        """Create deals in every stage; returns the won ones, which get projects."""
        rng = self.rng
        won_count = min(self.spec.deals // 4, self.spec.active_projects)
        stages = [Deal.Stage.WON] * won_count
        stages += [Deal.Stage.LOST] * (self.spec.deals // 12)
        open_stages = (Deal.Stage.LEAD, Deal.Stage.QUALIFIED, Deal.Stage.PROPOSAL, Deal.Stage.HELD)
        while len(stages) < self.spec.deals:
            stages.append(open_stages[len(stages) % len(open_stages)])
        probability = {
            Deal.Stage.LEAD: 0.1,
            Deal.Stage.QUALIFIED: 0.3,
            Deal.Stage.PROPOSAL: 0.5,
            Deal.Stage.HELD: 0.7,
            Deal.Stage.WON: 1.0,
            Deal.Stage.LOST: 0.0,
        }
        deals = []
        offering_choices = []
        for stage in stages:
            offering, spec = rng.choice(self.offerings)
            offering_choices.append((offering, spec))
            customer = rng.choice(self.customers)
            deals.append(
                Deal(
                    owner=self.users["sales"],
                    customer=customer,
                    name=f"{spec.name} for {customer.name}",
                    wanted_date=self.today + datetime.timedelta(days=rng.randint(21, 150)),
                    stage=stage,
                    win_probability=_dec(probability[stage]),
                )
            )
        deals = Deal.objects.bulk_create(deals, batch_size=1000)
        lines = []
        holds = []
        for deal, (offering, spec) in zip(deals, offering_choices, strict=True):
            lines.append(
                DealLine(deal=deal, offering=offering, quantity=rng.randint(*spec.quantity_range))
            )
            if spec.name in ("Smart-home installation", "EV charger installation"):
                product = self.products[0] if spec.name.startswith("Smart") else self.products[1]
                lines.append(DealLine(deal=deal, product=product, quantity=1))
            if deal.stage == Deal.Stage.HELD:
                holds.append(
                    Hold(
                        deal=deal,
                        expires_at=timezone.now() + datetime.timedelta(days=rng.randint(1, 7)),
                        created_by=self.users["sales"],
                    )
                )
        DealLine.objects.bulk_create(lines, batch_size=1000)
        Hold.objects.bulk_create(holds, batch_size=1000)
        # The demo's holds were placed days ago (created_at is set on save), so they do not
        # count against the seller's holds-per-minute limit right after seeding.
        Hold.objects.filter(pk__in=[h.pk for h in holds]).update(
            created_at=timezone.now() - datetime.timedelta(days=1)
        )
        self.deal_offerings = {
            deal.pk: choice for deal, choice in zip(deals, offering_choices, strict=True)
        }
        return [deal for deal in deals if deal.stage == Deal.Stage.WON]

    def _phase_days(self, spec: PhaseSpec, hours: float) -> int:
        if spec.fixed_days:
            return spec.fixed_days
        return max(1, round(hours / (6.0 * min(spec.max_people, 2))))

    def _project_rows(
        self,
        *,
        offering_spec: OfferingSpec,
        sop: SopVersion,
        quantity: int,
        release: datetime.date,
        finished: bool,
    ) -> tuple[list[ProjectPhase], datetime.date, datetime.date]:
        """Phases laid end to end from `release`; returns phases, planned end, actual end."""
        rng = self.rng
        phases = []
        planned = release
        actual = release
        # For active projects, work has reached a random point of the plan.
        done_upto = (
            len(self.phases[sop.pk]) if finished else rng.randint(0, len(self.phases[sop.pk]) - 1)
        )
        for index, (phase, spec) in enumerate(self.phases[sop.pk]):
            lag = max((lag for _, lag in spec.after), default=0)
            estimate = float(phase.effort_likely + phase.effort_per_unit_likely * quantity)
            days = self._phase_days(spec, estimate)
            planned += datetime.timedelta(days=lag + days * 7 // 5)
            overrun = rng.uniform(0.8, 1.45)
            actual_days = max(1, round(days * overrun)) if not spec.fixed_days else days
            progress = Decimal(0)
            actual_hours = Decimal(0)
            start = end = None
            if index < done_upto:
                progress = Decimal(1)
                actual_hours = _dec(estimate * overrun)
                start = actual + datetime.timedelta(days=lag)
                end = start + datetime.timedelta(days=actual_days * 7 // 5)
                actual = end
            elif index == done_upto and not finished:
                progress = _dec(rng.choice((0.1, 0.25, 0.4, 0.6, 0.8)))
                actual_hours = _dec(estimate * float(progress) * overrun)
                start = actual + datetime.timedelta(days=lag)
            phases.append(
                ProjectPhase(
                    sop_phase=phase,
                    key=phase.key,
                    name=phase.name,
                    order=phase.order,
                    kind=phase.kind,
                    role=phase.role,
                    effort_estimated_hours=_dec(estimate),
                    effort_actual_hours=actual_hours,
                    progress=progress,
                    fixed_days=phase.fixed_days,
                    crew=[{"role": role, "count": count} for role, count in spec.crew],
                    hours_per_day=phase.hours_per_day,
                    actual_start=start,
                    actual_end=end,
                    state=(
                        ProjectPhase.State.DONE
                        if progress >= 1
                        else ProjectPhase.State.IN_PROGRESS
                        if start is not None
                        else ProjectPhase.State.NOT_STARTED
                    ),
                )
            )
        return phases, planned, actual

    def _active_projects(self, deals_won: list[Deal]) -> None:
        rng = self.rng
        projects: list[Project] = []
        all_phases: list[list[ProjectPhase]] = []
        promises: list[Promise] = []
        for index in range(self.spec.active_projects):
            deal = deals_won[index] if index < len(deals_won) else None
            if deal is not None:
                offering, spec = self.deal_offerings[deal.pk]
                customer = deal.customer
            else:
                offering, spec = rng.choice(self.offerings)
                customer = rng.choice(self.customers)
            sop = self.sops[spec.name][-1]
            quantity = rng.randint(*spec.quantity_range)
            phases, planned, actual = self._project_rows(
                offering_spec=spec, sop=sop, quantity=quantity, release=self.today, finished=False
            )
            # Shift so that the finished phases lie in the past and today is mid-phase.
            shift = (actual - self.today) + datetime.timedelta(days=rng.randint(1, 20))
            release = self.today - shift
            planned -= shift
            for phase in phases:
                if phase.actual_start:
                    phase.actual_start -= shift
                if phase.actual_end:
                    phase.actual_end -= shift
            promised = max(planned, self.today) + datetime.timedelta(days=rng.randint(5, 25))
            in_delivery = any(phase.actual_start for phase in phases)
            projects.append(
                Project(
                    deal=deal,
                    name=f"{spec.name} – {customer.name}",
                    customer=customer,
                    sop_version=sop,
                    quantity=quantity,
                    status=Project.Status.IN_DELIVERY if in_delivery else Project.Status.COMMITTED,
                    release_date=release,
                    promised_date=promised,
                    priority=rng.randint(0, 3),
                    sales_owner=self.users["sales"],
                )
            )
            all_phases.append(phases)
            if deal is not None:
                promises.append(
                    Promise(
                        deal=deal,
                        promised_date=promised,
                        confidence="P80",
                        p50_date=promised - datetime.timedelta(days=4),
                        p80_date=promised,
                        p95_date=promised + datetime.timedelta(days=6),
                        evidence={"source": "demo", "ledger_version": 0},
                        created_by=self.users["sales"],
                    )
                )
        self._save_projects(projects, all_phases)
        Promise.objects.bulk_create(promises, batch_size=1000)
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    actor=self.users["sales"],
                    action="promise.committed",
                    deal=promise.deal,
                    payload={"promised_date": promise.promised_date.isoformat()},
                )
                for promise in promises
            ],
            batch_size=1000,
        )

    def _timesheets(self) -> None:
        """Hours logged on the work done so far in projects in delivery: the person named for
        each of a phase's roles logs a share of its actual hours on each working day it ran,
        up to yesterday, within their day's hours and away from their time off. Each phase's
        actual hours become the sum of its entries, as logging keeps them. No draws: the
        rest of the company is the same with or without timesheets."""
        yesterday = self.today - datetime.timedelta(days=1)
        in_delivery = Project.Status.IN_DELIVERY
        person_of = {
            (a.project_id, a.role.name): a.person
            for a in ProjectAssignment.objects.filter(project__status=in_delivery)
            .select_related("role", "person")
            .order_by("pk")
            if a.role is not None
        }
        away = {
            (t.person_id, t.start_date + datetime.timedelta(days=k))
            for t in TimeOff.objects.filter(start_date__lte=yesterday)
            for k in range((t.end_date - t.start_date).days + 1)
        }
        used: dict[tuple[int, datetime.date], int] = {}
        entries: list[TimesheetEntry] = []
        phases = list(
            ProjectPhase.objects.filter(project__status=in_delivery, actual_start__isnull=False)
            .select_related("role")
            .order_by("project_id", "order")
        )
        for phase in phases:
            assert phase.actual_start is not None
            roles = [phase.role.name] if phase.role else [str(c["role"]) for c in phase.crew]
            people = [
                person_of[(phase.project_id, r)]
                for r in roles
                if (phase.project_id, r) in person_of
            ]
            end = min(phase.actual_end or yesterday, yesterday)
            days = [
                phase.actual_start + datetime.timedelta(days=k)
                for k in range((end - phase.actual_start).days + 1)
            ]
            days = [d for d in days if d.weekday() < 5 and not _christmas(d)]
            if not people or not days:
                continue
            remaining = round(float(phase.effort_actual_hours) * 60)
            share = -(-remaining // (len(days) * len(people)))
            for day in days:
                for person in people:
                    regular = int(person.weekly_hours[day.weekday()] * 60)
                    free = regular - used.get((person.pk, day), 0)
                    minutes = min(share, remaining, free, 6 * 60) // 15 * 15
                    if minutes < 30 or (person.pk, day) in away or day < person.start_date:
                        continue
                    entries.append(
                        TimesheetEntry(person=person, phase=phase, day=day, minutes=minutes)
                    )
                    used[(person.pk, day)] = used.get((person.pk, day), 0) + minutes
                    remaining -= minutes
        TimesheetEntry.objects.bulk_create(entries, batch_size=1000)
        logged: dict[int, int] = {}
        for entry in entries:
            logged[entry.phase_id] = logged.get(entry.phase_id, 0) + entry.minutes
        for phase in phases:
            phase.effort_actual_hours = phase_actual_hours(logged.get(phase.pk, 0))
        ProjectPhase.objects.bulk_update(phases, ["effort_actual_hours"], batch_size=1000)

    def _finished_projects(self) -> None:
        rng = self.rng
        projects: list[Project] = []
        all_phases: list[list[ProjectPhase]] = []
        for _ in range(self.spec.finished_projects):
            offering, spec = rng.choice(self.offerings)
            customer = rng.choice(self.customers)
            release = self.today - datetime.timedelta(days=rng.randint(150, 720))
            versions = self.sops[spec.name]
            sop = (
                versions[0]
                if (release < self.today - datetime.timedelta(days=365))
                else versions[-1]
            )
            quantity = rng.randint(*spec.quantity_range)
            phases, planned, actual = self._project_rows(
                offering_spec=spec, sop=sop, quantity=quantity, release=release, finished=True
            )
            promised = planned + datetime.timedelta(days=rng.randint(0, 10))
            projects.append(
                Project(
                    name=f"{spec.name} – {customer.name}",
                    customer=customer,
                    sop_version=sop,
                    quantity=quantity,
                    status=Project.Status.DELIVERED,
                    release_date=release,
                    promised_date=promised,
                    delivered_date=actual,
                    sales_owner=self.users["sales"],
                )
            )
            all_phases.append(phases)
        saved = self._save_projects(projects, all_phases)
        notes = [
            ThankYouNote(
                project=project,
                author=self.users["ops"],
                text="Delivered as promised — thank you, team!",
            )
            for project in saved
            if project.delivered_date
            and project.promised_date
            and project.delivered_date <= project.promised_date
            and rng.random() < 0.2
        ]
        ThankYouNote.objects.bulk_create(notes, batch_size=1000)

    def _save_projects(
        self, projects: list[Project], all_phases: list[list[ProjectPhase]]
    ) -> list[Project]:
        saved = Project.objects.bulk_create(projects, batch_size=1000)
        rows = []
        for project, phases in zip(saved, all_phases, strict=True):
            for phase in phases:
                phase.project = project
                rows.append(phase)
        ProjectPhase.objects.bulk_create(rows, batch_size=1000)
        self._assign_teams(saved, all_phases)
        return saved

    def _assign_teams(self, projects: list[Project], all_phases: list[list[ProjectPhase]]) -> None:
        """Name one person per role on each project, so delivered work credits people by name."""
        rng = self.team_rng
        rows = []
        for project, phases in zip(projects, all_phases, strict=True):
            roles = {phase.role.name for phase in phases if phase.role is not None}
            roles.update(c["role"] for phase in phases for c in phase.crew)
            chosen: set[int] = set()
            for role in sorted(roles):
                candidates = [p for p in self.people_by_role.get(role, []) if p.pk not in chosen]
                if candidates:
                    person = rng.choice(candidates)
                    chosen.add(person.pk)
                    rows.append(
                        ProjectAssignment(project=project, person=person, role=self.roles[role])
                    )
        ProjectAssignment.objects.bulk_create(rows, batch_size=1000)
