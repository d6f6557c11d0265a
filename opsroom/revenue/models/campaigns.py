"""Retention campaigns (interventions): who they target, what they send, and the people they
took in, each either treated or held out at random so the campaign's effect can be measured."""

from django.conf import settings
from django.db import models

from opsroom.core import clock
from opsroom.people.models import Person


class Campaign(models.Model):
    """An intervention: a trigger over the churn predictions, an email sequence (templates in
    messaging, day offsets from entry), an optional free-month offer and a random holdout."""

    class Kind(models.TextChoices):
        WIN_BACK = "win_back", "Win-back (high risk)"
        ADOPTION = "adoption", "Feature-adoption nudge"
        PAYMENT = "payment", "Payment recovery"
        UPSELL = "upsell", "Upsell to annual"
        OTHER = "other", "Other"

    class Offer(models.TextChoices):
        NONE = "", "No offer"
        FREE_MONTH = "free_month", "A free month"

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(blank=True)
    # {"bands": [...], "min_probability", "max_probability", "plans": [...], "min_mrr",
    #  "signals": {name: {"min": x, "max": y}}}; see revenue/campaigns/rules.py
    trigger = models.JSONField(default=dict)
    steps = models.JSONField(default=list)  # [{"template": key, "day": n}], day 0 = entry
    offer = models.CharField(max_length=12, choices=Offer.choices, default="", blank=True)
    holdout_percent = models.PositiveSmallIntegerField(default=10)
    reentry_days = models.PositiveIntegerField(default=90)  # before the same person may re-enter
    measure_days = models.PositiveIntegerField(default=30)  # retained = not churned within this
    daily_limit = models.PositiveIntegerField(default=200)  # people taken in per day at most
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]
        permissions = [("manage_campaign", "Can create, change and run retention campaigns")]

    def __str__(self) -> str:
        return self.name


class CampaignEnrollment(models.Model):
    """A person a campaign took in on a day: treated (sent the sequence) or held out."""

    class Group(models.TextChoices):
        TREATED = "treated", "Treated"
        HOLDOUT = "holdout", "Holdout"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="enrollments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    group = models.CharField(max_length=8, choices=Group.choices)
    probability = models.FloatField(null=True, blank=True)  # the risk on entry
    band = models.CharField(max_length=8, blank=True)
    mrr = models.BigIntegerField(default=0)  # minor units of the headline currency, on entry
    plan_code = models.CharField(max_length=64, blank=True)
    steps_sent = models.PositiveSmallIntegerField(default=0)
    next_step_at = models.DateTimeField(null=True, blank=True)
    offer_applied = models.BooleanField(default=False)
    retained = models.BooleanField(null=True, blank=True)  # None until measure_days have passed
    measured_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-day", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "person", "day"], name="campaign_entry_once"
            )
        ]
        indexes = [
            models.Index(fields=["person", "-day"], name="campaign_entry_person"),
            models.Index(fields=["campaign", "group", "retained"], name="campaign_entry_outcome"),
            models.Index(fields=["next_step_at"], name="campaign_entry_due"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.campaign_id} ({self.group}, {self.day})"


class CampaignSend(models.Model):
    """One step of a campaign sent to a treated person (once: the key is unique)."""

    enrollment = models.ForeignKey(
        CampaignEnrollment, on_delete=models.CASCADE, related_name="sends"
    )
    key = models.CharField(max_length=120, unique=True)  # "<enrollment>:<step index>"
    step = models.PositiveSmallIntegerField()
    template = models.CharField(max_length=100)
    email_id = models.BigIntegerField(null=True, blank=True)  # the message in messaging
    sent_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["sent_at"]
        indexes = [models.Index(fields=["sent_at"], name="campaign_send_time")]

    def __str__(self) -> str:
        return self.key
