"""Phases that existed before phase states start in the state their progress implies."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from promisekeeper.delivery.models import ProjectPhase
from tests import factories

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "promisekeeper.delivery.migrations.0004_phase_state_and_forecast"
)


def test_existing_phases_get_the_state_their_progress_and_hours_imply():
    project = factories.ProjectFactory()
    rows = {
        "untouched": {},
        "reported": {"progress": Decimal("0.3")},
        "logged": {"effort_actual_hours": Decimal(4)},
        "dated": {"actual_start": datetime.date(2026, 1, 5)},
        "finished": {"progress": Decimal(1), "effort_actual_hours": Decimal(40)},
    }
    for key, values in rows.items():
        factories.ProjectPhaseFactory(project=project, key=key, name=key, **values)

    migration.phase_states_from_progress(apps, None)

    states = dict(ProjectPhase.objects.filter(project=project).values_list("key", "state"))
    assert states == {
        "untouched": "not_started",
        "reported": "in_progress",
        "logged": "in_progress",
        "dated": "in_progress",
        "finished": "done",
    }
