"""People's metric series for the anomaly watch: signups per hour, active people per day."""

from datetime import UTC, date, datetime

from django.db.models import Count

from opsroom.core.timeseries import Step, per_bucket
from opsroom.people.models import ActivityDaily, Person


def signups_per_bucket(*, step: Step, since: datetime, until: datetime) -> dict[datetime, float]:
    """People who signed up, per hour or day."""
    rows = per_bucket(
        Person.objects.filter(is_placeholder=False),
        field="signed_up_at",
        step=step,
        since=since,
        until=until,
    )
    return {bucket: value for (_, bucket), value in rows.items()}


def active_people_per_day(*, since: date, until: date) -> dict[datetime, float]:
    """People with any activity, per day (UTC midnight) from `since` up to `until`."""
    rows = (
        ActivityDaily.objects.filter(day__gte=since, day__lt=until)
        .values("day")
        .annotate(people=Count("person_id", distinct=True))
        .order_by()
    )
    return {
        datetime(row["day"].year, row["day"].month, row["day"].day, tzinfo=UTC): float(
            row["people"]
        )
        for row in rows
    }
