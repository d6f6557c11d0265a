"""Churn predictions: the bands and the at-risk customers, and one customer's risk."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router

from opsroom.core.auth import staff_or_key
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.schemas import ErrorOut, Text
from opsroom.revenue.api.access import permission_require
from opsroom.revenue.churn.phrases import factor_phrase
from opsroom.revenue.churn.selectors import (
    at_risk_list,
    prediction_for_person,
    predictions_computed_at,
    risk_bands,
)
from opsroom.revenue.models import ChurnPrediction, RiskBand
from opsroom.revenue.schemas.churn import BandOut, PredictionOut, PredictionsOut, RiskFactorOut

router = Router()


def _out(p: ChurnPrediction) -> PredictionOut:
    return PredictionOut(
        person_id=p.person_id,
        probability=p.probability,
        band=p.band,
        rule_probability=p.rule_probability,
        source=p.source,
        model_version=p.model_version,
        mrr=p.mrr,
        factors=[
            RiskFactorOut(
                feature=str(f.get("feature", "")),
                value=float(f.get("value") or 0.0),
                reference=f.get("reference"),
                compared_with=str(f.get("compared_with", "")),
                contribution=float(f.get("contribution") or 0.0),
                phrase=factor_phrase(f, p.signals or {}),
            )
            for f in p.factors or []
        ],
        computed_at=p.computed_at,
        band_since=p.band_since,
    )


@router.get(
    "/revenue/churn/predictions",
    response={200: PredictionsOut, 400: ErrorOut, 403: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="revenue_churn_predictions",
    summary="Churn predictions",
)
def predictions(request: HttpRequest, band: Text = "", limit: int = 100) -> Any:
    """Customers and MRR per risk band, and the at-risk customers (high and medium, or one
    band), riskiest first, with their reasons."""
    permission_require(request, "revenue.view_churnprediction")
    if band and band not in RiskBand.values:
        raise InvalidInput(f"Unknown band {band!r}: one of {', '.join(RiskBand.values)}.")
    if not 1 <= limit <= 1000:
        raise InvalidInput("The limit must be 1 to 1000.")
    return PredictionsOut(
        computed_at=predictions_computed_at(),
        currency=str(settings.OPSROOM_CURRENCY),
        bands={k: BandOut(customers=b.customers, mrr=b.mrr) for k, b in risk_bands().items()},
        customers=[_out(p) for p in at_risk_list(band=band or None)[:limit]],
    )


@router.get(
    "/revenue/churn/predictions/{person_id}",
    response={200: PredictionOut, 403: ErrorOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="revenue_churn_prediction",
    summary="One customer's churn prediction",
)
def prediction(request: HttpRequest, person_id: int) -> Any:
    """A paying customer's probability of churning in 30 days, band, rule score and reasons."""
    permission_require(request, "revenue.view_churnprediction")
    # Past the database's integer range nobody can have a prediction (SQLite refuses to compare).
    found = prediction_for_person(person_id=person_id) if 0 < person_id < 2**63 else None
    if found is None:
        raise NotFound(f"No churn prediction for person {person_id}.")
    return _out(found)
