from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from opsroom.core import clock


class Tag(models.Model):
    """A label staff put on people, e.g. 'beta-tester'."""

    name = models.CharField(max_length=50, unique=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A user of the host app."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        BANNED = "banned", "Banned"
        DELETED = "deleted", "Deleted"

    external_id = models.CharField(max_length=128, unique=True)
    email = models.CharField(max_length=254, blank=True)
    name = models.CharField(max_length=200, blank=True)
    signed_up_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    acquisition_channel = models.CharField(max_length=64, blank=True)
    is_vip = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # App-specific profile data, e.g. {"kids": [{"name": "Emma", "age": 5}]}.
    attributes = models.JSONField(default=dict, blank=True)
    # Created by data that named the person before the person record itself arrived.
    is_placeholder = models.BooleanField(default=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="people")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "people"
        permissions = [
            ("impersonate_person", "Can impersonate a person (safe login)"),
            ("email_person", "Can send email to a person"),
            ("bulk_act_on_people", "Can run bulk actions on a set of people"),
            ("export_people", "Can export people as CSV"),
        ]
        indexes = [
            models.Index(fields=["email"], name="person_email"),
            models.Index(Lower("name"), name="person_name_lower"),
            models.Index(fields=["signed_up_at"], name="person_signed_up"),
            models.Index(fields=["last_seen_at"], name="person_last_seen"),
            models.Index(fields=["status", "last_seen_at"], name="person_status_seen"),
            models.Index(fields=["is_vip"], name="person_vip", condition=models.Q(is_vip=True)),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id

    def get_absolute_url(self) -> str:
        return f"/people/{self.pk}/"

    @property
    def display_name(self) -> str:
        return self.name or self.email or f"user {self.external_id}"


class Event(models.Model):
    """A product event: something a person did in the host app."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    properties = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=32, default="api")
    # Sent by the host app, or derived from the event's content when it sends none.
    idempotency_key = models.CharField(max_length=128, unique=True)
    received_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="event_person_time"),
            models.Index(fields=["name", "occurred_at"], name="event_name_time"),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class ActivityDaily(models.Model):
    """How many times a person did one thing on one day (UTC), kept by the event write path."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="activity")
    day = models.DateField()
    name = models.CharField(max_length=100)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily activity"
        constraints = [
            models.UniqueConstraint(fields=["person", "day", "name"], name="activity_once"),
        ]
        indexes = [
            models.Index(fields=["day", "name"], name="activity_day_name"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day} {self.name}={self.count}"


class Note(models.Model):
    """A note a staff member wrote about a person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    is_pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "-created_at"], name="note_person_time")]

    def __str__(self) -> str:
        return f"Note on {self.person_id} by {self.author_id}"
