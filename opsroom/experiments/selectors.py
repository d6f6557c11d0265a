"""Reads of feature flags, experiments and exposures."""

from opsroom.experiments.models import Exposure, FeatureFlag


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
