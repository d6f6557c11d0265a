"""Cohort comparison: people who signed up in the last 6 months, grouped by signup month,
acquisition channel, platform or current plan, side by side on retention (active in days 1-7
and in days 28-35 after signup), active days in their first 30 days, and adoption of the most
used features (did the event in their first 30 days). A person counts for a measure only once
its days have passed. Each group's rate is tested against everyone else's (two-proportion
z-test; for active days, Welch's t-test), Holm-adjusted across the groups of a dimension; a
difference is claimed ("higher"/"lower") only at an adjusted p below 0.05.
"""

import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from scipy import stats
from statsmodels.stats.multitest import multipletests

from opsroom.analytics.models import CohortComparison
from opsroom.analytics.services.lift import two_proportion_p_value
from opsroom.core import clock
from opsroom.people.selectors import people_profiles, people_signed_up_between
from opsroom.people.selectors.events import activity_for_people
from opsroom.revenue.series import plan_codes_for_people

MONTHS = 6
FEATURES = 6
ALPHA = 0.05
DIMENSIONS = ("signup month", "channel", "platform", "plan")
# (key, label, first day, last day after signup) of the retention measures.
RETENTION = (("week1", "active in days 1-7", 1, 7), ("day30", "active in days 28-35", 28, 35))
EARLY_DAYS = 30


def _person_measures(
    signup: date, activity: list[tuple[date, str]], today: date, features: list[str]
) -> dict[str, float | None]:
    days_since = (today - signup).days
    offsets = {(day - signup).days for day, _ in activity}
    measures: dict[str, float | None] = {}
    for key, _, first, last in RETENTION:
        measures[key] = (
            float(any(first <= d <= last for d in offsets)) if days_since > last else None
        )
    early = days_since > EARLY_DAYS
    measures["active_days"] = (
        float(sum(1 for d in offsets if 0 <= d < EARLY_DAYS)) if early else None
    )
    used = {name for day, name in activity if 0 <= (day - signup).days < EARLY_DAYS}
    for feature in features:
        measures[f"feature:{feature}"] = float(feature in used) if early else None
    return measures


def _compare(values: dict[str, list[float]], *, is_rate: bool) -> dict[str, dict[str, Any]]:
    """Each group against the rest: its value, n, Holm-adjusted p and the claimed direction."""
    groups = [g for g in values if values[g]]
    raw = []
    for group in groups:
        mine = values[group]
        rest = [v for other in groups if other != group for v in values[other]]
        if not rest:
            raw.append(1.0)
        elif is_rate:
            raw.append(two_proportion_p_value(int(sum(mine)), len(mine), int(sum(rest)), len(rest)))
        elif (
            len(mine) > 1
            and len(rest) > 1
            and statistics.pvariance(mine) > 0 < statistics.pvariance(rest)
        ):
            raw.append(float(stats.ttest_ind(mine, rest, equal_var=False).pvalue))
        else:  # a group without spread cannot be tested: no claim
            raw.append(1.0)
    adjusted = list(multipletests(raw, method="holm")[1]) if raw else []
    out = {}
    for group, p in zip(groups, adjusted, strict=True):
        mine = values[group]
        rest = [v for other in groups if other != group for v in values[other]]
        mean, rest_mean = statistics.fmean(mine), statistics.fmean(rest) if rest else None
        direction = ""
        if p < ALPHA and rest_mean is not None:
            direction = "higher" if mean > rest_mean else "lower"
        out[group] = {"n": len(mine), "value": mean, "p_adjusted": float(p), "direction": direction}
    return out


def cohorts_refresh(*, now: datetime | None = None) -> int:
    """Recompute the comparison for every dimension; returns the people compared."""
    now = now or clock.now()
    today = now.date()
    since = now - timedelta(days=30 * MONTHS)
    ids = people_signed_up_between(since=since, until=now)
    profiles = people_profiles(ids=ids)
    plans = plan_codes_for_people(person_ids=ids)
    activity = activity_for_people(
        person_ids=ids, since=since.date(), until=today + timedelta(days=1)
    )
    usage = Counter(name for rows in activity.values() for name in {n for _, n in rows})
    features = [name for name, _ in usage.most_common(FEATURES)]
    by_group: dict[str, dict[str, dict[str, list[float]]]] = {
        d: defaultdict(lambda: defaultdict(list)) for d in DIMENSIONS
    }
    for pid in ids:
        signed_up_at, channel, platform = profiles.get(pid, (None, "", ""))
        if signed_up_at is None:
            continue
        measures = _person_measures(signed_up_at.date(), activity.get(pid, []), today, features)
        group_of = {
            "signup month": f"{signed_up_at:%Y-%m}",
            "channel": channel or "(none)",
            "platform": platform or "(none)",
            "plan": plans.get(pid) or "(none)",
        }
        for dimension, group in group_of.items():
            by_group[dimension][group]["people"].append(1.0)
            for key, value in measures.items():
                if value is not None:
                    by_group[dimension][group][key].append(value)
    keys = [key for key, *_ in RETENTION] + ["active_days"] + [f"feature:{f}" for f in features]
    with transaction.atomic():
        for dimension in DIMENSIONS:
            groups = by_group[dimension]
            compared = {
                key: _compare(
                    {g: groups[g].get(key, []) for g in groups}, is_rate=key != "active_days"
                )
                for key in keys
            }
            rows = [
                {
                    "group": group,
                    "people": len(groups[group]["people"]),
                    "metrics": {key: compared[key].get(group) for key in keys},
                }
                for group in sorted(groups, key=lambda g: (-len(groups[g]["people"]), g))
            ]
            CohortComparison.objects.update_or_create(
                dimension=dimension,
                defaults={
                    "signup_from": since,
                    "signup_to": now,
                    "features": features,
                    "rows": rows,
                    "computed_at": now,
                },
            )
    return len(ids)
