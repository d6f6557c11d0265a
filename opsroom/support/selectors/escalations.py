"""What engineering gets with an escalation, and the known issues beside a ticket."""

from datetime import timedelta
from typing import Any

from opsroom.core import clock
from opsroom.people.snapshot import person_snapshot_get
from opsroom.support.models import Escalation, KnownIssue, Ticket, TicketAnalysis
from opsroom.telemetry.selectors import api_requests_for_person, error_group_summary

REQUESTS_DAYS = 7
REQUESTS_MAX = 10


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def escalation_context(*, ticket: Ticket, fingerprint: str = "") -> dict[str, Any]:
    """The facts attached to an escalation: the person and plan, their device, the error (the
    one named, else the ticket's matching error, else their most frequent this week) with how
    widespread it is, and their recent failed requests."""
    person = ticket.requester
    snapshot = person_snapshot_get(person=person)
    groups = {g.fingerprint: g for g in (*snapshot.errors.groups_30d, *snapshot.errors.groups_7d)}
    week = {g.fingerprint: g.count for g in snapshot.errors.groups_7d}
    if not fingerprint:
        analysis = TicketAnalysis.objects.filter(ticket=ticket).first()
        matched = str(analysis.signals.get("error_fingerprint", "")) if analysis else ""
        if matched in groups:
            fingerprint = matched
        elif snapshot.errors.groups_7d:
            fingerprint = snapshot.errors.groups_7d[0].fingerprint
    error: dict[str, Any] | None = None
    if fingerprint in groups:
        group = groups[fingerprint]
        summary = error_group_summary(fingerprint=fingerprint) or {}
        error = {
            "fingerprint": group.fingerprint,
            "title": group.title,
            "endpoint": group.endpoint,
            "release": group.release,
            "issue_id": group.issue_id,
            "count_7d": week.get(fingerprint, 0),
            "last_at": _iso(group.last_at),
            "people": summary.get("people", 0),
            "occurrences": summary.get("occurrences", 0),
            "first_seen": _iso(summary.get("first_seen")),
            "last_seen": _iso(summary.get("last_seen")),
        }
    since = clock.now() - timedelta(days=REQUESTS_DAYS)
    failed = [
        r for r in api_requests_for_person(person_id=person.pk, since=since) if r.status >= 500
    ][:REQUESTS_MAX]
    device = snapshot.devices[0] if snapshot.devices else None
    return {
        "person": {"id": person.pk, "external_id": person.external_id, "email": person.email},
        "plan": snapshot.billing.plan_name or snapshot.billing.plan_code or "",
        "device": (
            " ".join(
                p
                for p in (
                    device.device or device.platform,
                    device.os_name,
                    device.os_version,
                    f"app {device.app_version}" if device.app_version else "",
                    device.browser,
                )
                if p
            )
            if device
            else ""
        ),
        "error": error,
        "requests": [
            {
                "method": r.method,
                "path": r.path,
                "status": r.status,
                "request_id": r.request_id,
                "occurred_at": _iso(r.occurred_at),
            }
            for r in failed
        ],
    }


def known_issues_for(*, fingerprints: list[str]) -> dict[str, KnownIssue]:
    """The known issues among some fingerprints, by fingerprint."""
    if not fingerprints:
        return {}
    return {k.fingerprint: k for k in KnownIssue.objects.filter(fingerprint__in=fingerprints)}


def known_issue_for_fingerprint(*, fingerprint: str) -> KnownIssue | None:
    """The known issue marked on a fingerprint, if any."""
    return KnownIssue.objects.filter(fingerprint=fingerprint).first() if fingerprint else None


def escalations_open() -> list[Escalation]:
    """Open escalations, newest first."""
    return list(
        Escalation.objects.filter(status=Escalation.Status.OPEN)
        .select_related("ticket", "ticket__requester", "created_by")
        .order_by("-created_at", "-id")[:500]
    )
