"""SQL functions Opsroom registers on each SQLite connection.

`opsroom_audit_purge_allowed()` is read by the trigger that refuses DELETE on the audit log
(core migration 0003). It answers 0; only the test suite sets it to 1, because Django empties
every table with DELETE between transactional tests. A connection that does not register it
(the sqlite3 shell) cannot delete audit entries either: its DELETE fails on the unknown name.
"""

from typing import Any

audit_purge_allowed = False


def _audit_purge_allowed() -> int:
    return 1 if audit_purge_allowed else 0


def sqlite_functions_register(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Register Opsroom's functions on a new SQLite connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "opsroom_audit_purge_allowed", 0, _audit_purge_allowed
        )
