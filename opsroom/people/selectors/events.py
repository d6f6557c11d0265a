"""Reads of raw product events for the tasks that derive tables from them (experiments,
funnels). Requests never call these: they scan events."""

from collections.abc import Collection, Iterator
from datetime import date, datetime

from opsroom.people.models import ActivityDaily, Event


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


def active_days_for_people(
    *, person_ids: Collection[int], since: date, until: date
) -> dict[int, set[date]]:
    """The days (in a range, `until` excluded) on which each of some people did anything."""
    days: dict[int, set[date]] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 2000):
        rows = (
            ActivityDaily.objects.filter(
                person_id__in=ids[start : start + 2000], day__gte=since, day__lt=until
            )
            .values_list("person_id", "day")
            .distinct()
        )
        for person_id, day in rows:
            days.setdefault(person_id, set()).add(day)
    return days


def activity_for_people(
    *, person_ids: Collection[int], since: date, until: date
) -> dict[int, list[tuple[date, str]]]:
    """(day, event name) of each of some people's daily activity in [since, until)."""
    found: dict[int, list[tuple[date, str]]] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 2000):
        rows = ActivityDaily.objects.filter(
            person_id__in=ids[start : start + 2000], day__gte=since, day__lt=until
        ).values_list("person_id", "day", "name")
        for person_id, day, name in rows.iterator(chunk_size=5000):
            found.setdefault(person_id, []).append((day, name))
    return found
