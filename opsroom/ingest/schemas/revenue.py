"""Items about plans, subscriptions, invoices and payments (money in integer minor units)."""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from opsroom.ingest.schemas.fields import (
    Count,
    Currency,
    Happened,
    ItemIn,
    JsonObject,
    Key,
    Moment,
    Money,
    Month,
    PositiveMoney,
    Required64,
    SmallCount,
    Text32,
    Text40,
    Text64,
    Text128,
    Text200,
    Text300,
    Text500,
)

Interval = Literal["day", "week", "month", "year"]
SubscriptionStatus = Literal[
    "trialing",
    "active",
    "past_due",
    "unpaid",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "paused",
]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]

_STATE_TIME = (
    "When the source held this state; an older state never overwrites a newer one. "
    "Send it whenever states may arrive out of order."
)


class PlanIn(ItemIn):
    """A price the host app sells, by its price id."""

    price_id: Key
    code: Text64 | None = None
    name: Text200 | None = None
    tier: Text64 | None = None
    interval: Interval | None = None
    interval_count: Annotated[int, Field(ge=1, le=32767)] | None = None
    amount: PositiveMoney | None = None
    currency: Currency | None = None
    trial_days: SmallCount | None = None
    is_active: bool | None = None


class SubscriptionIn(ItemIn):
    """A subscription, by its id at the payment provider. Amount etc. default to the plan's."""

    subscription_id: Key
    user_id: Key
    status: SubscriptionStatus
    price_id: Key | None = Field(default=None, description="A plan sent to /ingest/plans.")
    interval: Interval | None = None
    interval_count: Annotated[int, Field(ge=1, le=32767)] | None = None
    amount: PositiveMoney | None = Field(default=None, description="Per unit and interval.")
    currency: Currency | None = None
    quantity: Count | None = None
    discount_percent: Percent | None = None
    discount_amount: PositiveMoney | None = None
    discount_ends_at: Moment | None = None
    started_at: Happened | None = None
    trial_start: Moment | None = None
    trial_end: Moment | None = None
    current_period_start: Moment | None = None
    current_period_end: Moment | None = None
    cancel_at_period_end: bool | None = None
    canceled_at: Happened | None = None
    ended_at: Happened | None = None
    cancellation_reason: Text200 | None = None
    metadata: JsonObject | None = None
    updated_at: Happened | None = Field(default=None, description=_STATE_TIME)


InvoiceStatus = Literal["draft", "open", "paid", "uncollectible", "void"]


class InvoiceIn(ItemIn):
    """An invoice, by its id at the payment provider."""

    invoice_id: Key
    user_id: Key
    status: InvoiceStatus
    issued_at: Happened
    subscription_id: Key | None = Field(default=None, description="A subscription already sent.")
    number: Text64 | None = None
    billing_reason: Text40 | None = None
    currency: Currency | None = None
    subtotal: Money | None = None
    discount: Money | None = None
    tax: Money | None = None
    total: Money | None = None
    amount_due: Money | None = None
    amount_paid: Money | None = None
    amount_refunded: Money | None = None
    period_start: Moment | None = None
    period_end: Moment | None = None
    due_at: Moment | None = None
    paid_at: Happened | None = None
    voided_at: Happened | None = None
    attempt_count: SmallCount | None = None
    next_payment_attempt_at: Moment | None = None
    hosted_invoice_url: Text500 | None = None
    updated_at: Happened | None = Field(default=None, description=_STATE_TIME)


class PaymentIn(ItemIn):
    """One attempt to collect a payment (a charge), by its id at the payment provider."""

    payment_id: Key
    user_id: Key
    amount: Money
    status: Literal["succeeded", "failed", "pending"]
    attempted_at: Happened
    invoice_id: Key | None = Field(default=None, description="An invoice already sent.")
    subscription_id: Key | None = Field(default=None, description="A subscription already sent.")
    currency: Currency | None = None
    amount_refunded: Money | None = None
    failure_code: Text64 | None = None
    decline_code: Text64 | None = None
    failure_message: Text500 | None = None
    attempt_number: Annotated[int, Field(ge=1, le=32767)] | None = None
    next_retry_at: Moment | None = None
    card_brand: Text32 | None = None
    card_last4: Annotated[str, Field(pattern=r"^[0-9]{4}$")] | None = None


class MarketingSpendIn(ItemIn):
    """What was spent on a channel (and campaign) in a month; a later item replaces it."""

    channel: Required64 = Field(description="e.g. google_ads, facebook, content")
    campaign: Text128 = Field("", description="optional; spend is also kept per campaign")
    month: Month = Field(description="YYYY-MM")
    amount: PositiveMoney = Field(description="minor units of `currency`")
    currency: Currency
    note: Text300 = ""
