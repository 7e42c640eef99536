from django.db import migrations, models


def draft_keys_from_audit(apps, schema_editor):
    """Drafts were found by scanning audit payloads; the key now lives on the deal."""
    AuditEvent = apps.get_model("sales", "AuditEvent")
    Deal = apps.get_model("sales", "Deal")
    seen = set()
    drafted = AuditEvent.objects.filter(action="deal.drafted").order_by("created_at", "pk")
    for deal_id, payload in drafted.values_list("deal_id", "payload"):
        key = (payload or {}).get("draft_key")
        if deal_id is None or not key or key in seen:
            continue
        seen.add(key)
        Deal.objects.filter(pk=deal_id, draft_key__isnull=True).update(draft_key=key[:100])


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0006_reservation_change_payload"),
    ]

    operations = [
        migrations.AddField(
            model_name="deal",
            name="draft_key",
            field=models.CharField(
                blank=True, editable=False, max_length=100, null=True, unique=True
            ),
        ),
        migrations.RunPython(draft_keys_from_audit, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("deal.created", "Deal created"),
                    ("deal.drafted", "Deal drafted from a quote"),
                    ("deal.lines_set", "Deal lines changed"),
                    ("hold.placed", "Capacity held"),
                    ("hold.expired", "Hold expired"),
                    ("promise.committed", "Promise made"),
                    ("promise.date_changed", "Promise re-dated"),
                    ("promise.cancelled", "Promise cancelled"),
                    ("exception.requested", "Exception requested"),
                    ("exception.approved", "Exception approved"),
                    ("exception.proposed", "Another date proposed"),
                    ("exception.declined", "Exception declined"),
                ],
                max_length=100,
            ),
        ),
    ]
