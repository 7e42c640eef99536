"""Shared set-up for the integrity tests: a small shop, people in each role, row counts."""

from __future__ import annotations

import pytest
from django.apps import apps

from tests.sales.conftest import ops_manager, other_rep, sales_rep, shop  # noqa: F401


def row_counts() -> dict[str, int]:
    """Rows of every model of our apps (sessions and login attempts left out: logging in writes them)."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label.startswith(
            (
                "organisation.",
                "people.",
                "catalog.",
                "sales.",
                "delivery.",
                "promising.",
                "insights.",
                "api.",
            )
        )
    }


@pytest.fixture
def counts():
    return row_counts
