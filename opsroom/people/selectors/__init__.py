"""Reads of people and their activity. Search, filters, the User 360 context, the timeline
and insights live in the modules beside this one."""

from collections.abc import Sequence
from datetime import date, datetime

from django.db.models import Count
from django.db.models.functions import TruncMonth

from opsroom.people.models import ActivityDaily, Person, Touch


def people_count() -> int:
    """Number of known people (placeholders excluded)."""
    return Person.objects.filter(is_placeholder=False).count()


def signups_count(*, since: datetime, until: datetime) -> int:
    """People who signed up in a time range."""
    return Person.objects.filter(signed_up_at__gte=since, signed_up_at__lt=until).count()


def active_people_count(*, since: date, until: date) -> int:
    """People with any activity on the days from `since` up to (not including) `until`."""
    return (
        ActivityDaily.objects.filter(day__gte=since, day__lt=until)
        .values("person_id")
        .distinct()
        .count()
    )


def signups_by_month(*, since: datetime) -> dict[str, int]:
    """Signups per calendar month ('YYYY-MM') since a time."""
    rows = (
        Person.objects.filter(signed_up_at__gte=since)
        .annotate(month=TruncMonth("signed_up_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    return {row["month"].strftime("%Y-%m"): row["n"] for row in rows}


def person_ids_by_email(*, emails: Sequence[str]) -> dict[str, int]:
    """Map email addresses (any case) to person ids; the most recently updated person wins."""
    wanted = {email.strip().lower() for email in emails if email.strip()}
    rows = (
        Person.objects.filter(email__in=wanted)
        .order_by("updated_at", "id")
        .values_list("email", "id")
    )
    return dict(rows)


def person_ids_by_external_id(*, external_ids: Sequence[str]) -> dict[str, int]:
    """Map external ids to person ids for people already known (no placeholders are made)."""
    return dict(
        Person.objects.filter(external_id__in=set(external_ids)).values_list("external_id", "id")
    )


def person_for_email(*, email: str) -> Person | None:
    """The person with this email address (any case); the most recently updated one wins."""
    wanted = email.strip().lower()
    if not wanted:
        return None
    return Person.objects.filter(email=wanted).order_by("-updated_at", "-id").first()


def people_by_ids(*, ids: Sequence[int]) -> dict[int, Person]:
    """People by their ids (missing ids are left out)."""
    return Person.objects.in_bulk(list(ids))


def people_profiles(*, ids: Sequence[int]) -> dict[int, tuple[datetime | None, str, str]]:
    """(signed up at, acquisition channel, platform attribute) of some people, by id."""
    found: dict[int, tuple[datetime | None, str, str]] = {}
    id_list = list(ids)
    for start in range(0, len(id_list), 2000):
        rows = Person.objects.filter(pk__in=id_list[start : start + 2000]).values_list(
            "pk", "signed_up_at", "acquisition_channel", "attributes"
        )
        for pk, signed_up_at, channel, attributes in rows:
            platform = attributes.get("platform", "") if isinstance(attributes, dict) else ""
            found[pk] = (signed_up_at, channel or "", str(platform or ""))
    return found


def people_signed_up_between(*, since: datetime, until: datetime) -> list[int]:
    """Ids of the people (placeholders excluded) who signed up in [since, until)."""
    return list(
        Person.objects.filter(
            is_placeholder=False, signed_up_at__gte=since, signed_up_at__lt=until
        ).values_list("pk", flat=True)
    )


def touches_for_people(*, ids: Sequence[int]) -> dict[int, list[tuple[datetime, str, str, str]]]:
    """Each person's marketing touches as (time, channel, campaign, landing page), oldest
    first; people without touches are left out."""
    found: dict[int, list[tuple[datetime, str, str, str]]] = {}
    id_list = list(ids)
    for start in range(0, len(id_list), 2000):
        rows = (
            Touch.objects.filter(person_id__in=id_list[start : start + 2000])
            .order_by("person_id", "occurred_at", "id")
            .values_list("person_id", "occurred_at", "channel", "campaign", "landing_page")
        )
        for pk, at, channel, campaign, page in rows:
            found.setdefault(pk, []).append((at, channel, campaign, page))
    return found
