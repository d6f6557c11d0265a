from django.conf import settings
from django.db import models

from opsroom.core import clock
from opsroom.people.models import Person


class EmailTemplate(models.Model):
    """A reusable email; subject and body are Django templates rendered with the person."""

    class Category(models.TextChoices):
        TRANSACTIONAL = "transactional", "Transactional"
        LIFECYCLE = "lifecycle", "Lifecycle"
        DUNNING = "dunning", "Dunning"
        SUPPORT = "support", "Support"
        MARKETING = "marketing", "Marketing"

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=Category.choices)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EmailSequence(models.Model):
    """A timed series of emails, e.g. onboarding or dunning.

    `steps` is a list of {"template": key, "delay_days": int}, delays counted from enrolment.
    """

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    steps = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SequenceEnrollment(models.Model):
    """A person's place in a sequence."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        EXITED = "exited", "Exited"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="enrollments")
    sequence = models.ForeignKey(
        EmailSequence, on_delete=models.CASCADE, related_name="enrollments"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    steps_sent = models.PositiveSmallIntegerField(default=0)
    enrolled_at = models.DateTimeField(default=clock.now)
    next_step_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "sequence"],
                condition=models.Q(status="active"),
                name="enrollment_one_active",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_step_at"], name="enrollment_due"),
            models.Index(fields=["person", "-enrolled_at"], name="enrollment_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.sequence_id} ({self.status})"


class EmailMessage(models.Model):
    """One email to a person, and what happened to it after sending."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        # Handed to the mail server by a worker that has not recorded the answer (yet).
        SENDING = "sending", "Sending (unconfirmed)"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Clicked"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        FAILED = "failed", "Failed to send"

    # Status ranks: a later tracking event never moves a message back (opened -> delivered).
    STATUS_RANK = {
        "queued": 0, "sending": 1, "failed": 1, "sent": 2, "delivered": 3, "opened": 4,
        "clicked": 5, "bounced": 6, "complained": 7,
    }  # fmt: skip

    provider_message_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    to_email = models.CharField(max_length=254)
    template = models.ForeignKey(
        EmailTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    sequence = models.ForeignKey(
        EmailSequence, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    subject = models.CharField(max_length=300)
    body_text = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "-created_at"], name="email_person_time"),
            models.Index(fields=["status", "created_at"], name="email_status_time"),
            models.Index(fields=["template", "created_at"], name="email_template_time"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.to_email}"
