"""Cohorts that retain better or worse than the trend beyond chance, what happened in their
window, and what to do about it.

The test: for each cohort and age (M1..M6), a two-proportion z-test of the cohort's customer
retention against the pooled retention of the (up to) six cohorts before it at the same age
(statsmodels `proportions_ztest`), with the Benjamini-Hochberg correction over every cohort and
age tested (`multipletests`, false discovery rate 5%). A cohort is reported at the age where
it differs most significantly, when the difference is at least 5 points.

What happened while a cohort started (its context) aggregates the error log, so the daily
cohort refresh computes it for every cohort an insight names (`insight_cohorts`, `context_of`)
and stores it (CohortContext); the page and the API read it from there and compute it only for
a cohort the refresh has not seen.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from opsroom.core.money import money_format
from opsroom.experiments.selectors import flag_list
from opsroom.revenue.cohorts.build import month_add
from opsroom.revenue.cohorts.selectors import CohortRow
from opsroom.revenue.models import CohortContext, Plan
from opsroom.telemetry.selectors import error_fingerprint_stats, error_release_stats

MAX_AGE_TESTED = 6
TREND_COHORTS = 6
MIN_SIZE = 20
MIN_POINTS = 0.05
FDR = 0.05


@dataclass(frozen=True)
class CohortInsight:
    cohort: date
    age: int
    retention: float
    trend: float
    difference: float  # retention - trend
    p_value: float  # adjusted (Benjamini-Hochberg)
    size: int
    context: list[str] = field(default_factory=list)
    action: str = ""

    @property
    def is_worse(self) -> bool:
        return self.difference < 0


def _tests(rows: list[CohortRow]) -> list[tuple[int, int, float, float, float]]:
    """(row index, age, retention, trend, raw p) for every cohort and age that can be tested."""
    tests = []
    for index, row in enumerate(rows):
        if row.size < MIN_SIZE:
            continue
        for age in range(1, MAX_AGE_TESTED + 1):
            retained = row.retained[age]
            if retained is None:
                continue
            window = rows[max(0, index - TREND_COHORTS) : index]
            before = [r for r in window if r.retained[age] is not None]
            size = sum(r.size for r in before)
            kept = sum(r.retained[age] or 0 for r in before)
            if size < MIN_SIZE or len(before) < 2:
                continue
            _, p_value = proportions_ztest([retained, kept], [row.size, size])
            if p_value != p_value:  # NaN: both proportions 0 or 1
                continue
            tests.append((index, age, retained / row.size, kept / size, float(p_value)))
    return tests


def cohort_insights(*, rows: list[CohortRow]) -> list[CohortInsight]:
    """Cohorts that differ from the trend beyond chance, with their context and an action."""
    found = _significant(rows)
    held = dict(
        CohortContext.objects.filter(cohort__in=[i.cohort for i in found]).values_list(
            "cohort", "notes"
        )
    )
    return [_explained(insight, rows, held) for insight in found]


def insight_cohorts(*, rows: list[CohortRow]) -> set[date]:
    """The cohorts an insight names (without their context: cheap)."""
    return {insight.cohort for insight in _significant(rows)}


def _significant(rows: list[CohortRow]) -> list[CohortInsight]:
    tests = _tests(rows)
    if not tests:
        return []
    rejected, adjusted, _, _ = multipletests([t[4] for t in tests], alpha=FDR, method="fdr_bh")
    best: dict[int, CohortInsight] = {}
    for (index, age, retention, trend, _), significant, p_value in zip(
        tests, rejected, adjusted, strict=True
    ):
        if not significant or abs(retention - trend) < MIN_POINTS:
            continue
        held = best.get(index)
        if held is None or p_value < held.p_value:
            best[index] = CohortInsight(
                cohort=rows[index].cohort,
                age=age,
                retention=retention,
                trend=trend,
                difference=retention - trend,
                p_value=float(p_value),
                size=rows[index].size,
            )
    return sorted(best.values(), key=lambda i: i.cohort)


def context_of(cohort: date) -> list[str]:
    """What the cohort's customers met while they started: from a week before its month to
    the end of its second month."""
    window_start = datetime.combine(cohort - timedelta(days=7), time.min, tzinfo=UTC)
    window_end = datetime.combine(month_add(cohort, 2), time.min, tzinfo=UTC)
    return _context(window_start, window_end)


def _explained(
    insight: CohortInsight, rows: list[CohortRow], held: dict[date, list[str]]
) -> CohortInsight:
    """What happened while the cohort started, from the data, and a recommended action."""
    context = held[insight.cohort] if insight.cohort in held else context_of(insight.cohort)
    month = f"{insight.cohort:%B %Y}"
    row = next(r for r in rows if r.cohort == insight.cohort)
    lost = row.size - (row.retained[insight.age] or 0)
    if insight.is_worse:
        action = (
            f"Win-back campaign for the {month} cohort ({lost} of {row.size} customers gone by "
            f"M{insight.age})"
            + (" and check that the errors above are fixed" if _has_errors(context) else "")
            + "."
        )
    else:
        action = (
            f"Find what {month}'s customers got that others did not"
            + (" (the changes above)" if context else "")
            + " and give it to all new customers."
        )
    return CohortInsight(**{**insight.__dict__, "context": context, "action": action})


def _has_errors(context: list[str]) -> bool:
    return any(note.startswith("error") for note in context)


def _context(start: datetime, end: datetime) -> list[str]:
    """Errors and releases first seen, plans and flags added, in a window."""
    notes: list[str] = []
    errors = [
        stat for stat in error_fingerprint_stats(since=start, until=end) if stat["people"] >= 3
    ]
    errors.sort(key=lambda stat: -stat["people"])
    for stat in errors[:2]:
        notes.append(
            f"error “{str(stat['title'])[:90]}” first seen {stat['first_seen']:%Y-%m-%d}, "
            f"{stat['occurrences']} times for {stat['people']} people"
        )
    releases = sorted(
        {
            (row["release"], row["first_seen"])
            for row in error_release_stats(since=start, until=end)
            if row["release"]
        },
        key=lambda pair: pair[1],
    )
    first_by_release: dict[str, datetime] = {}
    for release, seen in releases:
        first_by_release.setdefault(release, seen)
    if first_by_release:
        names = ", ".join(list(first_by_release)[:3])
        notes.append(f"release{'s' if len(first_by_release) > 1 else ''} {names} went out")
    for plan in Plan.objects.filter(created_at__gte=start, created_at__lt=end).order_by("amount"):
        notes.append(
            f"price {plan.name} at {money_format(plan.amount, plan.currency)} added "
            f"{plan.created_at:%Y-%m-%d}"
        )
    for flag in flag_list():
        if start <= flag.created_at < end:
            notes.append(f"flag {flag.key} created {flag.created_at:%Y-%m-%d}")
    return notes
