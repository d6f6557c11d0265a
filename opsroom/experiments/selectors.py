"""Reads of feature flags, experiments and exposures."""

from datetime import UTC, date, datetime

from django.db.models import Count
from django.db.models.functions import TruncWeek

from opsroom.experiments.models import Exposure, FeatureFlag, FlagRollout


def exposures_for_person(*, person_id: int) -> list[Exposure]:
    """The variants actually served to a person, with their flags and experiments."""
    return list(
        Exposure.objects.filter(person_id=person_id)
        .select_related("flag", "flag__experiment")
        .order_by("flag__key", "-last_exposed_at")
    )


def flag_list() -> list[FeatureFlag]:
    """Every feature flag, with its experiment when it has one."""
    return list(FeatureFlag.objects.select_related("experiment").order_by("key"))


def rollouts_running() -> list[FlagRollout]:
    """Staged rollouts in progress, with their flags."""
    return list(
        FlagRollout.objects.filter(status=FlagRollout.Status.RUNNING).select_related("flag")
    )


def rollouts_for_flag(*, flag_id: int, limit: int = 20) -> list[FlagRollout]:
    """A flag's rollouts, newest first."""
    return list(FlagRollout.objects.filter(flag_id=flag_id).order_by("-started_at")[:limit])


def exposures_of_flag(*, flag_id: int, since: datetime) -> list[tuple[int, str, datetime]]:
    """(person id, variant, first exposure) of everyone served a flag since a time."""
    return list(
        Exposure.objects.filter(flag_id=flag_id, last_exposed_at__gte=since).values_list(
            "person_id", "variant", "first_exposed_at"
        )
    )


def flag_get(*, key: str) -> FeatureFlag | None:
    """A flag by its key."""
    return FeatureFlag.objects.filter(key=key).first()


def flag_adoption_weekly(*, flag_id: int, since: datetime) -> list[tuple[date, str, int]]:
    """(week's Monday, variant, people first served it that week) of a flag since a time."""
    rows = (
        Exposure.objects.filter(flag_id=flag_id, first_exposed_at__gte=since)
        .annotate(week=TruncWeek("first_exposed_at", tzinfo=UTC))
        .values("week", "variant")
        .annotate(people=Count("person_id"))
        .order_by("week", "variant")
    )
    return [
        (row["week"].date() if isinstance(row["week"], datetime) else row["week"], row["variant"],
         row["people"])
        for row in rows
    ]  # fmt: skip


def flag_people_by_variant(*, flag_id: int) -> dict[str, int]:
    """People ever served each variant of a flag."""
    rows = Exposure.objects.filter(flag_id=flag_id).values("variant").annotate(n=Count("id"))
    return {row["variant"]: row["n"] for row in rows}
