"""Emails sent to the person, with their delivery status."""

from opsroom.messaging.selectors import emails_for_person
from opsroom.user360.timeline.items import SourceRead, TimelineItem, TimelineSource


def emails(read: SourceRead) -> list[TimelineItem]:
    person, before, limit = read.person, read.before, read.limit
    items = []
    for email in emails_for_person(person_id=person.pk, before=before, limit=limit):
        source = email.template.name if email.template else ""
        if email.sequence:
            source = f"{email.sequence.name}" + (f" · {source}" if source else "")
        tone = {"bounced": "bad", "complained": "bad", "failed": "bad"}.get(email.status, "")
        items.append(
            TimelineItem(
                "email",
                5,
                email.created_at,
                email.pk,
                f"Email {email.get_status_display().lower()}: {email.subject}",
                source or ("sent by staff" if email.sent_by_id else ""),
                tone,
            )
        )
    return items


SOURCE = TimelineSource("email", "Emails", emails)
