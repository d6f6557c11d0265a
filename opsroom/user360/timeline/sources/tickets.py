"""Support tickets, with how long they took to resolve or have been open."""

from opsroom.support.selectors import tickets_for_person
from opsroom.user360.timeline.items import (
    SourceRead,
    TimelineItem,
    TimelineSource,
    duration_text,
    url_if_routed,
)


def tickets(read: SourceRead) -> list[TimelineItem]:
    person, before, limit = read.person, read.before, read.limit
    items = []
    for ticket in tickets_for_person(person_id=person.pk, before=before, limit=limit):
        if ticket.resolved_at:
            line = f"Resolved in {duration_text(ticket.resolved_at - ticket.created_at)}"
        else:
            line = (
                f"{ticket.get_status_display()} for {duration_text(read.now - ticket.created_at)}"
            )
        items.append(
            TimelineItem(
                "ticket",
                4,
                ticket.created_at,
                ticket.pk,
                f"Support ticket opened (#{ticket.pk})",
                ticket.subject,
                "" if ticket.resolved_at else "warn",
                url_if_routed(ticket.get_absolute_url()),
                [line],
            )
        )
    return items


SOURCE = TimelineSource("ticket", "Tickets", tickets)
