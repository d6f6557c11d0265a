"""Sign-in throttling, counted from the audit log's record of failed sign-ins."""

import unicodedata
from datetime import timedelta

from django.conf import settings

from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext, audit_record

LOGIN_FAILED = "auth.login_failed"
# One address may try several accounts (a shared office), so it gets more room.
_IP_FACTOR = 4


def username_key(username: str) -> str:
    """The name the throttle counts: as the sign-in form reads it (NFKC), case-folded.

    A name with a fullwidth letter signs in as the plain name, so it counts as that name.
    """
    return unicodedata.normalize("NFKC", username).strip().casefold()[:100]


def signin_retry_after(*, username: str, ip: str | None) -> int:
    """Seconds until this username (or address) may try again; 0 when not throttled."""
    window = timedelta(seconds=settings.OPSROOM_LOGIN_WINDOW_SECONDS)
    since = clock.now() - window
    failures = AuditEntry.objects.filter(action=LOGIN_FAILED, occurred_at__gte=since)
    limit = settings.OPSROOM_LOGIN_MAX_FAILURES
    by_user = failures.filter(target_type="username", target_id=username_key(username))
    checks = [(by_user, limit)]
    if ip:
        checks.append((failures.filter(ip=ip), limit * _IP_FACTOR))
    retry_after = 0
    for recent, allowed in checks:
        times = list(
            recent.order_by("-occurred_at").values_list("occurred_at", flat=True)[:allowed]
        )
        if len(times) >= allowed:
            # Free again when the oldest of the last `allowed` failures leaves the window.
            free_at = times[-1] + window
            retry_after = max(retry_after, int((free_at - clock.now()).total_seconds()) + 1)
    return retry_after


def signin_failure_record(*, username: str, audit: AuditContext, reason: str) -> None:
    """Record a failed sign-in (it counts towards the throttle)."""
    audit_record(
        audit,
        action=LOGIN_FAILED,
        target_type="username",
        target_id=username_key(username),
        target_label=username[:200],
        params={"reason": reason},
    )
