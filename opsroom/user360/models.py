"""The read side's own tables: stored health scores, their settings, saved segments."""

from django.conf import settings
from django.db import models

from opsroom.core import clock
from opsroom.people.models import Person


class HealthBand(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    AT_RISK = "at_risk", "At risk"
    CRITICAL = "critical", "Critical"
    NEW = "new", "New"  # signed up too recently to judge
    LAPSED = "lapsed", "Lapsed"  # no paid subscription and no activity in 4 weeks


class PersonHealth(models.Model):
    """A person's latest health score with its components, and their recent daily scores.

    Written only by the daily health task. `history` holds one score per day, oldest first:
    {"start": "YYYY-MM-DD", "scores": [65, 64, null, ...]} (null: not computed that day). A row
    per person per day would be tens of millions of rows a year; the page only needs a sparkline.
    """

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    score = models.PositiveSmallIntegerField()
    # The weighted score when payment trouble capped `score` (null: not capped).
    uncapped_score = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=10, choices=HealthBand.choices)
    # [{"key", "label", "score" (0-100 or null when not applicable), "weight", "figure"}]
    components = models.JSONField(default=list)
    history = models.JSONField(default=dict)
    computed_on = models.DateField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "person health"
        indexes = [
            models.Index(fields=["band", "score"], name="health_band_score"),
            models.Index(fields=["score"], name="health_score"),
            # Answers "is this person's band X?" from the index alone: the rows are wide.
            models.Index(fields=["person", "band"], name="health_person_band"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.score} ({self.band})"


class HealthConfig(models.Model):
    """How health scores are computed. One row; admins edit it on the health settings page."""

    # Component key -> weight (any positive numbers; they are normalised to sum to 1).
    weights = models.JSONField(default=dict, blank=True)
    # Event names counted as core features; empty means the 10 most widely used event names,
    # which the daily task finds and keeps in `detected_core_features`.
    core_features = models.JSONField(default=list, blank=True)
    detected_core_features = models.JSONField(default=list, blank=True)
    healthy_min = models.PositiveSmallIntegerField(default=70)
    at_risk_min = models.PositiveSmallIntegerField(default=40)
    # People who signed up fewer days ago than this are New: too little history to judge.
    new_days = models.PositiveSmallIntegerField(default=14)
    # Active days per week that count as full usage frequency.
    target_days_per_week = models.FloatField(default=3.0)
    # The events that mean "they came into the app", comma-separated: the "last login" and
    # "logins" figures count any of them.
    login_event = models.CharField(max_length=200, default="login,app_open")
    # 30-day counters on the person page: [{"event": "meal_plan_created", "label": "Meal plans"}].
    usage_counters = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "health score settings"
        verbose_name_plural = "health score settings"

    def __str__(self) -> str:
        return "Health score settings"


class HealthValidation(models.Model):
    """How well the health score foretold churn on past months, and weights fitted to it.

    Written by the weekly validation task (services/health_validation.py); the health settings
    page shows the latest. `report` is HealthReport.as_dict() (user360/health_fit.py).
    """

    computed_at = models.DateTimeField(default=clock.now)
    first_day = models.DateField()
    last_day = models.DateField()
    samples = models.PositiveIntegerField()
    report = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["-computed_at"], name="healthval_time")]

    def __str__(self) -> str:
        return f"Health validation {self.first_day} to {self.last_day}"


class Segment(models.Model):
    """A saved search: search text, a quick filter and conditions. Private unless shared."""

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people_segments",
    )
    is_shared = models.BooleanField(default=False)
    query = models.CharField(max_length=200, blank=True)
    quick = models.CharField(max_length=32, blank=True)
    # [{"field": "logins", "op": "gte", "value": 3, "days": 30}, ...]; see people/filters.py.
    conditions = models.JSONField(default=list, blank=True)
    sort = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["owner", "name"], name="segment_owner_name")]
        permissions = [("share_segment", "Can save segments shared with all staff")]

    def __str__(self) -> str:
        return self.name


class Announcement(models.Model):
    """A message to a People segment, by email and in the host app."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"

    title = models.CharField(max_length=200)  # the email's subject and the in-app heading
    body = models.TextField()
    link_url = models.URLField(max_length=500, blank=True)  # the call to action
    link_label = models.CharField(max_length=60, blank=True)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="announcements"
    )
    # The segment's query as it was sent, and its description (the segment may change later).
    audience_query = models.JSONField(default=dict, blank=True)
    audience_label = models.CharField(max_length=300, blank=True)
    by_email = models.BooleanField(default=True)
    in_app = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    audience_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # in-app: shown until then

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("send_announcement", "Can send announcements to People segments")]

    def __str__(self) -> str:
        return self.title


class AnnouncementDelivery(models.Model):
    """One person's copy of an announcement: its email and what they did in the app."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="deliveries"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="announcements")
    email_id = models.BigIntegerField(null=True, blank=True)  # messaging's EmailMessage
    email_skipped = models.CharField(max_length=200, blank=True)  # why no email went
    seen_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "person"], name="announcement_delivery_once"
            )
        ]
        indexes = [models.Index(fields=["person", "dismissed_at"], name="announcement_inbox")]

    def __str__(self) -> str:
        return f"{self.announcement_id} to {self.person_id}"
