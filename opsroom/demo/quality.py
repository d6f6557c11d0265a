"""Measures of a built demo world: do its planted stories and its realism hold up in the data?

Read-only; used by `make bench` and the docs. Each figure is computed from stored rows only.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from statistics import median
from typing import Any

from django.db.models import Count, Min

from opsroom.experiments.models import Exposure
from opsroom.people.models import ActivityDaily, Event, Person
from opsroom.revenue.models import PaymentAttempt, Subscription, SubscriptionChange
from opsroom.telemetry.models import ErrorEvent

BUG_TITLE = "AttributeError: 'NoneType' object has no attribute 'severity'"


def auc(scores: list[float], labels: list[bool]) -> float:
    """Area under the ROC curve: the chance a positive scores above a negative."""
    ranked = sorted(zip(scores, labels, strict=True))
    rank_sum, positives, index = 0.0, 0, 0
    while index < len(ranked):
        end = index
        while end + 1 < len(ranked) and ranked[end + 1][0] == ranked[index][0]:
            end += 1
        average_rank = (index + end) / 2 + 1
        for _, label in ranked[index : end + 1]:
            if label:
                rank_sum += average_rank
                positives += 1
        index = end + 1
    negatives = len(ranked) - positives
    if not positives or not negatives:
        return float("nan")
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _active_days() -> dict[int, set[date]]:
    days: dict[int, set[date]] = defaultdict(set)
    for person_id, day in ActivityDaily.objects.values_list("person_id", "day").distinct():
        days[person_id].add(day)
    return days


@dataclass(frozen=True)
class Snapshot:
    """A paying subscription seen at one moment, and whether it is cancelled within 30 days."""

    moment: datetime
    recent_days: int  # active days in the 30 days before
    earlier_days: int  # active days in the 30 days before those
    uses_templates: bool
    leaves: bool  # cancelled by the customer (not for failed payments) within 30 days


def snapshots(*, horizon: datetime, months: int = 12) -> list[Snapshot]:
    """Every paying subscription at monthly moments over the last months before the horizon."""
    paid_since = dict(
        SubscriptionChange.objects.filter(mrr_after__gt=0)
        .values_list("subscription_id")
        .annotate(first=Min("occurred_at"))
    )
    subscriptions = list(
        Subscription.objects.filter(pk__in=paid_since, is_complimentary=False).values(
            "id", "person_id", "canceled_at", "ended_at", "cancellation_reason"
        )
    )
    template_users = dict(
        Event.objects.filter(name="meal_plan_template_used")
        .values_list("person_id")
        .annotate(first=Min("occurred_at"))
    )
    days = _active_days()
    found = []
    for step in range(1, months + 1):
        moment = horizon - timedelta(days=30 * step)
        today = moment.date()
        month_ago, two_months_ago = today - timedelta(days=30), today - timedelta(days=60)
        for sub in subscriptions:
            gone = sub["canceled_at"] or sub["ended_at"]
            if paid_since[sub["id"]] >= moment or (gone and gone <= moment):
                continue
            reason = sub["cancellation_reason"]
            voluntary = "payment" not in reason and reason not in ("unpaid", "fraud", "abuse")
            cancelled = sub["canceled_at"] and sub["canceled_at"] <= moment + timedelta(days=30)
            person_days = days.get(sub["person_id"], set())
            first_use = template_users.get(sub["person_id"])
            found.append(
                Snapshot(
                    moment=moment,
                    recent_days=sum(1 for d in person_days if month_ago <= d < today),
                    earlier_days=sum(1 for d in person_days if two_months_ago <= d < month_ago),
                    uses_templates=first_use is not None and first_use < moment,
                    leaves=bool(cancelled and voluntary),
                )
            )
    return found


def churn_predictability(found: list[Snapshot]) -> dict[str, Any]:
    """Does recent activity predict cancelling? AUC of a deliberately simple predictor.

    The predictor: active days in the last 30 days and their change against the 30 before.
    """
    labels = [s.leaves for s in found]
    scores = [-(2 * s.recent_days + 0.5 * (s.recent_days - s.earlier_days)) for s in found]
    churners = sum(labels)
    return {
        "snapshots": len(labels),
        "monthly_voluntary_churn": round(churners / len(labels), 3) if labels else None,
        "auc_recency_frequency": round(auc(scores, labels), 3) if churners else None,
    }


def template_retention(found: list[Snapshot], *, launch: datetime) -> dict[str, Any]:
    """Monthly churn of template users against other subscribers equally active before.

    Bands of active days in the prior 30 days; the overall figure weighs each band's churn by
    how many template users it holds, so busier families are compared with busy peers.
    """
    cells: dict[tuple[str, bool], list[int]] = defaultdict(lambda: [0, 0])
    for snap in found:
        if snap.moment < launch + timedelta(days=30):
            continue
        band = "0-2" if snap.recent_days <= 2 else "3-7" if snap.recent_days <= 7 else "8+"
        cell = cells[(band, snap.uses_templates)]
        cell[0] += snap.leaves
        cell[1] += 1
    bands: dict[str, Any] = {}
    adjusted_users = adjusted_others = weight = 0.0
    for band in ("0-2", "3-7", "8+"):
        left, users = cells[(band, True)]
        others_left, others = cells[(band, False)]
        bands[band] = {
            "template_users": users,
            "template_user_churn": round(left / users, 3) if users else None,
            "others": others,
            "other_churn": round(others_left / others, 3) if others else None,
        }
        if users and others:
            adjusted_users += left
            adjusted_others += others_left / others * users
            weight += users
    return {
        "by_prior_active_days": bands,
        "monthly_churn_template_users": round(adjusted_users / weight, 3) if weight else None,
        "monthly_churn_comparable_others": round(adjusted_others / weight, 3) if weight else None,
    }


def experiment_effect(*, flag_key: str, since: datetime) -> dict[str, Any]:
    """Recipes added per recipe viewed, by the variant each person was served."""
    variants = dict(Exposure.objects.filter(flag__key=flag_key).values_list("person_id", "variant"))
    views: Counter[str] = Counter()
    adds: Counter[str] = Counter()
    rows = (
        Event.objects.filter(occurred_at__gte=since, name__in=("recipe_viewed", "recipe_added"))
        .values_list("person_id", "name")
        .annotate(n=Count("id"))
    )
    for person_id, name, count in rows:
        variant = variants.get(person_id)
        if variant is not None:
            (views if name == "recipe_viewed" else adds)[variant] += count
    rates = {v: round(adds[v] / views[v], 4) for v in views if views[v]}
    lift = rates["test"] / rates["control"] - 1 if {"test", "control"} <= set(rates) else None
    return {"rates": rates, "views": dict(views), "relative_lift": lift and round(lift, 3)}


def world_quality(*, story: dict[str, Any], horizon: datetime) -> dict[str, Any]:
    """Every figure above, plus growth, volumes, errors and payments."""
    people = Person.objects.count()
    signups = Counter(
        f"{at:%Y-%m}" for at in Person.objects.values_list("signed_up_at", flat=True) if at
    )
    months = [signups[m] for m in sorted(signups)][1:-1]  # whole months only
    growth = [later / earlier for earlier, later in pairwise(months) if earlier]
    errors = Counter(ErrorEvent.objects.values_list("fingerprint", flat=True))
    bug = ErrorEvent.objects.filter(title=BUG_TITLE)
    first_attempts = PaymentAttempt.objects.filter(attempt_number=1, amount__gt=0)
    trials = SubscriptionChange.objects.filter(kind="trial_started").count()
    found = snapshots(horizon=horizon)
    return {
        "events_per_person": round(Event.objects.count() / people, 1) if people else 0,
        "median_monthly_signup_growth": round(median(growth) - 1, 3) if growth else None,
        "trial_conversion": round(
            SubscriptionChange.objects.filter(kind="converted").count() / trials, 3
        )
        if trials
        else None,
        "first_attempt_failure_rate": round(
            first_attempts.filter(status="failed").count() / max(first_attempts.count(), 1), 3
        ),
        "top_error_share": round(errors.most_common(1)[0][1] / sum(errors.values()), 3)
        if errors
        else None,
        "bug": {
            "people": bug.values("person").distinct().count(),
            "occurrences": bug.count(),
            "releases": sorted(set(bug.values_list("release", flat=True))),
            "stopped_after_fix": not bug.filter(
                occurred_at__gte=datetime.fromisoformat(story["fix_deployed_at"])
            ).exists(),
        },
        "churn": churn_predictability(found),
        "experiment": experiment_effect(
            flag_key="new_recipe_ui", since=datetime.fromisoformat(story["experiment_started_at"])
        ),
        "templates": template_retention(
            found, launch=datetime.fromisoformat(story["templates_launched_at"])
        ),
    }
