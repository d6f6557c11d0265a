"""The support part of the person snapshot (opsroom.people.snapshot)."""

from datetime import datetime, timedelta

from opsroom.people.models import Person
from opsroom.people.snapshot import SUPPORT, SupportFacts, TicketFacts
from opsroom.support.selectors import ticket_summary_for_person


@SUPPORT.provide
def support_facts(person: Person, now: datetime) -> SupportFacts:
    """The person's tickets: open, total, recent, time to resolution, the latest one."""
    summary = ticket_summary_for_person(person_id=person.pk, since=now - timedelta(days=30))
    last = summary.last_ticket
    return SupportFacts(
        open=summary.open,
        total=summary.total,
        resolved=summary.resolved,
        tickets_30d=summary.since,
        average_resolution_hours=summary.average_resolution_hours,
        last_ticket=TicketFacts(
            id=last.pk,
            subject=last.subject,
            status=last.status,
            priority=last.priority,
            category=last.category,
            created_at=last.created_at,
            resolved_at=last.resolved_at,
        )
        if last is not None
        else None,
    )
