"""A commit's writes now bump the ledger several times (organisation 0003's triggers): its
journal row records the whole range of versions it reached. Older rows were one version."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0007_deal_draft_key_audit_actions"),
    ]

    operations = [
        migrations.AddField(
            model_name="reservationchange",
            name="first_version",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunSQL(
            "UPDATE sales_reservationchange SET first_version = version",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="reservationchange",
            name="first_version",
            field=models.BigIntegerField(
                help_text="The first ledger version the commit's writes reached (the locked one + 1)."
            ),
        ),
        migrations.AlterField(
            model_name="reservationchange",
            name="version",
            field=models.BigIntegerField(
                unique=True, help_text="The last ledger version the commit's writes reached."
            ),
        ),
        migrations.AddConstraint(
            model_name="reservationchange",
            constraint=models.CheckConstraint(
                condition=models.Q(first_version__gt=0, first_version__lte=models.F("version")),
                name="reservation_change_versions_ordered",
            ),
        ),
    ]
