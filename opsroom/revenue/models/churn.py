"""Churn predictions (recomputed daily), their band history, and what staff did about them."""

from django.conf import settings
from django.db import models

from opsroom.core import clock
from opsroom.people.models import Person


class RiskBand(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ChurnPrediction(models.Model):
    """A paying customer's probability of churning in the next 30 days, as last computed."""

    class Source(models.TextChoices):
        MODEL = "model", "Model"
        RULE = "rule", "Rule score"

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    band = models.CharField(max_length=8, choices=RiskBand.choices)
    rule_probability = models.FloatField()
    source = models.CharField(max_length=8, choices=Source.choices)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    # [{"feature", "value", "reference", "contribution"}], largest push first.
    factors = models.JSONField(default=list, blank=True)
    signals = models.JSONField(default=dict, blank=True)  # what the prediction was made from
    mrr = models.BigIntegerField(default=0)  # minor units of the headline currency
    days_to_renewal = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(default=clock.now)
    band_since = models.DateTimeField(default=clock.now)
    previous_band = models.CharField(max_length=8, blank=True)

    class Meta:
        permissions = [
            ("act_on_churn_risk", "Can act on at-risk customers (calls, free months, contacts)"),
            ("train_churn_model", "Can train the churn model"),
        ]
        indexes = [
            models.Index(fields=["band", "-probability"], name="churn_band_prob"),
            # The dashboard's "computed at" (a MAX) and the bands' sums, read from the index.
            models.Index(fields=["computed_at"], name="churn_computed"),
            models.Index(fields=["band", "mrr"], name="churn_band_mrr"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.probability:.0%} ({self.band})"


class ChurnFactorRanking(models.Model):
    """What one prediction run leaves for the dashboards, counted once: the customers in each
    band with their MRR, and how often each factor pushes at-risk customers up (the "top risk
    factors"). Only the latest run's row is kept; it is read while no prediction was computed
    after it."""

    computed_at = models.DateTimeField(unique=True)
    customers = models.PositiveIntegerField(default=0)  # predictions counted
    at_risk = models.PositiveIntegerField()
    ranking = models.JSONField(default=list)  # [[feature, customers], ...], most first
    bands = models.JSONField(default=dict)  # {band: [customers, mrr]}

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M}: {self.at_risk} at risk"


class ChurnBandChange(models.Model):
    """A customer moving from one risk band to another (the history behind "improved")."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    from_band = models.CharField(max_length=8, choices=RiskBand.choices)
    to_band = models.CharField(max_length=8, choices=RiskBand.choices)
    probability = models.FloatField()
    mrr = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day", "to_band"], name="churnband_day"),
            models.Index(fields=["person", "-day"], name="churnband_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.from_band}->{self.to_band} {self.day}"


class RiskAction(models.Model):
    """Something a staff member did (or scheduled) for an at-risk customer."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Personal email"
        CALL = "call", "Call scheduled"
        FREE_MONTH = "free_month", "Free month offered"
        CONTACTED = "contacted", "Marked as contacted"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)  # a call's time
    done_at = models.DateTimeField(null=True, blank=True)
    probability = models.FloatField(null=True, blank=True)  # the risk when it was done
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="riskaction_person"),
            models.Index(fields=["assignee", "done_at", "due_at"], name="riskaction_todo"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.person_id}"
