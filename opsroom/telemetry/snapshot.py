"""The errors part of the person snapshot (opsroom.people.snapshot)."""

from datetime import datetime, timedelta
from typing import Any

from opsroom.people.models import Person
from opsroom.people.snapshot import ERRORS, ErrorFacts, ErrorGroupFacts
from opsroom.telemetry.selectors import error_groups_for_person


def _group(row: dict[str, Any]) -> ErrorGroupFacts:
    return ErrorGroupFacts(
        fingerprint=row["fingerprint"] or "",
        title=row["title"] or "",
        endpoint=row["endpoint"] or "",
        issue_id=row["issue_id"] or "",
        release=row["release"] or "",
        count=row["n"],
        last_at=row["last_at"],
    )


@ERRORS.provide
def error_facts(person: Person, now: datetime) -> ErrorFacts:
    """The person's errors of the last 7 and 30 days, grouped by endpoint and fingerprint."""
    month = [
        _group(row)
        for row in error_groups_for_person(person_id=person.pk, since=now - timedelta(days=30))
    ]
    week = [
        _group(row)
        for row in error_groups_for_person(person_id=person.pk, since=now - timedelta(days=7))
    ]
    return ErrorFacts(
        count_7d=sum(group.count for group in week),
        count_30d=sum(group.count for group in month),
        groups_7d=tuple(week),
        groups_30d=tuple(month),
    )
