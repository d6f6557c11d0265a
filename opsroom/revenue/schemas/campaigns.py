from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from opsroom.core.schemas import Text


class CampaignIn(Schema):
    """A campaign's fields; on a change, only those sent are changed."""

    name: Text | None = None
    kind: Text | None = None
    description: Text | None = None
    trigger: Any = None  # see docs/revenue.md, "Campaigns"
    steps: Any = None  # [{"template": key, "day": n}]
    offer: Text | None = None
    holdout_percent: int | None = None
    reentry_days: int | None = None
    measure_days: int | None = None
    daily_limit: int | None = None
    is_active: bool | None = None


class CampaignCreateIn(CampaignIn):
    key: Text = Field(max_length=60)


class EffectOut(Schema):
    treated: int
    treated_retained: int
    holdout: int
    holdout_retained: int
    treated_rate: float | None
    holdout_rate: float | None
    lift: float | None
    lift_low: float | None
    lift_high: float | None
    p_value: float | None
    revenue_saved: int | None  # per month, minor units of the headline currency
    revenue_saved_low: int | None
    revenue_saved_high: int | None
    measurable: bool


class CampaignOut(Schema):
    key: str
    name: str
    kind: str
    description: str
    trigger: dict[str, Any]
    steps: list[dict[str, Any]]
    offer: str
    holdout_percent: int
    reentry_days: int
    measure_days: int
    daily_limit: int
    is_active: bool
    triggered: int
    treated: int
    held_out: int
    emailed: int
    opened: int
    clicked: int
    pending: int
    effect: EffectOut
    currency: str


class CampaignsOut(Schema):
    campaigns: list[CampaignOut]


class CampaignRunOut(Schema):
    entered: dict[str, int]
    held_out: dict[str, int]
    sent: int
    deferred: int
    measured: int


class InterventionOut(Schema):
    campaign: str
    group: str
    day: date
    state: str
    template: str
    at: datetime | date


class InterventionsOut(Schema):
    person_id: int
    interventions: list[InterventionOut]
    recommendation: CampaignOut | None
    recommendation_effect: EffectOut | None
