"""The audit log refuses DELETE on SQLite too, and its base manager is the append-only one.

PostgreSQL already refuses UPDATE and DELETE (0002). On SQLite, DELETE is refused unless the
connection's `opsroom_audit_purge_allowed()` answers 1, which only the test suite sets (Django
empties tables with DELETE between transactional tests); see core/sqlite_functions.py.
"""

from django.db import migrations

SQLITE_FORWARD = """
CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
WHEN opsroom_audit_purge_allowed() = 0
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS core_auditentry_no_delete;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_outbox")]

    operations = [
        migrations.AlterModelOptions(
            name="auditentry",
            options={
                "base_manager_name": "objects",
                "ordering": ["-occurred_at", "-id"],
                "verbose_name_plural": "audit entries",
            },
        ),
        migrations.RunPython(forward, backward),
    ]
