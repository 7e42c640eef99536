"""Logged hours consume the phase's reservation from now on: the hours logged before this
migration were never taken off it, and count as already consumed (nothing is taken
retroactively, so no plan moves when it runs)."""

from typing import Any

from django.db import migrations, models
from django.db.models import Sum


def logged_so_far_consumed(apps: Any, schema_editor: Any) -> None:
    phase_model = apps.get_model("delivery", "ProjectPhase")
    entry_model = apps.get_model("delivery", "TimesheetEntry")
    totals = entry_model.objects.values("phase_id").annotate(total=Sum("minutes"))
    for row in totals:
        phase_model.objects.filter(pk=row["phase_id"]).update(logged_minutes_consumed=row["total"])


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0004_phase_state_and_forecast"),
    ]

    operations = [
        migrations.AddField(
            model_name="projectphase",
            name="logged_minutes_consumed",
            field=models.PositiveIntegerField(
                default=0,
                help_text="The logged minutes already taken off this phase's reservation; set "
                "to the minutes logged whenever its work is booked again (that booking places "
                "the work left).",
            ),
        ),
        migrations.RunPython(logged_so_far_consumed, migrations.RunPython.noop),
    ]
