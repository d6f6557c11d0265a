"""Errors the person hit, linked to Sentry when its issue URL is set."""

from django.conf import settings

from opsroom.telemetry.selectors import errors_for_person
from opsroom.user360.timeline.items import SourceRead, TimelineItem, TimelineSource


def errors(read: SourceRead) -> list[TimelineItem]:
    person, before, limit = read.person, read.before, read.limit
    template = settings.OPSROOM_SENTRY_ISSUE_URL
    items = []
    for error in errors_for_person(person_id=person.pk, before=before, limit=limit):
        url = template.format(issue_id=error.issue_id) if template and error.issue_id else ""
        detail = " · ".join(part for part in (error.endpoint, error.release) if part)
        items.append(
            TimelineItem(
                "error", 1, error.occurred_at, error.pk, f"Error: {error.title}", detail, "bad", url
            )
        )
    return items


SOURCE = TimelineSource("error", "Errors", errors)
