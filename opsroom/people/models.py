import unicodedata
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from opsroom.core import clock


def search_normalize(text: str) -> str:
    """Lower case, accents removed, whitespace collapsed: the form search compares."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.lower().split())


def person_search_text(*, email: str, name: str, external_id: str) -> str:
    """The normalized text a person is found by (email, name and user id)."""
    return search_normalize(f"{email} {name} {external_id}")


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
    # Email, name and external id, normalized (see search_normalize); indexed for contains-search
    # by a trigram index (SQLite FTS5 or PostgreSQL pg_trgm, see migration 0003).
    search_text = models.TextField(blank=True, default="", editable=False)
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = person_search_text(
            email=self.email, name=self.name, external_id=self.external_id
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"email", "name", "external_id"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"/people/{self.pk}/"

    @property
    def display_name(self) -> str:
        return self.name or self.email or f"user {self.external_id}"


class Event(models.Model):
    """A product event: something a person did in the host app."""

    # No index of its own: event_person_time (person, -occurred_at) serves person lookups.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="events", db_index=False
    )
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

    # No index of its own: the unique (person, day, name) index serves person lookups.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="activity", db_index=False
    )
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


class ImpersonationGrant(models.Model):
    """A time-limited permission for one staff user to sign in to the host app as a person.

    Opsroom issues a signed token for it (see docs/impersonation.md); the host app verifies the
    token and redeems it once through the API, which is audited. Revoking ends it early.
    """

    token_id = models.CharField(max_length=40, unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="impersonations")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="impersonation_person"),
            models.Index(fields=["staff", "-created_at"], name="impersonation_staff"),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} as {self.person_id} until {self.expires_at:%H:%M}"

    def state(self, now: datetime) -> str:
        """active, revoked or expired at a time."""
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "active"


class Touch(models.Model):
    """A marketing touch before (or at) a person's signup: the channel, campaign and page
    that brought them, as the host app sent it in the person's `touches`. Attribution reads
    the first and the last touch up to the signup."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="touches", db_index=False
    )
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=64)
    campaign = models.CharField(max_length=128, blank=True)
    landing_page = models.CharField(max_length=300, blank=True)  # e.g. /blog/picky-eaters
    referrer = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "occurred_at", "channel", "campaign"], name="touch_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.channel}/{self.campaign} @ {self.occurred_at:%Y-%m-%d}"
