"""The support API's shapes."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from opsroom.core.schemas import Text

Status = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
Category = Literal[
    "billing",
    "bug",
    "how_to",
    "feature_request",
    "account_access",
    "cancellation",
    "invoice_request",
    "email_preferences",
    "other",
    "",
]
Channel = Literal["email", "web", "chat", "in_app", "phone", "api"]


class TicketIn(Schema):
    requester_id: Text = Field("", description="the person's user id in the host app")
    person_id: int | None = Field(None, description="or the person's Opsroom id")
    subject: Text = Field(..., max_length=300)
    body: Text = Field(..., max_length=50000)
    channel: Channel = "api"
    priority: Priority = "normal"


class TicketPatch(Schema):
    status: Status | None = None
    priority: Priority | None = None
    category: Category | None = None
    assignee_id: int | None = Field(None, description="a staff user id; with unassign=true, none")
    unassign: bool = False


class TicketOut(Schema):
    id: int
    external_id: str | None
    person_id: int
    requester_email: str
    requester_name: str
    channel: str
    subject: str
    body: str
    status: str
    priority: str
    category: str
    assignee_id: int | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    satisfaction_rating: int | None = Field(None, description="the customer's CSAT, 1-5")
    rated_handling: str = Field(
        "", description="how the rated ticket was handled: auto, ai_assisted or manual"
    )
    csat_requested_at: datetime | None = None
    reply_due_at: datetime | None = Field(
        description="when a reply (first or next) is due, if that is the SLA target due first"
    )
    sla_due_at: datetime | None = Field(
        description="when the SLA target due first is due; null off the clock (pending, solved)"
    )
    sla_target: str = Field(description="first_reply, next_reply, resolution, or ''")


class TicketPage(Schema):
    count: int
    page: int
    pages: int
    results: list[TicketOut]


class AlternativeOut(Schema):
    category: str
    confidence: float


class ConfidenceSourceOut(Schema):
    source: Literal["calibrated", "rule"] = Field(
        description="'calibrated': the rate at which such answers were right on reviewed "
        "tickets; 'rule': the rule's own strength (too few reviewed tickets, or the "
        "calibration did not beat it)"
    )
    version: int | None = Field(description="the calibration's model version, when calibrated")
    rule_strength: float


class AnalysisOut(Schema):
    ticket_id: int
    category: str
    category_confidence: float = Field(description="calibrated when source is 'model'")
    category_is_confident: bool = Field(description="above the automation threshold")
    alternatives: list[AlternativeOut]
    source: str
    model_version: int | None
    severity: str
    severity_confidence: float = Field(description="calibrated when its source says so")
    severity_confidence_source: ConfidenceSourceOut
    feature: str
    feature_confidence: float = Field(description="calibrated when its source says so")
    feature_confidence_source: ConfidenceSourceOut
    is_blocking: bool
    blocking_confidence: float = Field(description="calibrated when its source says so")
    blocking_confidence_source: ConfidenceSourceOut
    signals: dict[str, object]
    analysed_at: datetime


class CorrectionIn(Schema):
    field: Literal["category", "severity", "feature", "is_blocking"]
    value: Text = Field(..., max_length=200)


class CorrectionOut(Schema):
    id: int
    field: str
    predicted: str
    corrected: str


class MessageIn(Schema):
    body: Text = Field(..., max_length=20000)
    internal: bool = Field(False, description="an internal note, not sent")
    status: Status | None = None


class MessageOut(Schema):
    id: int
    author_kind: str
    is_internal: bool
    body: str
    created_at: datetime
    ticket_status: str


class SimilarOut(Schema):
    ticket_id: int
    subject: str
    status: str
    category: str
    similarity: float
    created_at: datetime
    resolved_at: datetime | None
    resolution_hours: float | None
    resolution: str


class SimilarListOut(Schema):
    resolved: list[SimilarOut]
    duplicates: list[SimilarOut]


class SuggestionOut(Schema):
    id: int
    ticket_id: int
    body: str
    sources: list[dict[str, object]]
    method: str
    outcome: str
    created_at: datetime


class DecisionIn(Schema):
    outcome: Literal["use", "reject"]
    body: Text = Field("", max_length=20000, description="use: the edited text, if edited")
    status: Status | None = Field(None, description="use: the ticket's status after sending")


class AutomationDecisionOut(Schema):
    ticket_id: int
    intent: str | None = Field(description="the automation for this request; null when none")
    mode: str
    eligible: bool
    would_act: bool = Field(description="eligible and the automation is automatic")
    reasons: list[str]
    event: str = Field(
        description="the host-app webhook event it sends, or the Stripe call it makes"
    )
    via: str = Field("", description='where it acts: "stripe", "host_app", or "" (a reply only)')


class CsatOut(Schema):
    mean: float | None
    ratings: int


class PriorityTargetsOut(Schema):
    priority: str
    first_reply_target_hours: float
    resolution_target_hours: float
    business_hours: bool
    first_response_median_hours: float | None
    first_response_within_target: float | None = Field(description="share of answered tickets")
    resolution_median_hours: float | None
    resolution_within_target: float | None = Field(description="share of resolved tickets")


class PeriodOut(Schema):
    start: datetime
    end: datetime
    total: int
    auto_resolved: int
    ai_assisted: int
    manual: int
    first_response_mean_hours: float | None
    first_response_median_hours: float | None
    first_response_within_target: float | None
    resolution_mean_hours: float | None
    resolution_median_hours: float | None
    resolution_within_target: float | None
    by_priority: list[PriorityTargetsOut] = Field(description="times against each policy")
    auto_resolution_mean_seconds: float | None
    csat: float | None
    csat_count: int
    csat_by_handling: dict[str, CsatOut] = Field(
        description="auto, ai_assisted and manual: the mean rating and how many"
    )
    suggestions_used: int
    suggestions_edited: int
    suggestions_rejected: int
    suggestion_acceptance: float | None = Field(description="share of decided drafts sent")


class TopIssueOut(Schema):
    category: str
    this_week: int
    weekly_baseline: float
    is_trending: bool
    p_value: float


class MetricsOut(Schema):
    days: int
    current: PeriodOut
    previous: PeriodOut
    top_issues: list[TopIssueOut]


ArticleStatus = Literal["draft", "published"]


class ArticleIn(Schema):
    title: Text = Field(..., max_length=200)
    body: Text = Field(..., max_length=100000, description="Markdown")
    status: ArticleStatus = "draft"
    category: Category = ""
    tags: list[Text] = []
    slug: Text = Field("", max_length=120, description="from the title when empty")


class ArticlePatch(Schema):
    title: Text | None = Field(None, max_length=200)
    body: Text | None = Field(None, max_length=100000)
    status: ArticleStatus | None = None
    category: Category | None = None
    tags: list[Text] | None = None
    slug: Text | None = Field(None, max_length=120)


class ArticleOut(Schema):
    id: int
    slug: str
    title: str
    body: str
    status: str
    category: str
    tags: list[str]
    views: int
    helpful_yes: int
    helpful_no: int
    suggested_count: int
    source_tickets: list[int] = Field(description="a copilot draft's source tickets")
    drafted_from: str
    created_at: datetime
    updated_at: datetime


class ArticleFeedbackIn(Schema):
    helpful: bool = Field(..., description="the reader's answer to 'Was this helpful?'")


class ArticleDraftIn(Schema):
    ticket_ids: list[int] = Field(..., min_length=1, max_length=200)


class TopicOut(Schema):
    label: str
    terms: list[str]
    count: int
    previous_count: int = Field(description="as close to the topic, in the window before")
    rising: bool
    open_count: int
    category: str
    example_ticket_id: int
    example_subject: str
    ticket_ids: list[int]
    article_id: int | None
    article_title: str | None
    article_score: float | None
    gap: bool = Field(description="many tickets and no published article answers them")


class ArticleMatchOut(Schema):
    id: int
    slug: str
    title: str
    score: float
    excerpt: str


class TemplateOut(Schema):
    id: int
    key: str
    name: str
    category: str
    body: str
    is_active: bool
    usage_count: int
    sent_12m: int = Field(description="replies sent from drafts built on it, last 12 months")
    stayed_solved: int = Field(description="of those, tickets solved with no customer reply after")
    success_rate: float | None
    csat: float | None
    csat_count: int


class TemplateIn(Schema):
    name: Text = Field(..., max_length=200)
    body: Text = Field(..., max_length=20000, description="with {variables}")
    category: Category = ""
    is_active: bool = True
    key: Text = Field("", max_length=64, description="from the name when empty")


class TemplatePatch(Schema):
    name: Text | None = Field(None, max_length=200)
    body: Text | None = Field(None, max_length=20000)
    category: Category | None = None
    is_active: bool | None = None
    key: Text | None = Field(None, max_length=64)


class MergeIn(Schema):
    duplicate: int = Field(description="the ticket to merge into this one (it is closed)")


class SessionTraceOut(Schema):
    ticket_id: int
    has_trace: bool = Field(description="the requester made recorded API requests this week")
    trace_url: str | None = Field(description="the data-flow tracer for the requester")
    request_url: str | None = Field(description="the request inspector for the latest request")
    method: str | None
    path: str | None
    status: int | None
    occurred_at: datetime | None


class SlaPolicyIO(Schema):
    priority: Priority
    first_reply_minutes: int = Field(..., description="minutes of clock time, 1 to a year")
    next_reply_minutes: int = Field(..., description="after each customer message")
    resolution_minutes: int
    business_hours: bool = Field(False, description="count business hours only (else calendar)")


class HolidayIO(Schema):
    date: date
    name: Text = Field(..., max_length=120)


class BusinessHoursIO(Schema):
    timezone: Text = Field(..., max_length=64, description="an IANA timezone, e.g. Europe/Berlin")
    hours: list[Text] = Field(
        ..., description="seven days, Monday first: 'HH:MM-HH:MM', or '' for a day off"
    )
    holidays: list[HolidayIO] | None = Field(
        None,
        description="dates on which business hours do not run; replaces the list when given, "
        "left as it is when absent",
    )


class SlaSettingsIO(Schema):
    policies: list[SlaPolicyIO]
    business_hours: BusinessHoursIO


class SlaSettingsOut(SlaSettingsIO):
    updated_at: datetime | None
    updated_by: str | None


AgentHours = Literal["team", "own"]


class AgentProfileIn(Schema):
    categories: list[Category] = Field(
        default_factory=list, description="ticket categories this agent is preferred for"
    )
    features: list[Text] = Field(
        default_factory=list,
        description="feature words (e.g. 'meal plan'), matched within the ticket's affected "
        "feature",
    )
    open_limit: int | None = Field(
        None, description="most open tickets routing gives them; null: the global limit"
    )
    hours_mode: AgentHours = Field("team", description="team: the business hours; own: below")
    timezone: Text = Field("", max_length=64, description="own hours: an IANA timezone")
    hours: list[Text] = Field(
        default_factory=list,
        description="own hours: seven days, Monday first, 'HH:MM-HH:MM' or '' for a day off",
    )
    is_available: bool = True


class AgentAvailabilityIn(Schema):
    is_available: bool


class AgentProfileOut(AgentProfileIn):
    user_id: int
    username: str
    roles: list[str]
    effective_limit: int
    open_tickets: int
    is_on_shift: bool = Field(..., description="inside their working hours now")
    updated_at: datetime | None
    updated_by: str | None
