"""Measures of a built demo world: do its planted stories and its realism hold up in the data?

Read-only; used by `make bench` and the docs. Each figure is computed from stored rows only.
"""

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from statistics import median
from typing import Any

from django.db.models import Count, Min, Sum

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


def churn_predictability(*, horizon: datetime) -> dict[str, Any]:
    """Monthly snapshots of paying subscriptions: does recent activity predict cancelling?

    The predictor is deliberately simple: active days in the last 30 days and their change
    against the 30 before. Payment-failure cancellations are left out (not a decision).
    """
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
    days = _active_days()
    scores: list[float] = []
    labels: list[bool] = []
    moment = horizon - timedelta(days=30)
    while moment > horizon - timedelta(days=390):
        today = moment.date()
        for sub in subscriptions:
            if paid_since[sub["id"]] >= moment:
                continue
            if (sub["canceled_at"] and sub["canceled_at"] <= moment) or (
                sub["ended_at"] and sub["ended_at"] <= moment
            ):
                continue
            reason = sub["cancellation_reason"]
            voluntary = "payment" not in reason and reason not in ("unpaid", "fraud", "abuse")
            leaves = bool(sub["canceled_at"] and sub["canceled_at"] <= moment + timedelta(days=30))
            person_days = days.get(sub["person_id"], set())
            month_ago, two_months_ago = today - timedelta(days=30), today - timedelta(days=60)
            recent = sum(1 for d in person_days if month_ago <= d < today)
            before = sum(1 for d in person_days if two_months_ago <= d < month_ago)
            scores.append(-(2 * recent + 0.5 * (recent - before)))
            labels.append(leaves and voluntary)
        moment -= timedelta(days=30)
    churners = sum(labels)
    return {
        "snapshots": len(labels),
        "monthly_voluntary_churn": round(churners / len(labels), 3) if labels else None,
        "auc_recency_frequency": round(auc(scores, labels), 3) if churners else None,
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


def template_retention(*, launch: datetime) -> dict[str, Any]:
    """Paying families 45 days after the templates launch: still paying 120 days later?

    Compared within bands of prior activity, so busier families are weighed against their peers.
    """
    moment = launch + timedelta(days=45)
    adopters = dict(
        Event.objects.filter(name="meal_plan_template_used", occurred_at__lt=moment)
        .values_list("person_id")
        .annotate(first=Min("occurred_at"))
    )
    window = ActivityDaily.objects.filter(
        day__gte=(moment - timedelta(days=45)).date(), day__lt=moment.date()
    )
    before = dict(window.values_list("person_id").annotate(n=Sum("count")))
    outcome: dict[tuple[str, bool], list[int]] = defaultdict(lambda: [0, 0])
    live = Subscription.objects.filter(started_at__lt=moment, is_complimentary=False).exclude(
        status="incomplete_expired"
    )
    for sub in live.values("person_id", "canceled_at", "ended_at"):
        if (sub["canceled_at"] and sub["canceled_at"] < moment) or (
            sub["ended_at"] and sub["ended_at"] < moment
        ):
            continue
        activity = before.get(sub["person_id"], 0)
        band = "low" if activity < 15 else "mid" if activity < 40 else "high"
        left = bool(sub["canceled_at"] and sub["canceled_at"] < moment + timedelta(days=120))
        cell = outcome[(band, sub["person_id"] in adopters)]
        cell[0] += not left
        cell[1] += 1
    bands = {}
    for band in ("low", "mid", "high"):
        kept, total = outcome[(band, True)]
        peers_kept, peers = outcome[(band, False)]
        bands[band] = {
            "adopters": total,
            "adopter_retention": round(kept / total, 3) if total else None,
            "others": peers,
            "other_retention": round(peers_kept / peers, 3) if peers else None,
        }
    return {"measured_at": moment.isoformat(), "by_prior_activity": bands}


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
        "churn": churn_predictability(horizon=horizon),
        "experiment": experiment_effect(
            flag_key="new_recipe_ui", since=datetime.fromisoformat(story["experiment_started_at"])
        ),
        "templates": template_retention(
            launch=datetime.fromisoformat(story["templates_launched_at"])
        ),
    }
