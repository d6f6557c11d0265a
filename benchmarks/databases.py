"""Emptying a benchmark database before a data set is rebuilt.

`manage.py flush` cannot do it once the data holds audit entries: the audit log is
append-only in the database itself (a trigger refuses DELETE). A SQLite file is removed and a
PostgreSQL database's public schema dropped and re-created; then the migrations run again.
"""

from pathlib import Path


def database_empty() -> None:
    """Empty the default database (inside a worker, after django.setup()) and migrate it."""
    from django.core.management import call_command
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    vendor = connection.vendor
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
        connection.close()
    elif vendor == "sqlite":
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
    else:
        raise SystemExit(f"benchmarks: cannot empty a {vendor} database")
    call_command("migrate", verbosity=0)
