"""Every write to a table the plan reads bumps the ledger version, in the database itself.

The plan cache is keyed by the ledger version, so a write that forgets to bump it serves
stale plans. With these triggers no write can forget: services, the admin, a shell or raw
SQL all move the version inside their own transaction. The bump is an upsert, so the first
capacity write ever (or the first after a test flush) creates the ledger row.

PostgreSQL fires once per statement, BEFORE it, so a writer locks the ledger row before any
row it writes: the same order as the capacity lock (ledger first), hence no deadlock with a
commit. SQLite has only row triggers, and its database lock already orders writers.
The reservation journal (sales_reservationchange) has no trigger: a commit writes its
journal row after reading the version its writes reached.
"""

from django.db import migrations

# Every table promising.snapshot (and the quote's live stock check) reads.
TABLES = (
    "organisation_organisationsettings",
    "organisation_companyclosure",
    "people_role",
    "people_person",
    "people_skill",
    "people_timeoff",
    "catalog_offering",
    "catalog_sopversion",
    "catalog_sopphase",
    "catalog_sopphasecrew",
    "catalog_sopdependency",
    "catalog_product",
    "catalog_incomingsupply",
    "catalog_stockreservation",
    "delivery_project",
    "delivery_projectphase",
    "sales_deal",
    "sales_dealline",
    "sales_hold",
    "sales_capacityreservation",
    "sales_productavailability",
)

OPERATIONS = ("INSERT", "UPDATE", "DELETE")

SQLITE_TRIGGER = """
CREATE TRIGGER {table}_ledger_{op} AFTER {op} ON {table}
BEGIN
    INSERT INTO organisation_ledger (singleton, version, updated_at)
    VALUES (1, 1, strftime('%Y-%m-%d %H:%M:%f', 'now'))
    ON CONFLICT (singleton) DO UPDATE
    SET version = version + 1, updated_at = excluded.updated_at;
END;
"""

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION pk_ledger_bump() RETURNS trigger AS $$
BEGIN
    INSERT INTO organisation_ledger (singleton, version, updated_at)
    VALUES (true, 1, now())
    ON CONFLICT (singleton) DO UPDATE
    SET version = organisation_ledger.version + 1, updated_at = excluded.updated_at;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

POSTGRES_TRIGGER = """
CREATE TRIGGER {table}_ledger BEFORE INSERT OR UPDATE OR DELETE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION pk_ledger_bump();
"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
    elif vendor != "sqlite":
        raise NotImplementedError(f"ledger triggers for {vendor}")
    for table in TABLES:
        if vendor == "sqlite":
            for op in OPERATIONS:
                schema_editor.execute(SQLITE_TRIGGER.format(table=table, op=op), params=None)
        else:
            schema_editor.execute(POSTGRES_TRIGGER.format(table=table))


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for op in OPERATIONS:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_ledger_{op}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_ledger ON {table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS pk_ledger_bump()")


class Migration(migrations.Migration):
    dependencies = [
        ("organisation", "0002_groups"),
        ("people", "0001_initial"),
        ("catalog", "0002_initial"),
        ("delivery", "0001_initial"),
        ("sales", "0007_deal_draft_key_audit_actions"),
    ]

    operations = [migrations.RunPython(create, drop)]
