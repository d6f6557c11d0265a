"""API schemas of the People section."""

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from opsroom.core.schemas import Text


class ConditionIn(Schema):
    field: Text
    op: Text
    value: Any = None
    days: int | None = None
    key: Text = ""


class PersonSummaryOut(Schema):
    id: int
    external_id: str
    email: str
    name: str
    status: str
    is_vip: bool
    signed_up_at: datetime | None
    last_seen_at: datetime | None
    plan: str
    subscription_status: str
    mrr: int = Field(description="minor units of `currency`")
    currency: str
    health_score: int | None
    health_band: str
    open_tickets: int
    matched: str = Field("", description="what the search text matched")


class PeoplePage(Schema):
    count: int
    page: int
    pages: int
    results: list[PersonSummaryOut]
    query: str = Field(description="the query, in words")


class HealthComponentOut(Schema):
    key: str
    label: str
    score: int | None
    weight: float
    figure: str


class HealthOut(Schema):
    score: int
    band: str = Field(
        description="healthy, at_risk, critical; new: signed up too recently to judge; "
        "lapsed: no paid subscription and no activity in 4 weeks"
    )
    uncapped_score: int | None = Field(
        None, description="the weighted score when payment trouble capped `score`"
    )
    components: list[HealthComponentOut]
    computed_at: datetime | None = Field(description="null: computed now, not yet by the task")
    change_7d: int | None
    history: list[tuple[date, int]]


class SubscriptionOut(Schema):
    status: str
    plan: str
    tier: str
    mrr: int
    mrr_display: str
    currency: str
    next_charge_at: datetime | None
    next_charge_amount: str
    ends_at: datetime | None
    is_complimentary: bool
    complimentary_until: datetime | None = Field(
        description="a comp: the subscription is free until then"
    )
    card: str
    stripe_url: str


class SupportOut(Schema):
    open_tickets: int
    total_tickets: int
    average_resolution_hours: float | None
    last_ticket_id: int | None
    last_ticket_at: datetime | None


class DeviceOut(Schema):
    platform: str = Field(description="ios, android, web, other, or what their events name")
    device: str
    os: str = Field(description="'iOS 17.2'; '' when unknown")
    app_version: str
    browser: str
    last_seen_at: datetime
    api_calls_30d: int


class FlagOut(Schema):
    key: str
    experiment: str
    served_variant: str = Field(description="actually served (exposures); '' when never")
    simulated_variant: str = Field(description="what the current rules give (simulated)")
    simulated_reason: str
    is_on: bool


class UsageOut(Schema):
    event: str
    label: str
    count_30d: int


class InsightOut(Schema):
    key: str
    severity: Literal["critical", "warning", "opportunity", "info"]
    title: str
    evidence: list[str]
    action: str
    action_kind: str
    numbers: dict[str, Any]


class IntelligenceOut(Schema):
    id: int
    external_id: str
    email: str
    name: str
    status: str
    is_vip: bool
    signed_up_at: datetime | None
    account_age_days: int | None
    lifetime_value: dict[str, int] = Field(description="per currency, minor units")
    last_login: date | None
    last_active: date | None
    errors_7d: int
    attributes: dict[str, Any]
    tags: list[str]
    health: HealthOut
    subscription: SubscriptionOut
    support: SupportOut
    usage_30d: list[UsageOut]
    devices: list[DeviceOut]
    flags: list[FlagOut]
    insights: list[InsightOut]


class TimelineItemOut(Schema):
    kind: str
    at: datetime
    day: date | None = Field(description="set for a day's product activity (no time of day)")
    title: str
    detail: str
    tone: str
    url: str
    lines: list[str]


class TimelineOut(Schema):
    items: list[TimelineItemOut]
    next_cursor: str = Field(description="pass as ?cursor= for the next page; '' at the end")


class ActionIn(Schema):
    action: Literal["email", "note", "tag", "ticket", "comp"]
    template: Text = Field("", description="email: a template key, or give subject and body")
    subject: Text = ""
    body: Text = Field("", description="email body, note text or ticket description")
    tags: list[Text] = []
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    plan_id: int | None = Field(None, description="comp: the plan to grant")
    months: int = Field(1, description="comp: how many months free")
    reason: Text = ""


class ActionOut(Schema):
    action: str
    ok: bool
    detail: str
    id: str = Field("", description="the email, note, ticket or subscription created")


class AskIn(Schema):
    question: Text


class FactOut(Schema):
    ref: str
    text: str


class AnswerOut(Schema):
    answer: str
    used_model: bool
    note: str
    sources: list[FactOut]


class SegmentIn(Schema):
    name: Text
    is_shared: bool = False
    q: Text = ""
    quick: Text = ""
    conditions: list[ConditionIn] = []
    sort: Text = ""


class SegmentFromFunnelIn(Schema):
    funnel_id: int
    step: int  # 1 = the funnel's first step; the people who reached it and went no further
    name: Text = ""  # default: "Dropped after step N of <funnel>"
    is_shared: bool = False


class SegmentOut(Schema):
    id: int
    name: str
    is_shared: bool
    owner: str
    q: str
    quick: str
    conditions: list[dict[str, Any]]
    sort: str
    updated_at: datetime
