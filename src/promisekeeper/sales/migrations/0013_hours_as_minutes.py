"""Reserved, overtime and capacity hours become whole minutes; loads get an overtime allowance.

SQLite keeps decimals as floating point, so loads drifted from the sum of their
reservations (0.45999999999999996 against 0.46) and a release could then go below zero.
Integer minutes compare exactly on both databases. The data is converted both ways: each
reservation rounds half up to whole minutes (at least one), and each load is set to the
exact sum of its reservations, which also repairs loads that had drifted. Existing
overtime is its own allowance.

On SQLite, changing a column rebuilds the table, which drops its triggers: the ledger
triggers of sales_capacityreservation (organisation 0003) are created again after the
rebuilds, in both directions.
"""

import importlib
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models

LEDGER = importlib.import_module("promisekeeper.organisation.migrations.0003_ledger_triggers")
TABLE = "sales_capacityreservation"
HOURS = Decimal("0.001")
BATCH = 500


def ledger_triggers_restore(apps, schema_editor):
    """The reservation table's ledger triggers, as organisation 0003 made them (SQLite)."""
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL alters the table in place and keeps its triggers
    for op in LEDGER.OPERATIONS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_ledger_{op}")
        schema_editor.execute(LEDGER.SQLITE_TRIGGER.format(table=TABLE, op=op), params=None)


def _minutes(hours):
    exact = Decimal(str(hours)) * 60
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _hours(minutes):
    return (Decimal(minutes) / 60).quantize(HOURS, rounding=ROUND_HALF_UP)


def to_minutes(apps, schema_editor):
    Reservation = apps.get_model("sales", "CapacityReservation")
    Load = apps.get_model("sales", "PersonDayLoad")
    sums = defaultdict(lambda: [0, 0])
    rows = list(Reservation.objects.order_by("pk"))
    for row in rows:
        row.minutes = max(1, _minutes(row.hours))
        row.overtime_minutes = min(row.minutes, _minutes(row.overtime_hours))
        total = sums[(row.person_id, row.day)]
        total[0] += row.minutes
        total[1] += row.overtime_minutes
    Reservation.objects.bulk_update(rows, ["minutes", "overtime_minutes"], batch_size=BATCH)
    loads = list(Load.objects.order_by("pk"))
    for load in loads:
        reserved, overtime = sums.get((load.person_id, load.day), (0, 0))
        load.reserved_minutes = reserved
        load.overtime_minutes = overtime
        load.overtime_allowed_minutes = overtime
        # Whole minutes may round a full day a minute above its capacity: keep it booked.
        load.capacity_minutes = max(_minutes(load.capacity_hours), reserved - overtime)
    Load.objects.bulk_update(
        loads,
        ["reserved_minutes", "overtime_minutes", "overtime_allowed_minutes", "capacity_minutes"],
        batch_size=BATCH,
    )


def to_hours(apps, schema_editor):
    Reservation = apps.get_model("sales", "CapacityReservation")
    Load = apps.get_model("sales", "PersonDayLoad")
    sums = defaultdict(lambda: [Decimal(0), Decimal(0)])
    rows = list(Reservation.objects.order_by("pk"))
    for row in rows:
        row.hours = max(HOURS, _hours(row.minutes))
        row.overtime_hours = min(row.hours, _hours(row.overtime_minutes))
        total = sums[(row.person_id, row.day)]
        total[0] += row.hours
        total[1] += row.overtime_hours
    Reservation.objects.bulk_update(rows, ["hours", "overtime_hours"], batch_size=BATCH)
    loads = list(Load.objects.order_by("pk"))
    for load in loads:
        reserved, overtime = sums.get((load.person_id, load.day), (Decimal(0), Decimal(0)))
        load.reserved_hours = reserved
        load.overtime_hours = overtime
        load.capacity_hours = max(_hours(load.capacity_minutes), reserved - overtime)
    Load.objects.bulk_update(
        loads, ["reserved_hours", "overtime_hours", "capacity_hours"], batch_size=BATCH
    )


def _zero_default_first(model_name, name, **options):
    """Give an hours field a default before it goes, so that undoing the removal can add it
    back to rows that exist (``to_hours`` then fills it)."""
    return migrations.AlterField(
        model_name=model_name,
        name=name,
        field=models.DecimalField(decimal_places=3, max_digits=7, default=Decimal(0), **options),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("organisation", "0003_ledger_triggers"),
        ("sales", "0012_audit_admin_actions"),
    ]

    operations = [
        # Undone last: the rebuilds undone before it dropped the triggers again.
        migrations.RunPython(migrations.RunPython.noop, ledger_triggers_restore),
        migrations.RemoveConstraint(
            model_name="capacityreservation", name="capacity_reservation_hours_gt_0"
        ),
        migrations.RemoveConstraint(
            model_name="capacityreservation", name="capacity_reservation_overtime_within_hours"
        ),
        migrations.RemoveConstraint(
            model_name="persondayload", name="person_day_capacity_non_negative"
        ),
        migrations.RemoveConstraint(
            model_name="persondayload", name="person_day_reserved_non_negative"
        ),
        migrations.RemoveConstraint(
            model_name="persondayload", name="person_day_overtime_non_negative"
        ),
        migrations.RemoveConstraint(
            model_name="persondayload", name="person_day_reserved_within_capacity"
        ),
        migrations.AddField(
            model_name="capacityreservation",
            name="minutes",
            field=models.PositiveIntegerField(default=0, help_text="Booked time in whole minutes."),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="capacityreservation",
            name="overtime_minutes",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Of ``minutes``, those beyond the person's regular time, granted by "
                "the operations approval of the promise's exception.",
            ),
        ),
        migrations.AddField(
            model_name="persondayload",
            name="capacity_minutes",
            field=models.IntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="persondayload",
            name="reserved_minutes",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="persondayload",
            name="overtime_minutes",
            field=models.IntegerField(
                default=0,
                help_text="Approved overtime booked on this day (exceptions), on top of the "
                "regular capacity.",
            ),
        ),
        migrations.AddField(
            model_name="persondayload",
            name="overtime_allowed_minutes",
            field=models.IntegerField(
                default=0,
                help_text="The most overtime this day may carry: approved share × capacity, "
                "set by the commits that booked overtime here.",
            ),
        ),
        migrations.RunPython(to_minutes, to_hours),
        _zero_default_first("capacityreservation", "hours"),
        _zero_default_first("persondayload", "capacity_hours"),
        migrations.RemoveField(model_name="capacityreservation", name="hours"),
        migrations.RemoveField(model_name="capacityreservation", name="overtime_hours"),
        migrations.RemoveField(model_name="persondayload", name="capacity_hours"),
        migrations.RemoveField(model_name="persondayload", name="reserved_hours"),
        migrations.RemoveField(model_name="persondayload", name="overtime_hours"),
        migrations.AddConstraint(
            model_name="capacityreservation",
            constraint=models.CheckConstraint(
                condition=models.Q(("minutes__gt", 0)), name="capacity_reservation_minutes_gt_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="capacityreservation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("overtime_minutes__gte", 0), ("overtime_minutes__lte", models.F("minutes"))
                ),
                name="capacity_reservation_overtime_within_minutes",
            ),
        ),
        migrations.AddConstraint(
            model_name="persondayload",
            constraint=models.CheckConstraint(
                condition=models.Q(("capacity_minutes__gte", 0)),
                name="person_day_capacity_non_negative",
            ),
        ),
        migrations.AddConstraint(
            model_name="persondayload",
            constraint=models.CheckConstraint(
                condition=models.Q(("reserved_minutes__gte", 0)),
                name="person_day_reserved_non_negative",
            ),
        ),
        migrations.AddConstraint(
            model_name="persondayload",
            constraint=models.CheckConstraint(
                condition=models.Q(("overtime_minutes__gte", 0)),
                name="person_day_overtime_non_negative",
            ),
        ),
        migrations.AddConstraint(
            model_name="persondayload",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "reserved_minutes__lte",
                        models.F("capacity_minutes") + models.F("overtime_minutes"),
                    )
                ),
                name="person_day_reserved_within_capacity",
            ),
        ),
        migrations.AddConstraint(
            model_name="persondayload",
            constraint=models.CheckConstraint(
                condition=models.Q(("overtime_minutes__lte", models.F("overtime_allowed_minutes"))),
                name="person_day_overtime_within_allowance",
            ),
        ),
        migrations.RunPython(ledger_triggers_restore, migrations.RunPython.noop),
    ]
