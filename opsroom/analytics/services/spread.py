"""The error-spread table: per error fingerprint, how many people it reached recently and
whether a newer release stopped it. Refreshed hourly by a task; read by the insights."""

from collections import defaultdict
from datetime import timedelta

from django.db import transaction

from opsroom.analytics.models import ErrorSpread
from opsroom.core import clock
from opsroom.telemetry.selectors import (
    error_fingerprint_stats,
    error_release_stats,
    release_traffic,
)

WINDOW_DAYS = 14
# A release counts as having stopped a bug only once it has served this many API calls.
MIN_FIX_REQUESTS = 50


@transaction.atomic
def error_spread_refresh(*, window_days: int = WINDOW_DAYS) -> int:
    """Recompute the spread of every fingerprint seen in the window; return how many."""
    now = clock.now()
    since = now - timedelta(days=window_days)
    releases: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in error_release_stats(since=since):
        releases[row["fingerprint"]].append(
            {
                "release": row["release"],
                "occurrences": row["n"],
                "first_seen": row["first_seen"].isoformat(),
                "last_seen": row["last_seen"].isoformat(),
            }
        )
    traffic = release_traffic(since=since)
    rows = []
    for stat in error_fingerprint_stats(since=since):
        by_release = sorted(releases[stat["fingerprint"]], key=lambda r: str(r["first_seen"]))
        seen_in = {r["release"] for r in by_release}
        latest = max(by_release, key=lambda r: str(r["last_seen"]), default=None)
        fixed = next(
            (
                release
                for release in traffic
                if release["first_seen"] > stat["last_seen"]
                and release["release"] not in seen_in
                and release["requests"] >= MIN_FIX_REQUESTS
            ),
            None,
        )
        rows.append(
            ErrorSpread(
                fingerprint=stat["fingerprint"],
                title=(stat["title"] or "")[:500],
                endpoint=(stat["endpoint"] or "")[:200],
                people=stat["people"],
                occurrences=stat["occurrences"],
                first_seen_at=stat["first_seen"],
                last_seen_at=stat["last_seen"],
                last_release=str(latest["release"]) if latest else "",
                releases=by_release,
                fixed_in_release=fixed["release"] if fixed else "",
                fixed_release_first_seen_at=fixed["first_seen"] if fixed else None,
                fixed_release_requests=fixed["requests"] if fixed else 0,
                window_days=window_days,
                computed_at=now,
            )
        )
    ErrorSpread.objects.all().delete()
    ErrorSpread.objects.bulk_create(rows, batch_size=500)
    return len(rows)
