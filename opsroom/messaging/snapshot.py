"""The email part of the person snapshot (opsroom.people.snapshot)."""

from datetime import datetime, timedelta

from opsroom.messaging.models import EmailMessage
from opsroom.messaging.selectors import email_summary_for_person
from opsroom.people.models import Person
from opsroom.people.snapshot import EMAIL, EmailFacts

_BOUNCED = (EmailMessage.Status.BOUNCED, EmailMessage.Status.COMPLAINED)


@EMAIL.provide
def email_facts(person: Person, now: datetime) -> EmailFacts:
    """What Opsroom emailed the person lately, and whether their address still takes email."""
    summary = email_summary_for_person(person_id=person.pk, since=now - timedelta(days=30))
    last = summary.last
    return EmailFacts(
        sent_30d=summary.sent_since,
        opened_30d=summary.opened_since,
        bounced=last is not None and last.status in _BOUNCED,
        last_subject=last.subject if last else "",
        last_status=last.status if last else "",
        last_at=last.created_at if last else None,
        active_sequences=tuple(summary.active_sequences),
    )
