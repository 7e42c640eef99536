"""Audit events and promises are append-only in the database itself, on both vendors.

Application code never updates or deletes them; these triggers make sure no other code
(a shell, an admin action, a bug) can either. On SQLite the trigger calls
pk_append_only(), registered on every Django connection by SalesConfig; a client without
it (the sqlite3 shell) fails with "no such function", which blocks the write just as well.
PostgreSQL's TRUNCATE (used only to reset test databases) does not fire row triggers.
"""

from django.db import migrations

TABLES = ("sales_auditevent", "sales_promise")

SQLITE_CREATE = """
CREATE TRIGGER {table}_no_{op} BEFORE {op} ON {table}
WHEN pk_append_only()
BEGIN SELECT RAISE(ABORT, '{label} is append-only'); END;
"""

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION pk_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

POSTGRES_TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION pk_append_only('{label}');
"""

LABELS = {"sales_auditevent": "audit", "sales_promise": "promise"}


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        label = LABELS[table]
        if vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(SQLITE_CREATE.format(table=table, op=op, label=label))
        elif vendor == "postgresql":
            schema_editor.execute(POSTGRES_FUNCTION, params=None)
            schema_editor.execute(POSTGRES_TRIGGER.format(table=table, label=label))
        else:
            raise NotImplementedError(f"append-only triggers for {vendor}")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS pk_append_only()")


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_reservations_notifications")]

    operations = [migrations.RunPython(create, drop)]
