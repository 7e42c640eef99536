"""One small company whose people log hours: two developers with accounts, a project in
delivery with a developer phase and an installer phase, and a cancelled project.

Tests log hours on last week (every day of it is past, whatever today is), so they do not
depend on the weekday they run on.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from promisekeeper.delivery.models import Project, ProjectPhase, TimesheetEntry
from promisekeeper.delivery.timesheet_grid import week_monday
from promisekeeper.people.models import Person, Role
from tests import factories


@dataclass
class Company:
    ada: Person
    bob: Person
    developer: Role
    site: Project
    build: ProjectPhase
    install: ProjectPhase
    cancelled_build: ProjectPhase
    last_monday: datetime.date

    def day(self, d: int) -> datetime.date:
        """Day ``d`` (0 = Monday) of last week."""
        return self.last_monday + datetime.timedelta(days=d)

    def entries(self) -> list[tuple[str, datetime.date, str, int, str]]:
        """Every entry as (person, day, phase, minutes, note), to compare before and after."""
        return list(
            TimesheetEntry.objects.order_by("person__name", "day", "phase__name").values_list(
                "person__name", "day", "phase__name", "minutes", "note"
            )
        )


def company_create() -> Company:
    developer = factories.RoleFactory(name="developer")
    installer = factories.RoleFactory(name="installer")
    ada = factories.PersonFactory(
        name="Ada", email="ada@example.com", user=factories.UserFactory(username="ada")
    )
    bob = factories.PersonFactory(
        name="Bob", email="bob@example.com", user=factories.UserFactory(username="bob")
    )
    for person in (ada, bob):
        factories.SkillFactory(person=person, role=developer)
    site = factories.ProjectFactory(name="Acme site", status=Project.Status.IN_DELIVERY)
    build = factories.ProjectPhaseFactory(
        project=site, key="build", name="Build", role=developer, order=1
    )
    install = factories.ProjectPhaseFactory(
        project=site, key="install", name="Install", role=installer, order=2
    )
    old = factories.ProjectFactory(name="Old site", status=Project.Status.CANCELLED)
    cancelled_build = factories.ProjectPhaseFactory(
        project=old, key="build", name="Build", role=developer
    )
    last_monday = week_monday(timezone.localdate()) - datetime.timedelta(days=7)
    return Company(ada, bob, developer, site, build, install, cancelled_build, last_monday)


@pytest.fixture
def company(groups: dict[str, Group]) -> Company:
    return company_create()
