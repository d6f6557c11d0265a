"""Error impact on conversion and retention: people an error group reached against comparable
people who did not hit it.

Comparable people called the same endpoint (the route the error happened on) in the same days
and never hit the error; their index time is their first such call, the affected people's is
their first occurrence. Outcomes:
- retained: active on any of the 7 days after the index day (people followed for fewer than
  2 days are left out);
- paying now: holding a live, paid subscription now.
Each difference gets a 95% interval (Newcomb) and a p-value (score test) from statsmodels. The
MRR at stake is the current MRR of the affected people. It is an association, and the page
says so.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from opsroom.analytics.models import ErrorImpact, ErrorSpread
from opsroom.core import clock
from opsroom.people.selectors.events import active_days_for_people
from opsroom.revenue.selectors import subscriptions_current_for_people
from opsroom.telemetry.selectors import error_group_people, error_group_summary, route_callers

MIN_PEOPLE = 3
FOLLOW_DAYS = 7
MIN_FOLLOW_DAYS = 2
_PAYING = {"active", "past_due"}


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    affected_n: int
    affected_hits: int
    comparable_n: int
    comparable_hits: int
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None


def proportions_compare(
    key: str, label: str, hits_a: int, n_a: int, hits_b: int, n_b: int
) -> Outcome:
    """Affected (a) against comparable (b): the difference of rates, its interval, p-value."""
    if not n_a or not n_b:
        return Outcome(key, label, n_a, hits_a, n_b, hits_b, None, None, None, None)
    difference = hits_a / n_a - hits_b / n_b
    low, high = confint_proportions_2indep(hits_a, n_a, hits_b, n_b, method="newcomb")
    pooled = (hits_a + hits_b) / (n_a + n_b)
    p_value = (
        1.0
        if pooled in (0, 1)
        else float(test_proportions_2indep(hits_a, n_a, hits_b, n_b, method="score").pvalue)
    )
    return Outcome(
        key, label, n_a, hits_a, n_b, hits_b, difference, float(low), float(high), p_value
    )


def _split_endpoint(endpoint: str) -> tuple[str, str] | None:
    method, _, route = endpoint.partition(" ")
    if method.isalpha() and method.isupper() and route.startswith("/"):
        return method, route
    return None


def _retention(index: dict[int, datetime], now: datetime) -> tuple[int, int]:
    followed = {
        pid: at.date()
        for pid, at in index.items()
        if (now.date() - at.date()).days >= MIN_FOLLOW_DAYS
    }
    if not followed:
        return 0, 0
    since = min(followed.values()) + timedelta(days=1)
    until = max(followed.values()) + timedelta(days=FOLLOW_DAYS + 1)
    days = active_days_for_people(person_ids=list(followed), since=since, until=until)
    kept = 0
    for pid, day in followed.items():
        window = {day + timedelta(days=k) for k in range(1, FOLLOW_DAYS + 1)}
        kept += bool(days.get(pid, set()) & window)
    return kept, len(followed)


def _paying(person_ids: list[int]) -> tuple[int, int, dict[int, Any]]:
    current: dict[int, Any] = {}
    for start in range(0, len(person_ids), 2000):
        current.update(
            subscriptions_current_for_people(person_ids=person_ids[start : start + 2000])
        )
    paying = {
        pid: sub for pid, sub in current.items() if sub.status in _PAYING and sub.mrr_amount > 0
    }
    return len(paying), len(person_ids), paying


def error_impact_compute(*, fingerprint: str, now: datetime | None = None) -> ErrorImpact | None:
    """Recompute one error group's impact; None when it reached too few people to say."""
    now = now or clock.now()
    summary = error_group_summary(fingerprint=fingerprint)
    if summary is None:
        return None
    affected = {
        row["person_id"]: row["first_at"] for row in error_group_people(fingerprint=fingerprint)
    }
    if len(affected) < MIN_PEOPLE:
        return None
    since = min(affected.values()) - timedelta(days=1)
    until = max(affected.values()) + timedelta(days=1)
    route = _split_endpoint(summary["endpoint"])
    comparable: dict[int, datetime] = {}
    comparison = "no comparable people (the endpoint is not an API route)"
    if route is not None:
        callers = route_callers(method=route[0], route=route[1], since=since, until=until)
        comparable = {pid: at for pid, at in callers.items() if pid not in affected}
        comparison = (
            f"people who called {summary['endpoint']} between {since:%Y-%m-%d} and "
            f"{until:%Y-%m-%d} and never hit this error"
        )
    kept_a, n_a = _retention(affected, now)
    kept_b, n_b = _retention(comparable, now)
    paying_a, all_a, subscriptions = _paying(list(affected))
    paying_b, all_b, _ = _paying(list(comparable))
    outcomes = [
        proportions_compare(
            "retained", f"active in the {FOLLOW_DAYS} days after", kept_a, n_a, kept_b, n_b
        ),
        proportions_compare("paying", "paying now", paying_a, all_a, paying_b, all_b),
    ]
    currency = settings.OPSROOM_CURRENCY
    at_stake = sum(sub.mrr_amount for sub in subscriptions.values() if sub.currency == currency)
    impact, _ = ErrorImpact.objects.update_or_create(
        fingerprint=fingerprint,
        defaults={
            "comparison": comparison[:300],
            "affected": len(affected),
            "comparable": len(comparable),
            "outcomes": [outcome.__dict__ for outcome in outcomes],
            "mrr_at_stake": at_stake,
            "currency": currency,
            "computed_at": now,
        },
    )
    return impact


@transaction.atomic
def error_impacts_refresh(*, limit: int = 25) -> int:
    """Recompute the impact of the widest-spread recent error groups; return how many."""
    fingerprints = ErrorSpread.objects.filter(people__gte=MIN_PEOPLE).order_by("-people")
    done = 0
    for fingerprint in fingerprints.values_list("fingerprint", flat=True)[:limit]:
        done += error_impact_compute(fingerprint=fingerprint) is not None
    return done


def outcome_rows(impact: ErrorImpact) -> list[dict[str, Any]]:
    """The stored outcomes, with their rates, for the page and the API."""
    rows = []
    for outcome in impact.outcomes:
        row = dict(outcome)
        row["affected_rate"] = (
            outcome["affected_hits"] / outcome["affected_n"] if outcome["affected_n"] else None
        )
        row["comparable_rate"] = (
            outcome["comparable_hits"] / outcome["comparable_n"]
            if outcome["comparable_n"]
            else None
        )
        rows.append(row)
    return rows
