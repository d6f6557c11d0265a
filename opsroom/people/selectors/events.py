"""Reads of raw product events for the tasks that derive tables from them (experiments,
funnels). Requests never call these: they scan events."""

from collections.abc import Collection, Iterator
from datetime import datetime

from opsroom.people.models import Event


def event_times(
    *, names: Collection[str], since: datetime, until: datetime | None = None
) -> Iterator[tuple[int, str, datetime]]:
    """(person id, event name, time) of every event of some names in a time range."""
    events = Event.objects.filter(name__in=list(names), occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    yield from events.values_list("person_id", "name", "occurred_at").iterator(chunk_size=5000)


def event_times_for_people(
    *, person_ids: Collection[int], names: Collection[str], since: datetime, until: datetime
) -> Iterator[tuple[int, str, datetime]]:
    """(person id, event name, time) of some people's events of some names in a time range."""
    events = Event.objects.filter(
        person_id__in=list(person_ids),
        name__in=list(names),
        occurred_at__gte=since,
        occurred_at__lt=until,
    )
    yield from events.values_list("person_id", "name", "occurred_at").iterator(chunk_size=5000)
