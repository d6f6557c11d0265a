"""The MRR ledger and its daily snapshots: derived from the subscription change log by
revenue.metrics.ledger, read by the overview, the charts and the API (docs/revenue.md)."""

from django.conf import settings
from django.db import models

from opsroom.core import clock
from opsroom.people.models import Person
from opsroom.revenue.models import Subscription


class ExchangeRate(models.Model):
    """What one unit of a currency is worth in the headline currency, from a day on."""

    currency = models.CharField(max_length=3)
    day = models.DateField()
    # Major units of the headline currency per major unit of `currency` (1 EUR = 1.08 USD).
    rate = models.DecimalField(max_digits=20, decimal_places=10)
    source = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["currency", "day"], name="rate_once"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.day}: {self.rate}"


class MrrMovement(models.Model):
    """One subscription's MRR change on one day (UTC), classified by what the day did to its
    customer's MRR: a second subscription cancelled is contraction, the last one churn."""

    class Kind(models.TextChoices):
        NEW = "new", "New"
        EXPANSION = "expansion", "Expansion"
        CONTRACTION = "contraction", "Contraction"
        CHURN = "churn", "Churn"
        REACTIVATION = "reactivation", "Reactivation"
        # The customer's MRR did not change (a switch between plans of the same price).
        NEUTRAL = "neutral", "No change"

    day = models.DateField()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Signed minor units of the headline currency; None when no exchange rate covers the day.
    amount = models.BigIntegerField(null=True, blank=True)
    native_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # +1 on one row of a customer's new or reactivation day, -1 on one row of a churn day.
    customer_delta = models.SmallIntegerField(default=0)
    # +1 when the subscription starts counting MRR, -1 when it stops.
    subscription_delta = models.SmallIntegerField(default=0)
    customer_mrr_before = models.BigIntegerField(default=0)  # headline currency
    customer_mrr_after = models.BigIntegerField(default=0)
    plan_code = models.CharField(max_length=64, blank=True)
    interval = models.CharField(max_length=16, blank=True)
    channel = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            # Covers the sums of the movements pages (no table reads for a year of rows).
            models.Index(fields=["day", "kind", "amount"], name="mrrmove_day_kind_amount"),
            models.Index(fields=["person", "day"], name="mrrmove_person_day"),
            models.Index(fields=["subscription"], name="mrrmove_subscription"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.amount} (sub {self.subscription_id})"


class MrrDay(models.Model):
    """MRR at the end of one day and the movements of that day, in the headline currency."""

    day = models.DateField(unique=True)
    currency = models.CharField(max_length=3)
    mrr = models.BigIntegerField(default=0)
    new = models.BigIntegerField(default=0)
    expansion = models.BigIntegerField(default=0)
    contraction = models.BigIntegerField(default=0)  # negative or zero
    churn = models.BigIntegerField(default=0)  # negative or zero
    reactivation = models.BigIntegerField(default=0)
    customers = models.IntegerField(default=0)  # paying at the end of the day
    subscriptions = models.IntegerField(default=0)  # counting MRR at the end of the day
    new_customers = models.IntegerField(default=0)
    reactivated_customers = models.IntegerField(default=0)
    churned_customers = models.IntegerField(default=0)
    unconverted = models.IntegerField(default=0)  # movements left out: no exchange rate

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.mrr} {self.currency}"


class MrrSegmentMonth(models.Model):
    """MRR at the end of a month, and the month's movements, of one plan, billing interval,
    acquisition channel or country."""

    class Dimension(models.TextChoices):
        PLAN = "plan", "Plan"
        INTERVAL = "interval", "Billing interval"
        CHANNEL = "channel", "Acquisition channel"
        COUNTRY = "country", "Country"

    month = models.DateField()  # the first day of the month
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    key = models.CharField(max_length=64, blank=True)
    mrr = models.BigIntegerField(default=0)
    # Subscriptions counting MRR (plan, interval), or paying customers (channel, country).
    count = models.IntegerField(default=0)
    new = models.BigIntegerField(default=0)
    expansion = models.BigIntegerField(default=0)
    contraction = models.BigIntegerField(default=0)
    churn = models.BigIntegerField(default=0)
    reactivation = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "dimension", "key"], name="segment_once")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.dimension}={self.key}: {self.mrr}"


class MrrDirty(models.Model):
    """A person whose subscription changes the ledger has not taken in yet.

    Written in the transaction that writes the change; the token changes with every write, so
    the ledger clears the mark only if no write came after it read the person's changes.
    """

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.person_id} ({self.token})"


class LedgerState(models.Model):
    """How far the ledger is built (one row)."""

    currency = models.CharField(max_length=3)
    built_through = models.DateField(null=True, blank=True)
    needs_rebuild = models.BooleanField(default=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    last_seconds = models.FloatField(default=0)

    class Meta:
        permissions = [("rebuild_ledger", "Can rebuild the MRR ledger")]

    def __str__(self) -> str:
        return f"ledger through {self.built_through}"


class RevenueOverview(models.Model):
    """The overview cards as of one day, computed after each ledger update."""

    day = models.DateField(unique=True)
    currency = models.CharField(max_length=3)
    figures = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"overview {self.day}"


class RevenueSettings(models.Model):
    """What operators set for the command center (one row)."""

    growth_target_percent = models.DecimalField(max_digits=6, decimal_places=2, default=10)
    ltv_cac_healthy = models.DecimalField(max_digits=6, decimal_places=2, default=3)
    # Staff who get the weekly digest of the overview by email, and the Monday it last went.
    digest_recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+"
    )
    digest_sent_week = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "revenue settings"

    def __str__(self) -> str:
        return "revenue settings"
