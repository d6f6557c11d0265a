from datetime import date
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from opsroom.core.schemas import Text

Money = Annotated[int, Field(ge=0, le=10**15)]


class MrrPeriodOut(Schema):
    period: str
    start: date
    end: date
    mrr: int
    new: int
    expansion: int
    contraction: int
    churn: int
    reactivation: int
    customers: int
    new_customers: int
    churned_customers: int
    reactivated_customers: int
    currency: str


class MrrOut(Schema):
    currency: str
    interval: str
    built_through: date | None
    periods: list[MrrPeriodOut]


class OverviewOut(Schema):
    day: date
    currency: str
    computed_at: str
    figures: dict[str, Any]


class MovementOut(Schema):
    day: date
    kind: str
    amount: int | None
    native_amount: int
    currency: str
    customer_mrr_before: int
    customer_mrr_after: int
    person_id: int
    person_external_id: str
    person_name: str
    person_email: str
    subscription_id: int
    provider_subscription_id: str
    plan_code: str
    interval: str
    channel: str
    country: str


class MovementPage(Schema):
    count: int
    page: int
    pages: int
    total: int
    results: list[MovementOut]


class SegmentOut(Schema):
    key: str
    mrr: int
    count: int
    share: float
    new: int
    expansion: int
    contraction: int
    churn: int
    reactivation: int


class SegmentsOut(Schema):
    month: str
    dimension: str
    currency: str
    segments: list[SegmentOut]


class SpendIn(Schema):
    channel: Annotated[Text, Field(min_length=1, max_length=64)]
    campaign: Annotated[Text, Field(max_length=128)] = ""
    month: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
    amount: Money
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]
    note: Annotated[Text, Field(max_length=300)] = ""


class SpendOut(Schema):
    channel: str
    campaign: str
    month: str
    amount: int
    currency: str
    note: str


class SpendWriteOut(Schema):
    created: int
    updated: int


class RateIn(Schema):
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]
    day: date
    rate: Annotated[str, Field(pattern=r"^\d{1,10}(\.\d{1,10})?$")]
    source: Annotated[Text, Field(max_length=64)] = ""


class RateOut(Schema):
    currency: str
    day: date
    rate: str
    source: str


class RatesWriteOut(Schema):
    written: int
    rebuild_pending: bool


class LedgerRunOut(Schema):
    rebuilt: bool
    people: int
    movements: int
    from_day: date | None
    through: date | None
    discounts_ended: int
    seconds: float


class SettingsIn(Schema):
    growth_target_percent: Annotated[float, Field(ge=-100, le=1000)]
    ltv_cac_healthy: Annotated[float, Field(gt=0, le=100)] = 3.0


class SettingsOut(Schema):
    growth_target_percent: float
    ltv_cac_healthy: float
