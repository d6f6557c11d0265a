from django.conf import settings
from django.db import models

from opsroom.core import clock
from opsroom.people.models import Person


class Ticket(models.Model):
    """A support request from a person. Its number is its primary key."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        PENDING = "pending", "Pending (waiting on customer)"
        ON_HOLD = "on_hold", "On hold"
        SOLVED = "solved", "Solved"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Category(models.TextChoices):
        BILLING = "billing", "Billing"
        BUG = "bug", "Bug"
        HOW_TO = "how_to", "How-to question"
        FEATURE_REQUEST = "feature_request", "Feature request"
        ACCOUNT_ACCESS = "account_access", "Account access / password"
        CANCELLATION = "cancellation", "Cancellation"
        INVOICE_REQUEST = "invoice_request", "Invoice request"
        EMAIL_PREFERENCES = "email_preferences", "Email preferences"
        OTHER = "other", "Other"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEB = "web", "Web form"
        CHAT = "chat", "Chat"
        IN_APP = "in_app", "In-app"
        PHONE = "phone", "Phone"
        API = "api", "API"

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)

    external_id = models.CharField(max_length=128, unique=True, null=True, blank=True)
    requester = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tickets")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    category = models.CharField(max_length=32, choices=Category.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    satisfaction_rating = models.PositiveSmallIntegerField(null=True, blank=True)  # 1..5
    satisfaction_comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction_rating__isnull=True)
                | models.Q(satisfaction_rating__gte=1, satisfaction_rating__lte=5),
                name="ticket_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_time"),
            models.Index(fields=["status", "priority"], name="ticket_status_priority"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["category", "created_at"], name="ticket_category_time"),
            models.Index(fields=["created_at"], name="ticket_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return f"/support/tickets/{self.pk}/"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TicketMessage(models.Model):
    """A reply on a ticket, from the customer, an agent or the system."""

    class Author(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    external_id = models.CharField(max_length=128, unique=True, null=True, blank=True)
    author_kind = models.CharField(max_length=16, choices=Author.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    is_internal = models.BooleanField(default=False)
    # The email Message-ID, so replies by email can find their ticket.
    channel_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketmsg_ticket_time")]

    def __str__(self) -> str:
        return f"{self.author_kind} on #{self.ticket_id}"
