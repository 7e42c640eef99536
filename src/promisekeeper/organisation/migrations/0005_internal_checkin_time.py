"""The set time and length of sales–operations check-ins.

On SQLite, adding these columns rebuilds the settings table, which drops its ledger triggers
(organisation 0003): they are created again after the rebuild, in both directions.
"""

import datetime
import importlib

import django.core.validators
from django.db import migrations, models

LEDGER = importlib.import_module("promisekeeper.organisation.migrations.0003_ledger_triggers")
TABLE = "organisation_organisationsettings"


def ledger_triggers_restore(apps, schema_editor):
    """The settings table's ledger triggers, as organisation 0003 made them (SQLite)."""
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL alters the table in place and keeps its triggers
    for op in LEDGER.OPERATIONS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_ledger_{op}")
        schema_editor.execute(LEDGER.SQLITE_TRIGGER.format(table=TABLE, op=op), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("organisation", "0004_periodic_job_run"),
    ]

    operations = [
        # Undone last: the rebuilds undone before it dropped the triggers again.
        migrations.RunPython(migrations.RunPython.noop, ledger_triggers_restore),
        migrations.AddField(
            model_name="organisationsettings",
            name="internal_checkin_minutes",
            field=models.PositiveIntegerField(
                default=30,
                help_text="How long that check-in lasts, in minutes.",
                validators=[
                    django.core.validators.MinValueValidator(5),
                    django.core.validators.MaxValueValidator(480),
                ],
            ),
        ),
        migrations.AddField(
            model_name="organisationsettings",
            name="internal_checkin_time",
            field=models.TimeField(
                default=datetime.time(9, 0),
                help_text="When sales and operations meet for a project's check-in (local "
                "time), so the calendar feeds can book it.",
            ),
        ),
        migrations.RunPython(ledger_triggers_restore, migrations.RunPython.noop),
    ]
