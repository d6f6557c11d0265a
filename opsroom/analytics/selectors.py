"""Reads of the derived cross-app tables (feature lift, error spread) and of the activity
analyses they are built from."""

from collections.abc import Collection, Sequence
from datetime import date, timedelta

from django.db.models import Count

from opsroom.analytics.models import ErrorSpread, FeatureLift, Funnel, FunnelResult
from opsroom.analytics.services.lift import ADOPTION_DAYS, activity_band
from opsroom.people.models import ActivityDaily

CORE_FEATURES_DETECTED = 10
# Events that are not product features: sessions, account, billing and error events.
NOT_FEATURES = {
    "app_open", "app_opened", "session_start", "session_started", "page_view", "screen_view",
    "signed_up", "sign_up", "logout", "error_shown", "paywall_viewed", "checkout_started",
    "settings_changed", "onboarding_completed",
}  # fmt: skip
NOT_FEATURE_PREFIXES = ("subscription_", "payment_", "trial_", "plan_", "checkout_", "billing_")


def core_features_detect(*, on: date, excluded: Collection[str] = ()) -> list[str]:
    """The product features used by the most people in the 90 days before a day."""
    rows = (
        ActivityDaily.objects.filter(day__gte=on - timedelta(days=90), day__lt=on)
        .exclude(name__in=[*excluded, *NOT_FEATURES])
        .values("name")
        .annotate(people=Count("person_id", distinct=True))
        .order_by("-people", "name")
    )
    names = [row["name"] for row in rows if not row["name"].startswith(NOT_FEATURE_PREFIXES)]
    return names[:CORE_FEATURES_DETECTED]


def early_activity_band_for_person(*, person_id: int, signed_up_on: date) -> str:
    """The person's activity band in their first 30 days (as feature lift segments people)."""
    days = ActivityDaily.objects.filter(
        person_id=person_id,
        day__gte=signed_up_on,
        day__lt=signed_up_on + timedelta(days=ADOPTION_DAYS),
    )
    return activity_band(days.values("day").distinct().count())


def feature_lifts_for_segments(
    *,
    segments: Sequence[str],
    min_lift: float,
    max_p_value: float,
    min_group: int,
    excluding: Collection[str] = (),
) -> list[FeatureLift]:
    """Features whose early adoption goes with retention in some segments, by evidence."""
    return list(
        FeatureLift.objects.filter(segment__in=segments, lift__gte=min_lift)
        .filter(p_value__lte=max_p_value)
        .filter(adopters__gte=min_group, others__gte=min_group)
        .exclude(feature__in=excluding)
    )


def error_spreads_for_fingerprints(
    *, fingerprints: Collection[str], limit: int
) -> list[ErrorSpread]:
    """The widest-spread of some error fingerprints (reaching more than one person)."""
    spreads = ErrorSpread.objects.filter(fingerprint__in=fingerprints, people__gt=1)
    return list(spreads.order_by("-people")[:limit])


def funnel_step_dropped(*, funnel_id: int, step: int) -> tuple[str, list[int]] | None:
    """(The funnel's name, the ids of the people who reached its step `step` (1-based) and went
    no further, as last computed); None for an unknown funnel or a step it lacks (or its last).
    People not computed yet: an empty list."""
    if not 0 < funnel_id < 2**63:
        return None
    funnel = Funnel.objects.filter(pk=funnel_id).select_related("result").first()
    if funnel is None or not 1 <= step < len(funnel.steps):
        return None
    result: FunnelResult | None = getattr(funnel, "result", None)
    return funnel.name, list(result.dropped.get(str(step - 1), [])) if result else []
