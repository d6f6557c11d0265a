"""Writes of churn: training the model into the model store, and the daily predictions (the
model's when one is active, which it is only when it beat the rule score; else the rule's)."""

import logging
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Max

from opsroom.core import clock
from opsroom.core.ml.selectors import model_active_load
from opsroom.core.ml.serialization import ArtifactUnreadable
from opsroom.core.ml.services import model_artifact_save
from opsroom.core.models import ModelArtifact
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.churn.comparable import factors_referenced, retained_references
from opsroom.revenue.churn.dataset import snapshot_build
from opsroom.revenue.churn.model import ChurnModel
from opsroom.revenue.churn.rule import rule_factors, rule_probabilities
from opsroom.revenue.churn.selectors import AT_RISK, bands_count, factors_count
from opsroom.revenue.churn.signals import HORIZON_DAYS
from opsroom.revenue.churn.training import MODEL_NAME, churn_training_run
from opsroom.revenue.models import (
    ChurnBandChange,
    ChurnFactorRanking,
    ChurnPrediction,
    RiskBand,
)

logger = logging.getLogger(__name__)
HIGH, MEDIUM = 0.7, 0.4  # band thresholds (docs/revenue.md)


def churn_model_train(*, horizon_days: int = 30, audit: AuditContext) -> ModelArtifact:
    """Train on the history, judge on the last complete horizon, store; active only if it
    beats the rule score there."""
    model, run = churn_training_run(horizon_days=horizon_days)
    return model_artifact_save(model=model, run=run, audit=audit)


def risk_band(probability: float) -> str:
    """High above 70%, medium from 40%, else low."""
    if probability > HIGH:
        return RiskBand.HIGH
    return RiskBand.MEDIUM if probability >= MEDIUM else RiskBand.LOW


@dataclass(frozen=True)
class PredictionRun:
    customers: int
    source: str
    model_version: int | None
    band_changes: int


def _active_model() -> tuple[ChurnModel | None, int | None]:
    try:
        loaded = model_active_load(name=MODEL_NAME)
    except ArtifactUnreadable:
        logger.warning("The active churn model cannot be loaded; the rule score is used.")
        return None, None
    if loaded is None or not isinstance(loaded.model, ChurnModel):
        return None, None
    return loaded.model, loaded.version


def churn_predictions_refresh(*, today: date | None = None) -> PredictionRun:
    """Predict churn for every customer paying at the start of today; record band changes."""
    now = clock.now()
    today = today or now.date()
    snapshot = snapshot_build(day=today, horizon_days=30, labelled=False)
    rule = rule_probabilities(snapshot.signals)
    model, version = _active_model()
    refs = retained_references(today=today)
    scores = model.probabilities(snapshot.signals) if model is not None else rule
    source = ChurnPrediction.Source.MODEL if model is not None else ChurnPrediction.Source.RULE
    changes = 0
    with transaction.atomic():
        held = {p.person_id: p for p in ChurnPrediction.objects.all()}
        ChurnPrediction.objects.exclude(person_id__in=snapshot.person_ids).delete()
        for i, person_id in enumerate(snapshot.person_ids):
            signals = snapshot.signals[i]
            probability = float(scores[i])
            band = risk_band(probability)
            factors = factors_referenced(
                model.factors(signals) if model is not None else rule_factors(signals),
                signals,
                refs,
            )
            before = held.get(person_id)
            prediction = before or ChurnPrediction(person_id=person_id, band_since=now)
            if before is not None and before.band != band:
                ChurnBandChange.objects.create(
                    person_id=person_id,
                    day=today,
                    from_band=before.band,
                    to_band=band,
                    probability=probability,
                    mrr=snapshot.mrr[i],
                )
                prediction.previous_band, prediction.band_since = before.band, now
                changes += 1
            prediction.probability = probability
            prediction.band = band
            prediction.rule_probability = float(rule[i])
            prediction.source = source
            prediction.model_version = version
            prediction.factors = factors
            prediction.signals = signals
            prediction.mrr = snapshot.mrr[i]
            renewal = signals.get("days_to_renewal", HORIZON_DAYS)
            prediction.days_to_renewal = int(renewal) if 0 <= renewal < HORIZON_DAYS else None
            prediction.computed_at = now
            prediction.save()
    factor_ranking_store()
    return PredictionRun(
        customers=len(snapshot.person_ids),
        source=str(source),
        model_version=version,
        band_changes=changes,
    )


def factor_ranking_store() -> ChurnFactorRanking | None:
    """Count the bands and the at-risk customers' factors once and keep them for the
    dashboards (after each prediction run)."""
    state = ChurnPrediction.objects.aggregate(n=Count("id"), at=Max("computed_at"))
    if state["at"] is None:
        ChurnFactorRanking.objects.all().delete()
        return None
    bands = bands_count()
    ranking, _ = ChurnFactorRanking.objects.update_or_create(
        computed_at=state["at"],
        defaults={
            "customers": state["n"],
            "at_risk": sum(bands[band].customers for band in AT_RISK),
            "ranking": [list(p) for p in factors_count()],
            "bands": {band: [f.customers, f.mrr] for band, f in bands.items()},
        },
    )
    ChurnFactorRanking.objects.exclude(pk=ranking.pk).delete()
    return ranking
