"""An approval covers what was asked (the deal's lines, the measure, the date) and is used
once; a promise beyond capacity has no confidence.

On SQLite, altering ``sales_promise`` rebuilds the table, which drops its append-only
triggers (migration 0003): they are created again here, on the rebuilt table.
"""

from django.conf import settings
from django.db import migrations, models

SQLITE_PROMISE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS sales_promise_no_{op} BEFORE {op} ON sales_promise
WHEN pk_append_only()
BEGIN SELECT RAISE(ABORT, 'promise is append-only'); END;
"""


def promise_triggers_restore(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL alters the table in place and keeps its trigger
    for op in ("UPDATE", "DELETE"):
        schema_editor.execute(SQLITE_PROMISE_TRIGGER.format(op=op))


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0010_reservation_change_kind"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="exceptionrequest",
            name="beyond_capacity",
            field=models.BooleanField(
                default=False,
                help_text="Operations agreed to promise the date although the plan, with what they approved applied, does not reach it: the promise then says so and has no confidence.",
            ),
        ),
        migrations.AddField(
            model_name="exceptionrequest",
            name="scope_lines",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="The deal's lines when the request was made, as [offering id, product id, quantity] rows in canonical order: the approval covers exactly these.",
            ),
        ),
        migrations.AddField(
            model_name="exceptionrequest",
            name="used_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When a promise used the approval (it is used once).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="promise",
            name="beyond_capacity",
            field=models.BooleanField(
                default=False,
                help_text="Made on an operations approval beyond capacity: the planned work ends after the promised date.",
            ),
        ),
        migrations.AlterField(
            model_name="promise",
            name="confidence",
            field=models.CharField(
                blank=True,
                choices=[("P50", "P50 (coin flip)"), ("P80", "P80 (usual)"), ("P95", "P95 (safe)")],
                max_length=3,
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="exceptionrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("used_at__isnull", True), ("status", "approved"), _connector="OR"
                ),
                name="exception_used_only_when_approved",
            ),
        ),
        migrations.AddConstraint(
            model_name="exceptionrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("beyond_capacity", False), ("status", "approved"), _connector="OR"
                ),
                name="exception_beyond_capacity_only_when_approved",
            ),
        ),
        migrations.AddConstraint(
            model_name="promise",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("beyond_capacity", False), ("confidence__isnull", False)),
                    models.Q(("beyond_capacity", True), ("confidence__isnull", True)),
                    _connector="OR",
                ),
                name="promise_confidence_unless_beyond_capacity",
            ),
        ),
        migrations.AddConstraint(
            model_name="promise",
            constraint=models.UniqueConstraint(
                condition=models.Q(("approval__isnull", False)),
                fields=("approval",),
                name="promise_approval_used_once",
            ),
        ),
        migrations.RunPython(promise_triggers_restore, migrations.RunPython.noop),
    ]
