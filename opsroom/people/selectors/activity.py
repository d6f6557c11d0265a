"""A person's daily activity of the last 180 days, read once (one indexed query) and shared
by its readers: last login, 30-day usage, the inactivity and engagement insights."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Max

from opsroom.people.models import ActivityDaily

WINDOW_DAYS = 180


@dataclass(frozen=True)
class PersonActivity:
    today: date
    login_events: tuple[str, ...]
    rows: list[tuple[date, str, int]]  # (day, event name, count), newest first
    last_login: date | None
    last_active: date | None

    def counts_since(self, since: date) -> dict[str, int]:
        """Events per name from a day on."""
        counts: dict[str, int] = {}
        for day, name, count in self.rows:
            if day >= since:
                counts[name] = counts.get(name, 0) + count
        return counts

    def days(self, *, names: tuple[str, ...] | None = None) -> list[date]:
        """Distinct active days in the window (of some events, or any), oldest first."""
        return sorted({day for day, event, _count in self.rows if names is None or event in names})


def activity_for_person(
    *, person_id: int, today: date, login_events: tuple[str, ...]
) -> PersonActivity:
    """The person's activity rows of the last 180 days, with their last login and last day."""
    rows = list(
        ActivityDaily.objects.filter(
            person_id=person_id, day__gte=today - timedelta(days=WINDOW_DAYS)
        )
        .order_by("-day")
        .values_list("day", "name", "count")
    )
    last_active = rows[0][0] if rows else None
    last_login = next((day for day, name, _count in rows if name in login_events), None)
    older = ActivityDaily.objects.filter(person_id=person_id)
    if last_active is None:
        last_active = older.aggregate(day=Max("day"))["day"]
    if last_login is None and last_active is not None:
        last_login = older.filter(name__in=login_events).aggregate(day=Max("day"))["day"]
    return PersonActivity(
        today=today,
        login_events=login_events,
        rows=rows,
        last_login=last_login,
        last_active=last_active,
    )
