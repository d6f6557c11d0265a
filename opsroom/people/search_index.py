"""The SQLite trigram index behind contains-search (FTS5, external content = people_person).

Django rebuilds a SQLite table (new table, copy, drop, rename) when a later migration alters
people_person, which drops these triggers; `search_index_ensure` runs after every migrate and
puts them back, rebuilding the index when they were missing.
"""

from django.db import connections

FTS_TABLE = "people_person_fts"

# Only constant names appear in these statements.
SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS people_person_fts USING fts5("
    "search_text, content='people_person', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS people_person_fts_insert AFTER INSERT ON people_person BEGIN "
    "INSERT INTO people_person_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS people_person_fts_delete AFTER DELETE ON people_person BEGIN "
    "INSERT INTO people_person_fts(people_person_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS people_person_fts_update AFTER UPDATE OF search_text "
    "ON people_person BEGIN "
    "INSERT INTO people_person_fts(people_person_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO people_person_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO people_person_fts(people_person_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS people_person_fts_insert",
    "DROP TRIGGER IF EXISTS people_person_fts_delete",
    "DROP TRIGGER IF EXISTS people_person_fts_update",
    "DROP TABLE IF EXISTS people_person_fts",
]
_TRIGGERS = {"people_person_fts_insert", "people_person_fts_delete", "people_person_fts_update"}


def search_index_ensure(*, using: str = "default") -> bool:
    """Recreate the SQLite search triggers and rebuild the index if any is missing."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'table')")
        names = {row[0] for row in cursor.fetchall()}
        if "people_person" not in names or (_TRIGGERS | {FTS_TABLE}) <= names:
            return False
        for sql in SQLITE_CREATE:
            cursor.execute(sql)
    return True
