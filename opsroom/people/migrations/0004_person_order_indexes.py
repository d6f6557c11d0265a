"""PostgreSQL: the people list's default orders (newest activity or signup first, people never
seen last) read from an index instead of sorting everyone. SQLite orders NULLs that way in its
plain indexes already."""

from django.db import migrations

INDEXES = {
    "person_last_seen_order": "(last_seen_at DESC NULLS LAST, id DESC)",
    "person_signed_up_order": "(signed_up_at DESC NULLS LAST, id DESC)",
}


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON people_person {columns} WHERE NOT is_placeholder"
        )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("people", "0003_person_search")]

    operations = [migrations.RunPython(_create, _drop)]
