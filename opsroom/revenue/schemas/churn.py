from datetime import datetime

from ninja import Schema


class RiskFactorOut(Schema):
    feature: str
    value: float
    reference: float | None  # the median among comparable retained customers
    compared_with: str  # which customers: "monthly, 3-12 months", "all" or "" (none known)
    contribution: float
    phrase: str


class PredictionOut(Schema):
    person_id: int
    probability: float
    band: str
    rule_probability: float
    source: str
    model_version: int | None
    mrr: int
    factors: list[RiskFactorOut]
    computed_at: datetime
    band_since: datetime


class BandOut(Schema):
    customers: int
    mrr: int


class PredictionsOut(Schema):
    computed_at: datetime | None
    currency: str
    bands: dict[str, BandOut]
    customers: list[PredictionOut]
