"""Reads of the churn predictions: the dashboard's figures, the at-risk lists, one person's
prediction, and person-id sets for the People filters."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum

from opsroom.core import clock
from opsroom.revenue.models import (
    ChurnBandChange,
    ChurnFactorRanking,
    ChurnPrediction,
    RiskAction,
    RiskBand,
)

AT_RISK = (RiskBand.HIGH, RiskBand.MEDIUM)
_CHUNK = 2000
TOP_FACTORS_CACHE_SECONDS = 24 * 3600
REVIEW_QUIET_DAYS = 14  # a high-risk customer nobody acted on for this long needs a review


@dataclass(frozen=True)
class BandFigures:
    band: str
    customers: int
    mrr: int


def _latest() -> datetime | None:
    """When the latest prediction was computed (read from its index)."""
    at: datetime | None = (
        ChurnPrediction.objects.order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .first()
    )
    return at


def _summary(latest: datetime | None) -> ChurnFactorRanking | None:
    """The latest prediction run's stored figures, while no prediction was computed after it
    (a rescore). Counting 100,000 predictions on every page view is what this saves; a
    prediction removed since (its person deleted) still counts until the next daily run."""
    stored = ChurnFactorRanking.objects.order_by("-computed_at").first()
    if stored is not None and latest is not None and stored.computed_at == latest:
        return stored
    return None


def bands_count() -> dict[str, BandFigures]:
    """Customers and MRR in each risk band, counted from the predictions."""
    rows = ChurnPrediction.objects.values("band").annotate(n=Count("id"), mrr=Sum("mrr"))
    found = {row["band"]: BandFigures(row["band"], row["n"], int(row["mrr"] or 0)) for row in rows}
    return {band: found.get(band, BandFigures(band, 0, 0)) for band in RiskBand.values}


def _bands(summary: ChurnFactorRanking | None) -> dict[str, BandFigures]:
    if summary is not None and summary.bands:
        return {
            band: BandFigures(band, *(int(v) for v in summary.bands.get(band, (0, 0))))
            for band in RiskBand.values
        }
    return bands_count()


def risk_bands() -> dict[str, BandFigures]:
    """Customers and MRR in each risk band (as the last prediction run stored them while they
    still hold; else counted)."""
    return _bands(_summary(_latest()))


def predictions_computed_at() -> datetime | None:
    """When the predictions were last computed."""
    return _latest()


def at_risk_list(*, band: str | None = None) -> QuerySet[ChurnPrediction]:
    """At-risk customers (high and medium, or one band), riskiest and largest first."""
    rows = ChurnPrediction.objects.select_related("person")
    rows = rows.filter(band=band) if band else rows.filter(band__in=AT_RISK)
    return rows.order_by("-probability", "-mrr", "person_id")


def manual_review_list(*, now: datetime | None = None) -> QuerySet[ChurnPrediction]:
    """High-risk customers no one has acted on in the last two weeks, by MRR at risk."""
    now = now or clock.now()
    recent = RiskAction.objects.filter(created_at__gte=now - timedelta(days=REVIEW_QUIET_DAYS))
    return (
        ChurnPrediction.objects.filter(band=RiskBand.HIGH)
        .exclude(person_id__in=recent.values("person_id"))
        .select_related("person")
        .order_by("-mrr", "-probability", "person_id")
    )


@dataclass(frozen=True)
class Improved:
    customers: int
    mrr: int  # their MRR now: what staying saves each month


def recently_improved(*, since: date) -> Improved:
    """Customers who moved from high or medium risk to low since a day and still pay."""
    # The few who moved first (by the day index), then their predictions by person: a subquery
    # would make the database probe every low-risk customer's band history instead.
    moved = sorted(
        set(
            ChurnBandChange.objects.filter(
                day__gte=since, from_band__in=AT_RISK, to_band=RiskBand.LOW
            ).values_list("person_id", flat=True)
        )
    )
    customers = mrr = 0
    for start in range(0, len(moved), _CHUNK):
        figures = ChurnPrediction.objects.filter(
            person_id__in=moved[start : start + _CHUNK], band=RiskBand.LOW
        ).aggregate(n=Count("id"), mrr=Sum("mrr"))
        customers += figures["n"] or 0
        mrr += int(figures["mrr"] or 0)
    return Improved(customers=customers, mrr=mrr)


def factors_count() -> list[tuple[str, int]]:
    """Each factor with the at-risk customers it pushes up, most first (reads them all)."""
    counts: Counter[str] = Counter()
    for factors in ChurnPrediction.objects.filter(band__in=AT_RISK).values_list(
        "factors", flat=True
    ):
        counts.update({factor["feature"] for factor in factors or []})
    return counts.most_common()


def _top_factors(
    latest: datetime | None, summary: ChurnFactorRanking | None, limit: int
) -> list[tuple[str, int]]:
    if summary is not None:
        return [(str(name), int(n)) for name, n in summary.ranking[:limit]]
    at_risk = ChurnPrediction.objects.filter(band__in=AT_RISK).count()
    key = f"revenue:top-risk-factors:{at_risk}:{latest.timestamp() if latest else 0}"
    ranked: list[tuple[str, int]] | None = cache.get(key)
    if ranked is None:
        ranked = factors_count()
        cache.set(key, ranked, timeout=TOP_FACTORS_CACHE_SECONDS)
    return ranked[:limit]


def top_risk_factors(*, limit: int = 5) -> list[tuple[str, int]]:
    """The features that most often push at-risk customers' risk up, with how many each.

    Counting decodes every at-risk customer's factors, so the daily prediction run stores the
    ranking (ChurnFactorRanking) and this reads it while no prediction was computed after it.
    After a rescore the ranking is counted again and kept in the cache under the at-risk count
    and the latest computation time."""
    latest = _latest()
    return _top_factors(latest, _summary(latest), limit)


@dataclass(frozen=True)
class ChurnBoard:
    computed_at: datetime | None
    bands: dict[str, BandFigures]
    top_factors: list[tuple[str, int]]


def churn_board(*, factors: int = 5) -> ChurnBoard:
    """The bands, the top risk factors and when they were computed, reading the latest time
    and the stored run once (the dashboard and the attention strip show all three)."""
    latest = _latest()
    summary = _summary(latest)
    return ChurnBoard(latest, _bands(summary), _top_factors(latest, summary, factors))


def prediction_for_person(*, person_id: int) -> ChurnPrediction | None:
    """A customer's latest prediction (None: not a paying customer, or not scored yet)."""
    return ChurnPrediction.objects.filter(person_id=person_id).first()


def churn_predictions_for_people(*, person_ids: list[int]) -> dict[int, ChurnPrediction]:
    """The latest prediction of each of these people who has one."""
    return {p.person_id: p for p in ChurnPrediction.objects.filter(person_id__in=person_ids)}


def person_ids_at_churn_risk(*, bands: tuple[str, ...] = AT_RISK) -> QuerySet[ChurnPrediction, int]:
    """Ids of customers in the given risk bands (high and medium by default)."""
    return ChurnPrediction.objects.filter(band__in=bands).values_list("person_id", flat=True)


def predictions_exist() -> bool:
    """Whether churn has been predicted at all (the People filters fall back to health)."""
    return ChurnPrediction.objects.exists()


def band_history_for_person(*, person_id: int) -> list[ChurnBandChange]:
    """A customer's moves between risk bands, newest first."""
    return list(ChurnBandChange.objects.filter(person_id=person_id).order_by("-day", "-id")[:20])


def risk_actions_for_person(*, person_id: int) -> list[RiskAction]:
    """What staff did for a customer, newest first."""
    return list(
        RiskAction.objects.filter(person_id=person_id).select_related("staff", "assignee")[:50]
    )


def calls_due_for(*, staff_id: int) -> QuerySet[RiskAction]:
    """Calls a staff member is to make and has not marked done, soonest first."""
    return (
        RiskAction.objects.filter(
            kind=RiskAction.Kind.CALL, assignee_id=staff_id, done_at__isnull=True
        )
        .select_related("person")
        .order_by("due_at", "id")
    )


def risk_actions_today(*, now: datetime | None = None) -> int:
    """Staff actions for at-risk customers since midnight (UTC)."""
    now = now or clock.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return RiskAction.objects.filter(created_at__gte=start).count()


def contacted_recently(*, person_ids: list[int], days: int = REVIEW_QUIET_DAYS) -> set[int]:
    """Who of these had a staff action in the last `days` days."""
    since = clock.now() - timedelta(days=days)
    return set(
        RiskAction.objects.filter(person_id__in=person_ids, created_at__gte=since)
        .filter(~Q(kind=RiskAction.Kind.CALL) | Q(done_at__isnull=False))
        .values_list("person_id", flat=True)
    )
