"""The people app's point-in-time signals (opsroom.people.signals): activity from the daily
rollups, logins, key actions and cancel attempts (events named in settings), features used,
tenure."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q, Sum

from opsroom.people.models import ActivityDaily, Person
from opsroom.people.signals import Signal, Signals, SignalSource

# How far back "days since" signals look; older counts as this many days.
LOOKBACK_DAYS = 180

SIGNALS = (
    Signal("days_since_active", "Days since the last day with any activity", LOOKBACK_DAYS),
    Signal("active_days_7d", "Active days in the last 7 days"),
    Signal("active_days_14d", "Active days in the last 14 days"),
    Signal("active_days_prev_14d", "Active days in the 14 days before those"),
    Signal("active_days_30d", "Active days in the last 30 days"),
    Signal("active_days_prev_30d", "Active days in the 30 days before those"),
    Signal("events_30d", "Events in the last 30 days"),
    Signal("events_prev_30d", "Events in the 30 days before those"),
    Signal("logins_30d", "Logins in the last 30 days"),
    Signal("days_since_login", "Days since the last login", LOOKBACK_DAYS),
    Signal("key_actions_30d", "Key actions (e.g. meal plans created) in the last 30 days"),
    Signal("days_since_key_action", "Days since the last key action", LOOKBACK_DAYS),
    Signal("features_used_30d", "Different things done in the last 30 days"),
    Signal("cancel_attempts_90d", "Attempts to cancel in the app in the last 90 days"),
    Signal("tenure_days", "Days since signing up"),
)


def activity_signals(person_ids: Sequence[int], as_of: datetime) -> Signals:
    """Activity of people as of a moment, from whole days before it (two grouped queries)."""
    today = as_of.date()

    def day(n: int) -> date:
        return today - timedelta(days=n)

    logins = list(settings.OPSROOM_SIGNAL_LOGIN_EVENTS)
    keys = list(settings.OPSROOM_SIGNAL_KEY_EVENTS)
    cancels = list(settings.OPSROOM_SIGNAL_CANCEL_EVENTS)
    rows = (
        ActivityDaily.objects.filter(
            person_id__in=person_ids, day__gte=day(LOOKBACK_DAYS), day__lt=today
        )
        .values("person_id")
        .annotate(
            last=Max("day"),
            last_login=Max("day", filter=Q(name__in=logins)),
            last_key=Max("day", filter=Q(name__in=keys)),
            d7=Count("day", distinct=True, filter=Q(day__gte=day(7))),
            d14=Count("day", distinct=True, filter=Q(day__gte=day(14))),
            d14p=Count("day", distinct=True, filter=Q(day__gte=day(28), day__lt=day(14))),
            d30=Count("day", distinct=True, filter=Q(day__gte=day(30))),
            d30p=Count("day", distinct=True, filter=Q(day__gte=day(60), day__lt=day(30))),
            e30=Sum("count", filter=Q(day__gte=day(30))),
            e30p=Sum("count", filter=Q(day__gte=day(60), day__lt=day(30))),
            l30=Sum("count", filter=Q(day__gte=day(30), name__in=logins)),
            k30=Sum("count", filter=Q(day__gte=day(30), name__in=keys)),
            f30=Count("name", distinct=True, filter=Q(day__gte=day(30))),
            c90=Sum("count", filter=Q(day__gte=day(90), name__in=cancels)),
        )
    )

    def since(moment: object) -> int:
        return (today - moment).days if moment else LOOKBACK_DAYS  # type: ignore[operator]

    result: Signals = {
        row["person_id"]: {
            "days_since_active": since(row["last"]),
            "days_since_login": since(row["last_login"]),
            "days_since_key_action": since(row["last_key"]),
            "active_days_7d": row["d7"],
            "active_days_14d": row["d14"],
            "active_days_prev_14d": row["d14p"],
            "active_days_30d": row["d30"],
            "active_days_prev_30d": row["d30p"],
            "events_30d": row["e30"] or 0,
            "events_prev_30d": row["e30p"] or 0,
            "logins_30d": row["l30"] or 0,
            "key_actions_30d": row["k30"] or 0,
            "features_used_30d": row["f30"],
            "cancel_attempts_90d": row["c90"] or 0,
        }
        for row in rows
    }
    for person_id, signed_up, created in Person.objects.filter(id__in=person_ids).values_list(
        "id", "signed_up_at", "created_at"
    ):
        start = signed_up or created
        tenure = max((as_of - start).days, 0) if start and start <= as_of else 0
        result.setdefault(person_id, {})["tenure_days"] = tenure
    return result


ACTIVITY_SIGNALS = SignalSource(app="people", signals=SIGNALS, provider=activity_signals)
