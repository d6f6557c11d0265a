from django.db import models

from opsroom.core import clock
from opsroom.people.models import Person


class Interval(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class Plan(models.Model):
    """A price the host app sells (Stripe: a Price of a Product)."""

    provider_price_id = models.CharField(max_length=128, unique=True)
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    tier = models.CharField(max_length=64, blank=True)
    interval = models.CharField(max_length=8, choices=Interval.choices, default=Interval.MONTH)
    interval_count = models.PositiveSmallIntegerField(default=1)
    amount = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    trial_days = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["amount", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.amount == 0


class BillingCustomer(models.Model):
    """A person's customer record at the payment provider, with their default card."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="billing")
    provider = models.CharField(max_length=32, default="stripe")
    provider_customer_id = models.CharField(max_length=128, unique=True)
    card_brand = models.CharField(max_length=32, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    livemode = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        permissions = [
            ("check_stripe_drift", "Can compare a customer's billing records with Stripe"),
        ]

    def __str__(self) -> str:
        return self.provider_customer_id


class Subscription(models.Model):
    """A person's subscription to a plan. `mrr_amount` is written only by the revenue services."""

    class Status(models.TextChoices):
        TRIALING = "trialing", "Trialing"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        UNPAID = "unpaid", "Unpaid"
        CANCELED = "canceled", "Canceled"
        INCOMPLETE = "incomplete", "Incomplete"
        INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete (expired)"
        PAUSED = "paused", "Paused"

    provider = models.CharField(max_length=32, default="stripe")
    provider_subscription_id = models.CharField(max_length=128, unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="subscriptions")
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    interval = models.CharField(max_length=8, choices=Interval.choices, default=Interval.MONTH)
    interval_count = models.PositiveSmallIntegerField(default=1)
    amount = models.BigIntegerField(default=0)  # per unit, per billing interval
    currency = models.CharField(max_length=3, default="usd")
    quantity = models.PositiveIntegerField(default=1)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    discount_amount = models.BigIntegerField(default=0)  # off each billing interval
    discount_ends_at = models.DateTimeField(null=True, blank=True)
    # Normalised monthly recurring revenue in minor units of `currency`.
    mrr_amount = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    trial_start = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=200, blank=True)
    is_complimentary = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    # The provider's time of the state held here; an older state never overwrites a newer one.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        permissions = [
            ("grant_complimentary_subscription", "Can grant a complimentary subscription"),
        ]
        indexes = [
            models.Index(fields=["person", "status"], name="sub_person_status"),
            models.Index(fields=["status", "current_period_end"], name="sub_status_period_end"),
            models.Index(fields=["started_at"], name="sub_started"),
            models.Index(fields=["ended_at"], name="sub_ended"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_subscription_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        """Whether the subscription still gives access (not ended)."""
        return self.status in (
            self.Status.TRIALING,
            self.Status.ACTIVE,
            self.Status.PAST_DUE,
            self.Status.UNPAID,
            self.Status.PAUSED,
        )


class SubscriptionChange(models.Model):
    """One change in a subscription's plan, status or value, written by the revenue services."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        TRIAL_STARTED = "trial_started", "Trial started"
        CONVERTED = "converted", "Trial converted"
        UPGRADED = "upgraded", "Upgraded"
        DOWNGRADED = "downgraded", "Downgraded"
        STATUS_CHANGED = "status_changed", "Status changed"
        CANCEL_SCHEDULED = "cancel_scheduled", "Cancellation scheduled"
        CANCEL_REVOKED = "cancel_revoked", "Cancellation revoked"
        CANCELED = "canceled", "Canceled"
        REACTIVATED = "reactivated", "Reactivated"
        # A discount ran out: MRR back to the full price (written by the ledger's daily run).
        DISCOUNT_ENDED = "discount_ended", "Discount ended"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="changes")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    from_plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mrr_before = models.BigIntegerField(default=0)
    mrr_after = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="subchange_person_time"),
            models.Index(fields=["occurred_at"], name="subchange_time"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.kind} @ {self.occurred_at:%Y-%m-%d}"


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        UNCOLLECTIBLE = "uncollectible", "Uncollectible"
        VOID = "void", "Void"

    provider_invoice_id = models.CharField(max_length=128, unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="invoices")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    billing_reason = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=3, default="usd")
    subtotal = models.BigIntegerField(default=0)
    discount = models.BigIntegerField(default=0)
    tax = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    amount_due = models.BigIntegerField(default=0)
    amount_paid = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_payment_attempt_at = models.DateTimeField(null=True, blank=True)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["person", "-issued_at"], name="invoice_person_time"),
            models.Index(fields=["status", "issued_at"], name="invoice_status_time"),
            models.Index(fields=["issued_at"], name="invoice_time"),
        ]

    def __str__(self) -> str:
        return self.number or self.provider_invoice_id


class PaymentAttempt(models.Model):
    """One attempt to collect a payment (a charge), successful or not."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        PENDING = "pending", "Pending"

    provider_attempt_id = models.CharField(max_length=128, unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="payment_attempts")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    amount_refunded = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices)
    failure_code = models.CharField(max_length=64, blank=True)
    decline_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    attempt_number = models.PositiveSmallIntegerField(default=1)
    attempted_at = models.DateTimeField()
    next_retry_at = models.DateTimeField(null=True, blank=True)
    card_brand = models.CharField(max_length=32, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["person", "-attempted_at"], name="payment_person_time"),
            models.Index(fields=["status", "attempted_at"], name="payment_status_time"),
            models.Index(fields=["invoice", "attempt_number"], name="payment_invoice_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_attempt_id} ({self.status})"


class MarketingSpend(models.Model):
    """What was spent on one acquisition channel (and campaign) in one month: the input of CAC,
    LTV:CAC and attribution. Operators enter it (form, API, import); nothing computes it."""

    channel = models.CharField(max_length=64)
    campaign = models.CharField(max_length=128, blank=True)
    month = models.DateField()  # the first day of the month
    amount = models.BigIntegerField()  # minor units of `currency`
    currency = models.CharField(max_length=3, default="usd")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "marketing spend"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "campaign", "month", "currency"], name="spend_once"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="spend_not_negative"),
        ]
        indexes = [models.Index(fields=["month", "channel"], name="spend_month_channel")]

    def __str__(self) -> str:
        return f"{self.channel} {self.month:%Y-%m}: {self.amount} {self.currency}"


# The derived tables of the revenue command center, one module per capability.
from opsroom.revenue.models.campaigns import (  # noqa: E402
    Campaign,
    CampaignEnrollment,
    CampaignSend,
)
from opsroom.revenue.models.churn import (  # noqa: E402
    ChurnBandChange,
    ChurnFactorRanking,
    ChurnPrediction,
    RiskAction,
    RiskBand,
)
from opsroom.revenue.models.cohorts import CohortCell, CohortContext  # noqa: E402
from opsroom.revenue.models.forecast import ForecastBasis  # noqa: E402
from opsroom.revenue.models.metrics import (  # noqa: E402
    ExchangeRate,
    LedgerState,
    MrrDay,
    MrrDirty,
    MrrMovement,
    MrrSegmentMonth,
    RevenueOverview,
    RevenueSettings,
)
from opsroom.revenue.models.recovery import (  # noqa: E402
    DunningSend,
    PaymentCase,
    RecoverySettings,
)

__all__ = [
    "BillingCustomer",
    "Campaign",
    "CampaignEnrollment",
    "CampaignSend",
    "ChurnBandChange",
    "ChurnFactorRanking",
    "ChurnPrediction",
    "CohortCell",
    "CohortContext",
    "DunningSend",
    "ExchangeRate",
    "ForecastBasis",
    "Interval",
    "Invoice",
    "LedgerState",
    "MarketingSpend",
    "MrrDay",
    "MrrDirty",
    "MrrMovement",
    "MrrSegmentMonth",
    "PaymentAttempt",
    "PaymentCase",
    "Plan",
    "RecoverySettings",
    "RevenueOverview",
    "RevenueSettings",
    "RiskAction",
    "RiskBand",
    "Subscription",
    "SubscriptionChange",
]
