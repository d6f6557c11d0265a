from django.db import models

from opsroom.core import clock
from opsroom.core.models import ApiKey
from opsroom.people.models import Person


class ErrorEvent(models.Model):
    """One occurrence of an error (a Sentry event). `fingerprint` groups occurrences of one bug."""

    class Level(models.TextChoices):
        DEBUG = "debug", "Debug"
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"
        FATAL = "fatal", "Fatal"

    event_id = models.CharField(max_length=128, unique=True)
    fingerprint = models.CharField(max_length=200)
    issue_id = models.CharField(max_length=128, blank=True)  # the provider's issue id
    title = models.CharField(max_length=500)
    message = models.TextField(blank=True)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.ERROR)
    endpoint = models.CharField(max_length=200, blank=True)
    release = models.CharField(max_length=100, blank=True)
    environment = models.CharField(max_length=64, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="errors"
    )
    occurred_at = models.DateTimeField()
    tags = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="error_person_time"),
            models.Index(fields=["fingerprint", "occurred_at"], name="error_fingerprint_time"),
            models.Index(fields=["endpoint", "occurred_at"], name="error_endpoint_time"),
            models.Index(fields=["occurred_at"], name="error_time"),
        ]

    def __str__(self) -> str:
        return self.title


class ApiRequest(models.Model):
    """One API call the host app served, with redacted and truncated payloads."""

    request_id = models.CharField(max_length=128, unique=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="api_requests"
    )
    method = models.CharField(max_length=8)
    route = models.CharField(max_length=200)  # the route pattern, e.g. /api/recipes/{id}
    path = models.CharField(max_length=500, blank=True)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    query_count = models.PositiveIntegerField(null=True, blank=True)
    db_time_ms = models.FloatField(null=True, blank=True)
    external_time_ms = models.FloatField(null=True, blank=True)  # calls to other services
    action = models.CharField(max_length=100, blank=True)  # the user action or screen behind it
    # Per-query spans the host app sent ({"fp", "sql", "ms"}, telemetry/spans.py), and the most
    # queries sharing one fingerprint (None: no spans sent), for the N+1 rule.
    spans = models.JSONField(default=list, blank=True)
    repeated_queries = models.PositiveIntegerField(null=True, blank=True)
    repeated_fingerprint = models.CharField(max_length=64, blank=True)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    release = models.CharField(max_length=100, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=clock.now)

    class Meta:
        permissions = [("replay_apirequest", "Can replay a recorded request against staging")]
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="apireq_person_time"),
            models.Index(fields=["route", "occurred_at"], name="apireq_route_time"),
            models.Index(fields=["occurred_at"], name="apireq_time"),
            models.Index(fields=["action", "occurred_at"], name="apireq_action_time"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.status}"

    @property
    def other_time_ms(self) -> float | None:
        """The time neither in the database nor in external calls (None: no split sent)."""
        if self.db_time_ms is None and self.external_time_ms is None:
            return None
        spent = (self.db_time_ms or 0.0) + (self.external_time_ms or 0.0)
        return max(self.duration_ms - spent, 0.0)


class IntegrationDelivery(models.Model):
    """One delivery that reached Opsroom (a webhook call, an import), and what became of it."""

    class Outcome(models.TextChoices):
        PROCESSED = "processed", "Processed"
        DUPLICATE = "duplicate", "Duplicate (already processed)"
        IGNORED = "ignored", "Ignored (type not handled)"
        STALE = "stale", "Stale (older than the state held)"
        REJECTED = "rejected", "Rejected (not signed, or too large)"
        FAILED = "failed", "Failed (signed, but could not be applied)"

    source = models.CharField(max_length=32)  # stripe, sentry, email, api, import
    event_type = models.CharField(max_length=100, blank=True)
    external_id = models.CharField(max_length=128, blank=True)
    received_at = models.DateTimeField(default=clock.now)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)  # redacted and truncated
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    processing_ms = models.FloatField(null=True, blank=True)
    # The API key behind a delivery sent through the API (batch ingest); null for webhooks.
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "integration deliveries"
        indexes = [
            models.Index(fields=["source", "-received_at"], name="delivery_source_time"),
            models.Index(fields=["source", "external_id"], name="delivery_source_extid"),
            models.Index(fields=["outcome", "-received_at"], name="delivery_outcome_time"),
            models.Index(fields=["person", "-received_at"], name="delivery_person_time"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.event_type} {self.outcome}"


class RequestReplay(models.Model):
    """A recorded request sent again to the staging base URL, and what came back."""

    api_request = models.ForeignKey(ApiRequest, on_delete=models.CASCADE, related_name="replays")
    url = models.CharField(max_length=800)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # redacted and truncated
    error = models.TextField(blank=True)
    replayed_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"replay of {self.api_request_id}: {self.status or self.error[:40]}"


class AiUsage(models.Model):
    """One call the host app made to an AI model: tokens and what it cost, by its usage id."""

    usage_id = models.CharField(max_length=128, unique=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="ai_usage"
    )
    occurred_at = models.DateTimeField()
    endpoint = models.CharField(max_length=200, blank=True)  # the host app's route
    feature = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_micros = models.BigIntegerField()  # millionths of `currency`
    currency = models.CharField(max_length=3, default="usd")
    received_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "AI usage record"
        indexes = [
            models.Index(fields=["occurred_at"], name="aiusage_time"),
            models.Index(fields=["endpoint", "occurred_at"], name="aiusage_endpoint_time"),
            models.Index(fields=["person", "-occurred_at"], name="aiusage_person_time"),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.endpoint or self.feature} {self.cost_micros / 1e6:.6f}"
