"""Schemas of the analytics API: AI cost limits and projection, anomalies."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from opsroom.core.schemas import Text


class AiLimitOut(Schema):
    endpoint: str
    period: str  # day or month (UTC)
    limit: float  # in `currency` units, for the period
    spent: float  # in the current period
    period_start: datetime
    flag: str  # the flag (GET /api/v1/flags) that is on while throttled
    throttled: bool
    daily_limit: float | None  # `limit` for a daily limit (older clients), else None
    spent_today: float


class AiLimitIn(Schema):
    endpoint: Text = Field(max_length=200, description='The endpoint; "" sets the monthly budget.')
    amount: float = Field(description="In OPSROOM_AI_CURRENCY units, above 0.")
    period: Literal["day", "month"] = "day"


class AiLimitsOut(Schema):
    currency: str
    day: date  # UTC
    limits: list[AiLimitOut]


class AiCostOut(Schema):
    currency: str
    month: str  # YYYY-MM
    spent: float
    daily_rate: float
    projected: float
    projected_high: float  # 90% upper bound
    budget: float | None
    over_budget: bool
    budget_reached_on: date | None


class AnomalyOut(Schema):
    metric: str
    label: str
    bucket: datetime
    value: float
    expected: float
    score: float
    direction: str
    alerted: bool
    moved: list[str]  # keys of the other series far from expected then
    releases: list[str]


class AttributionFiguresOut(Schema):
    signups: int
    trials: int
    customers: int  # paid at some point
    paying: int  # paying now
    mrr: int  # now, minor units of `currency`


class AttributionRowOut(Schema):
    channel: str
    campaign: str
    landing_page: str
    first_touch: AttributionFiguresOut
    last_touch: AttributionFiguresOut
    any_touch: AttributionFiguresOut
    conversion_rate: float | None  # customers / signups under `model`
    spend: int | None  # minor units of `currency`; None when none was entered
    cac: float | None  # spend / customers under `model`


class AttributionOut(Schema):
    currency: str
    start: str  # YYYY-MM, signup months
    end: str
    by: str
    model: str
    computed_at: datetime | None
    unconverted_spend: int
    rows: list[AttributionRowOut]
