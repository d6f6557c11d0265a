"""Product activity: one entry per day, from the daily rollups."""

from collections import defaultdict
from datetime import UTC, date, datetime, time

from opsroom.core.labels import name_label as event_label
from opsroom.people.models import ActivityDaily
from opsroom.user360.timeline.items import SourceRead, TimelineItem, TimelineSource


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def product_days(read: SourceRead) -> list[TimelineItem]:
    person, before, limit = read.person, read.before, read.limit
    activity = ActivityDaily.objects.filter(person_id=person.pk)
    days = list(
        activity.filter(day__lte=before.date())
        .order_by("-day")
        .values_list("day", flat=True)
        .distinct()[:limit]
    )
    if not days:
        return []
    last_login = (
        activity.filter(name__in=read.login_events)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    counts: dict[date, list[tuple[int, str]]] = defaultdict(list)
    for day, name, count in activity.filter(day__in=days).values_list("day", "name", "count"):
        counts[day].append((count, name))
    items = []
    for day in days:
        names = sorted(counts[day], key=lambda pair: (-pair[0], pair[1]))
        parts: list[str] = []
        if any(name in read.login_events for _count, name in names):
            parts.append("Last login" if day == last_login else "Logged in")
        for count, name in names:
            if name == read.login_events[0]:
                continue  # said by "Logged in"; other session events (app opens) are listed
            parts.append(event_label(name) + (f" x{count}" if count > 1 else ""))
        total = sum(count for count, _name in names)
        items.append(
            TimelineItem(
                kind="product",
                rank=0,
                at=_day_end(day),
                id=day.toordinal(),
                title=" · ".join(parts[:6]) + (" · …" if len(parts) > 6 else ""),
                detail=f"{total} event{'s' if total != 1 else ''}",
                is_day=True,
            )
        )
    return items


SOURCE = TimelineSource("product", "Product", product_days)
