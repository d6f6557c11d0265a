"""Feature lift: which features, adopted early, go with people staying active.

For people who signed up 90 to 455 days ago: adoption = used the feature in their first 30
days; retained = active at all in days 60-90 after signup. Comparable = the same plan tier
(or everyone: "all") **and about as active in their first 30 days** (1-3, 4-9 or 10+ active
days), so a feature is not credited merely for being used by people who use everything. The
segment key is "<tier>|<activity band>". The lift is the ratio of the two retention rates,
with a two-sided two-proportion z-test. It is an association, and the page says so.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from statsmodels.stats.proportion import proportions_ztest

from opsroom.analytics.models import FeatureLift
from opsroom.core import clock
from opsroom.people.models import ActivityDaily, Person
from opsroom.revenue.selectors import subscriptions_current_for_people

ADOPTION_DAYS, RETAINED_FROM, RETAINED_TO = 30, 60, 90
COHORT_DAYS = 365
# Active days in the first 30 days -> activity band.
BANDS = ((10, "10+"), (4, "4-9"), (1, "1-3"))


def activity_band(active_days: int) -> str:
    """The early-activity band of a number of active days in someone's first 30 days."""
    return next((label for least, label in BANDS if active_days >= least), "")


_CHUNK = 2000


@dataclass
class _Tally:
    adopters: int = 0
    adopters_retained: int = 0
    others: int = 0
    others_retained: int = 0


def two_proportion_p_value(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    """Two-sided p-value of a two-proportion z-test (1.0 when it cannot be computed)."""
    if not n_a or not n_b:
        return 1.0
    pooled = (hits_a + hits_b) / (n_a + n_b)
    if pooled in (0, 1):
        return 1.0  # no variance: the two rates cannot differ
    _z, p_value = proportions_ztest([hits_a, hits_b], [n_a, n_b])
    return float(p_value)


def _cohort(today: date) -> list[tuple[int, date]]:
    newest = today - timedelta(days=RETAINED_TO)
    oldest = newest - timedelta(days=COHORT_DAYS)
    rows = (
        Person.objects.filter(
            is_placeholder=False, signed_up_at__date__gte=oldest, signed_up_at__date__lt=newest
        )
        .order_by("signed_up_at")
        .values_list("id", "signed_up_at")
    )
    return [(person_id, signed_up.date()) for person_id, signed_up in rows if signed_up]


def feature_lift_compute(*, features: Collection[str], today: date | None = None) -> int:
    """Recompute the lift of each of some features per plan tier; return the rows written."""
    today = today or clock.now().date()
    features = set(features)
    tallies: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    cohort = _cohort(today)
    for start in range(0, len(cohort), _CHUNK):
        chunk = cohort[start : start + _CHUNK]
        signup = dict(chunk)
        tiers = subscriptions_current_for_people(person_ids=list(signup))
        used: dict[int, set[str]] = defaultdict(set)
        early_days: dict[int, set[date]] = defaultdict(set)
        retained: set[int] = set()
        rows = ActivityDaily.objects.filter(
            person_id__in=list(signup),
            day__gte=chunk[0][1],
            day__lt=chunk[-1][1] + timedelta(days=RETAINED_TO),
        ).values_list("person_id", "day", "name")
        for person_id, day, name in rows.iterator(chunk_size=10000):
            age = (day - signup[person_id]).days
            if 0 <= age < ADOPTION_DAYS:
                early_days[person_id].add(day)
                if name in features:
                    used[person_id].add(name)
            elif RETAINED_FROM <= age < RETAINED_TO:
                retained.add(person_id)
        for person_id in signup:
            band = activity_band(len(early_days[person_id]))
            if not band:
                continue  # never used the app in their first month: nothing to compare
            subscription = tiers.get(person_id)
            tier = (subscription.plan.tier if subscription and subscription.plan else "") or "free"
            is_retained = person_id in retained
            for segment in (f"{tier}|{band}", f"all|{band}"):
                for feature in features:
                    tally = tallies[(segment, feature)]
                    if feature in used[person_id]:
                        tally.adopters += 1
                        tally.adopters_retained += is_retained
                    else:
                        tally.others += 1
                        tally.others_retained += is_retained
    now = clock.now()
    lifts = []
    for (segment, feature), tally in tallies.items():
        if not tally.adopters or not tally.others or not tally.others_retained:
            continue
        rate_in = tally.adopters_retained / tally.adopters
        rate_out = tally.others_retained / tally.others
        lifts.append(
            FeatureLift(
                segment=segment,
                feature=feature,
                adopters=tally.adopters,
                adopters_retained=tally.adopters_retained,
                others=tally.others,
                others_retained=tally.others_retained,
                lift=rate_in / rate_out,
                p_value=two_proportion_p_value(
                    tally.adopters_retained, tally.adopters, tally.others_retained, tally.others
                ),
                computed_at=now,
            )
        )
    with transaction.atomic():
        FeatureLift.objects.all().delete()
        FeatureLift.objects.bulk_create(lifts, batch_size=500)
    return len(lifts)
