"""Failed payments as recovery cases, the retry and dunning settings, and the emails sent."""

from django.db import models

from opsroom.core import clock
from opsroom.people.models import Person
from opsroom.revenue.models import Invoice, Subscription


class PaymentCase(models.Model):
    """One invoice (or charge) whose payment failed, from its first failure to its outcome."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RECOVERED = "recovered", "Recovered"
        LOST = "lost", "Lost"

    class Bucket(models.TextChoices):
        RETRY_LATER = "retry_later", "Retry later"
        NEEDS_CUSTOMER = "needs_customer", "Needs the customer"
        NEVER_RETRY = "never_retry", "Never retry"

    key = models.CharField(max_length=160, unique=True)  # "invoice:<id>" or "charge:<id>"
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    mrr = models.BigIntegerField(default=0)  # the subscription's MRR (its currency) at stake
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    decline_code = models.CharField(max_length=64, blank=True)  # of the latest failure
    bucket = models.CharField(max_length=16, choices=Bucket.choices)
    failures = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    # How many attempts after the first failure it took to collect (1: the first retry).
    recovered_on_retry = models.PositiveSmallIntegerField(null=True, blank=True)
    retries_requested = models.PositiveSmallIntegerField(default=0)  # by Opsroom, in Stripe
    next_retry_at = models.DateTimeField(null=True, blank=True)  # Opsroom's schedule
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        permissions = [("manage_payment_recovery", "Can change retries and dunning")]
        indexes = [
            models.Index(fields=["status", "first_failed_at"], name="paycase_status"),
            models.Index(fields=["first_failed_at"], name="paycase_first"),
            models.Index(fields=["person", "-first_failed_at"], name="paycase_person"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class RecoverySettings(models.Model):
    """The retry schedule and the dunning emails (one row)."""

    retry_days = models.JSONField(default=list)  # e.g. [3, 7, 14]: days after the failure
    dunning_steps = models.JSONField(default=list)  # [{"template": key, "day": n}]
    expiry_template = models.CharField(max_length=100, blank=True)
    expiry_days = models.JSONField(default=list)  # e.g. [30, 14, 7]: days before it expires
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "recovery settings"

    def __str__(self) -> str:
        return "payment recovery settings"


class DunningSend(models.Model):
    """A dunning or card-expiry email Opsroom sent (once per case and step, or per card and
    notice), with the id of the email in messaging."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200, unique=True)  # "case:<id>:<template>", "card:..."
    template = models.CharField(max_length=100)
    email_id = models.BigIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.key
