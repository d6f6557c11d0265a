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
    # When the customer was asked to rate (the solving reply's link, or the rating email).
    csat_requested_at = models.DateTimeField(null=True, blank=True)
    # How the rated ticket had been handled: auto-resolved, AI-assisted or manual.
    rated_handling = models.CharField(max_length=16, blank=True)
    # The SLA, kept by services/sla.py whenever the ticket changes: the running target due
    # first (null: off the clock) and which one it is; whether the first reply and the
    # resolution met their targets (null: not yet); the spans its clock was paused.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_target = models.CharField(max_length=16, blank=True)  # first_reply, next_reply, resolution
    sla_first_reply_met = models.BooleanField(null=True, blank=True)
    sla_resolution_met = models.BooleanField(null=True, blank=True)
    sla_pauses = models.JSONField(default=list, blank=True)  # [[start ISO, end ISO or null]]
    # The queue's order before the due time, kept with the SLA (sla.py:queue_rank): open
    # tickets by priority, on the clock first (urgent 0, 1 .. low 6, 7), then closed (8 .. 11).
    queue_rank = models.PositiveSmallIntegerField(default=5)

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
            models.Index(fields=["resolved_at"], name="ticket_resolved_time"),
            # "Solved recently": the solved and closed tickets resolved since a moment.
            models.Index(fields=["status", "resolved_at"], name="ticket_status_resolved"),
            # Covers every column the open views' counts read, so they come from the index alone.
            models.Index(fields=["status", "assignee", "sla_due_at"], name="ticket_queue_counts"),
            # "Breaching soon" and the SLA-state filter: the stored due time.
            models.Index(fields=["sla_due_at"], name="ticket_sla_due"),
            # The queue's order: its first page is the start of this index.
            models.Index(
                fields=["queue_rank", "sla_due_at", "created_at", "id"], name="ticket_queue_order"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return f"/support/tickets/{self.pk}/"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class SlaPolicy(models.Model):
    """One priority's SLA targets, in minutes, counted in business or calendar hours."""

    priority = models.CharField(max_length=16, choices=Ticket.Priority.choices, unique=True)
    first_reply_minutes = models.PositiveIntegerField()
    next_reply_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        permissions = [("manage_sla", "Can edit the SLA policies and business hours")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    first_reply_minutes__gt=0, next_reply_minutes__gt=0, resolution_minutes__gt=0
                ),
                name="slapolicy_targets_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"SLA for {self.priority}"


class BusinessHours(models.Model):
    """The support team's working hours (one row): per weekday, in one timezone."""

    timezone = models.CharField(max_length=64, default="UTC")
    # Monday first, seven entries: "09:00-17:00", or "" for a day off.
    hours = models.JSONField(default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return f"business hours ({self.timezone})"


class Holiday(models.Model):
    """A date of the business calendar on which business hours do not run."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class AgentProfile(models.Model):
    """How routing treats one staff agent: the skills they are preferred for, their own limit
    of open tickets, when they work, and whether they are away. An agent without a row has
    the defaults: no skills, the global limit, the team's business hours, available."""

    class Hours(models.TextChoices):
        TEAM = "team", "The team's business hours"
        OWN = "own", "Own working hours"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    # Skills: ticket categories (Ticket.Category values) and feature words, matched (case
    # insensitive, as a part) against the affected feature triage found.
    categories = models.JSONField(default=list, blank=True)
    features = models.JSONField(default=list, blank=True)
    open_limit = models.PositiveIntegerField(null=True, blank=True)  # null: the global limit
    hours_mode = models.CharField(max_length=8, choices=Hours.choices, default=Hours.TEAM)
    # Own hours only: an IANA timezone and seven entries, Monday first ("09:00-17:00" or "").
    timezone = models.CharField(max_length=64, blank=True)
    hours = models.JSONField(default=list, blank=True)
    is_available = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        permissions = [
            ("manage_agent_profiles", "Can edit every agent's routing profile"),
            ("set_own_availability", "Can mark themselves away or available for routing"),
        ]

    def __str__(self) -> str:
        return f"routing profile of {self.user_id}"


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


class TicketAnalysis(models.Model):
    """What triage made of a ticket: the category with its calibrated confidence, severity,
    affected feature and whether it blocks the customer (one row per ticket, redone on demand).

    The category the agent sets on the ticket is the training label; this row keeps what the
    machine said, so the two can be compared and corrections counted."""

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="analysis")
    category = models.CharField(max_length=32)  # the most likely category
    category_confidence = models.FloatField()
    # The category was above the automation threshold (the model is sure enough to act alone).
    category_is_confident = models.BooleanField(default=False)
    alternatives = models.JSONField(default=list)  # [[category, confidence], ...]
    source = models.CharField(max_length=16)  # "model" or "rules"
    model_version = models.PositiveIntegerField(null=True, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    severity_confidence = models.FloatField()
    feature = models.CharField(max_length=200, blank=True)  # "" when none could be told
    feature_confidence = models.FloatField(default=0.0)
    is_blocking = models.BooleanField(default=False)
    blocking_confidence = models.FloatField(default=0.0)
    queue = models.CharField(max_length=16, blank=True)  # billing, technical or general
    # Why routing gave the ticket to its agent, or left it unassigned ("" when it did not run).
    routing_note = models.CharField(max_length=300, blank=True)
    # Why: the words, errors and plan facts that set severity and feature (no ticket text).
    signals = models.JSONField(default=dict)
    analysed_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"analysis of #{self.ticket_id}"


class AnalysisCorrection(models.Model):
    """An agent's correction of one field of a ticket's analysis: a training label."""

    class Field(models.TextChoices):
        CATEGORY = "category", "Issue type"
        SEVERITY = "severity", "Severity"
        FEATURE = "feature", "Affected feature"
        BLOCKING = "is_blocking", "User impact"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(max_length=16, choices=Field.choices)
    predicted = models.CharField(max_length=200, blank=True)
    corrected = models.CharField(max_length=200)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["field", "corrected_at"], name="correction_field_time")]

    def __str__(self) -> str:
        return f"{self.field} of #{self.ticket_id}: {self.predicted} -> {self.corrected}"


class ResponseTemplate(models.Model):
    """A canned reply with {variables}, for one category (or any, when blank)."""

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=32, choices=Ticket.Category.choices, blank=True)
    body = models.TextField()
    is_active = models.BooleanField(default=True)
    usage_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["category", "key"]

    def __str__(self) -> str:
        return self.name


class ReplySuggestion(models.Model):
    """A reply the copilot drafted for a ticket, its sources, and what the agent did with it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Not decided"
        USED = "used", "Used as is"
        EDITED = "edited", "Edited, then used"
        REJECTED = "rejected", "Rejected"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="suggestions")
    body = models.TextField()
    # [{"kind": "ticket"|"template", "id": ..., "similarity": ...}]
    sources = models.JSONField(default=list)
    method = models.CharField(max_length=16, default="retrieval")  # "retrieval" or "llm"
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    sent_message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["outcome", "created_at"], name="suggestion_outcome_time")]

    def __str__(self) -> str:
        return f"suggestion for #{self.ticket_id} ({self.outcome})"


class Automation(models.Model):
    """How one kind of request is resolved without an agent: off, suggest only, automatic."""

    class Intent(models.TextChoices):
        PASSWORD_RESET = "password_reset", "Password reset"
        CANCELLATION = "cancellation", "Cancellation confirmation"
        INVOICE = "invoice_request", "Invoice or receipt"
        EMAIL_PREFERENCES = "email_preferences", "Email preference change"
        FEATURE_AVAILABILITY = "feature_availability", "Feature availability question"

    class Mode(models.TextChoices):
        OFF = "off", "Off"
        SUGGEST = "suggest", "Suggest only"
        AUTOMATIC = "automatic", "Automatic"

    intent = models.CharField(max_length=32, choices=Intent.choices, unique=True)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.SUGGEST)
    allow_vip = models.BooleanField(default=False)
    # The cancellation's retention offer: percent off for some months (0: no offer).
    offer_percent_off = models.PositiveSmallIntegerField(default=0)
    offer_months = models.PositiveSmallIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["intent"]
        permissions = [("manage_automations", "Can set the support automations' modes")]

    def __str__(self) -> str:
        return f"{self.get_intent_display()}: {self.get_mode_display()}"


class AutomationRun(models.Model):
    """What an automation decided for a ticket, and did: the review list's entries."""

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "Resolved automatically"
        SUGGESTED = "suggested", "Suggested to an agent"
        REFUSED = "refused", "Not eligible"
        ACTING = "acting", "Acting (waiting for Stripe)"
        FAILED = "failed", "Action failed; left to a person"

    class Via(models.TextChoices):
        NONE = "", "Reply only"
        HOST_APP = "host_app", "Host app webhook"
        STRIPE = "stripe", "Stripe"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="automation_runs")
    intent = models.CharField(max_length=32, choices=Automation.Intent.choices)
    mode = models.CharField(max_length=16, choices=Automation.Mode.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reasons = models.JSONField(default=list)  # the checks that failed, in words
    action = models.CharField(max_length=64, blank=True)  # the host-app event or Stripe call
    via = models.CharField(max_length=16, choices=Via.choices, blank=True)
    # What Stripe answered (the subscription, access end, invoices) or why the action failed;
    # "undo": the state of taking a Stripe cancellation back after a reopen.
    details = models.JSONField(default=dict, blank=True)
    message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["outcome", "created_at"], name="automationrun_outcome_time")
        ]

    def __str__(self) -> str:
        return f"{self.intent} on #{self.ticket_id}: {self.outcome}"


class RetentionOffer(models.Model):
    """A discount offered in a cancellation reply, accepted from its signed link."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted (being applied)"
        APPLIED = "applied", "Accepted and applied"
        FAILED = "failed", "Accepted; applying it failed"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="retention_offers")
    run = models.OneToOneField(
        AutomationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="offer"
    )
    requester = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    via = models.CharField(max_length=16, choices=AutomationRun.Via.choices)
    provider_subscription_id = models.CharField(max_length=128, blank=True)
    percent_off = models.PositiveSmallIntegerField()
    months = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OFFERED)
    offered_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["offered_at"], name="retentionoffer_offered")]

    def __str__(self) -> str:
        return f"{self.percent_off}% off for {self.months} months on #{self.ticket_id}"


class Article(models.Model):
    """A knowledge-base article (Markdown), suggested to customers before they file a ticket
    and to agents beside a ticket."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField()  # Markdown
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    category = models.CharField(max_length=32, choices=Ticket.Category.choices, blank=True)
    tags = models.JSONField(default=list)
    views = models.PositiveIntegerField(default=0)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    suggested_count = models.PositiveIntegerField(default=0)  # times the help form offered it
    # A draft the copilot wrote: the tickets whose answers it came from, and the topic.
    source_tickets = models.JSONField(default=list, blank=True)
    drafted_from = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class KnownIssue(models.Model):
    """An error fingerprint marked as a known bug: agents see it, and its workaround, beside
    every ticket from a person who hit it."""

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        FIXING = "fixing", "Fix in progress"
        FIXED = "fixed", "Fixed"

    fingerprint = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVESTIGATING)
    workaround = models.TextField(blank=True)  # what agents may tell customers meanwhile
    link = models.URLField(max_length=500, blank=True)  # the engineering issue
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    fixed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [("manage_known_issues", "Can mark errors as known issues")]

    def __str__(self) -> str:
        return self.title


class Escalation(models.Model):
    """A ticket handed to engineering, with the error context it needs."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations")
    fingerprint = models.CharField(max_length=200, blank=True)
    note = models.TextField()
    # The error and the person's facts at the time: error group, counts, release, endpoint,
    # plan, device, recent failing requests.
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    notified = models.JSONField(default=list)  # the addresses it was emailed to
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="escalation_status_time")]
        permissions = [("escalate_ticket", "Can escalate tickets to engineering")]

    def __str__(self) -> str:
        return f"escalation of #{self.ticket_id}"


class FeatureAccess(models.Model):
    """A feature of the host app and the plans that include it: what the feature-availability
    automation answers from ("Does Premium include the food log?")."""

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    # The words customers use for it, matched as whole words in a ticket ("food log").
    aliases = models.JSONField(default=list, blank=True)
    plans = models.JSONField(default=list, blank=True)  # plan codes; empty: every plan
    where = models.TextField(blank=True)  # how to find it, for the reply
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
