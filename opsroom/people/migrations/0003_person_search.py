"""Search: fill Person.search_text, then index it for contains-search.

SQLite: an FTS5 table with the trigram tokenizer over search_text, kept in step by triggers.
PostgreSQL: a pg_trgm GIN index when the extension can be created (it is a trusted extension
since PostgreSQL 13, so the database owner may create it); without it, contains-search scans.
Both: prefix indexes for email and lower(name) (pattern ops on PostgreSQL).
"""

from django.db import DatabaseError, migrations, transaction

from opsroom.people.search_index import SQLITE_CREATE, SQLITE_DROP


def _backfill(apps, schema_editor):
    from opsroom.people.models import person_search_text

    Person = apps.get_model("people", "Person")
    batch = []
    for person in Person.objects.only("id", "email", "name", "external_id").iterator(
        chunk_size=2000
    ):
        person.search_text = person_search_text(
            email=person.email, name=person.name, external_id=person.external_id
        )
        batch.append(person)
        if len(batch) >= 2000:
            Person.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Person.objects.bulk_update(batch, ["search_text"])


def _index_create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for sql in SQLITE_CREATE:
            schema_editor.execute(sql)
        return
    if connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS person_email_prefix ON people_person "
        "(email varchar_pattern_ops)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS person_name_prefix ON people_person "
        "(lower(name) text_pattern_ops)"
    )
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return  # no pg_trgm: contains-search scans the table (see docs/people.md)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS person_search_trgm ON people_person "
        "USING gin (search_text gin_trgm_ops)"
    )


def _index_drop(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)
    elif connection.vendor == "postgresql":
        for name in ("person_search_trgm", "person_email_prefix", "person_name_prefix"):
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_health_segments_impersonation"),
    ]

    operations = [
        migrations.RunPython(_backfill, migrations.RunPython.noop),
        migrations.RunPython(_index_create, _index_drop),
    ]
