from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models

from opsroom.core import clock


class User(AbstractUser):
    """A member of the operator's staff. Their role is the group they belong to."""

    class Meta:
        permissions = [
            ("manage_staff", "Can create staff users and change their roles"),
            ("manage_api_keys", "Can create and revoke API keys"),
            ("view_jobs", "Can see background job runs"),
        ]

    @property
    def role_names(self) -> list[str]:
        return sorted(group.name for group in self.groups.all())


class ApiKey(models.Model):
    """A machine credential. Only a hash of the secret is stored."""

    class Scope(models.TextChoices):
        INGEST = "ingest", "Ingest (write data)"
        READ = "read", "Read"
        ADMIN = "admin", "Admin (everything)"

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return self.is_active and (scope in self.scopes or self.Scope.ADMIN in self.scopes)


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Every ORM path that changes or removes rows refuses: update, delete and their internals
    (`_update` behind `save()` and `bulk_update`, `_raw_delete` behind cascades)."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the audit log is append-only")

    def _update(self, values: Any) -> Any:
        raise PermissionError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")

    def _raw_delete(self, using: Any) -> int:
        raise PermissionError("the audit log is append-only")


class AuditEntry(models.Model):
    """One action that changed data or touched a customer. Rows are never changed or deleted.

    Database triggers (core migrations 0002 and 0003) refuse UPDATE and DELETE on SQLite and
    PostgreSQL; the model, its managers (`objects`, `_base_manager`) and querysets refuse both.
    """

    occurred_at = models.DateTimeField(default=clock.now)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who did it, as text that outlives renames: "jane", "api key ab12cd34", "system".
    actor_label = models.CharField(max_length=150)
    # The effective identity when it differs from the actor, e.g. an impersonated person.
    acting_as = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "audit entries"
        # Django's internal paths (related objects, cascades) use the base manager: make it ours.
        base_manager_name = "objects"
        indexes = [
            models.Index(fields=["-occurred_at"], name="audit_time"),
            models.Index(fields=["action", "-occurred_at"], name="audit_action_time"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time"),
            models.Index(fields=["target_type", "target_id", "-occurred_at"], name="audit_target"),
            models.Index(fields=["ip", "-occurred_at"], name="audit_ip_time"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")


class ScheduleSlot(models.Model):
    """A periodic job's time slot, claimed once: two schedulers cannot enqueue it twice."""

    job = models.CharField(max_length=100)
    slot_at = models.DateTimeField()
    claimed_at = models.DateTimeField(default=clock.now)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-slot_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot_at"], name="schedule_slot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot_at:%Y-%m-%d %H:%M}"


# Primary metrics of the model store where a lower score is the better one.
LOWER_IS_BETTER = frozenset({"ece", "brier", "log_loss", "mape", "mae", "rmse"})


class ModelArtifact(models.Model):
    """One trained version of a learned component, with how it was trained and how it scored.

    `artifact` holds the fitted object serialized by `opsroom.core.ml.serialization` (joblib);
    only Opsroom's own training code writes it and only this database is read back (the trust
    boundary is explained there). At most one version per name is active.
    """

    name = models.CharField(max_length=100)  # "support.triage.category", "revenue.churn"
    version = models.PositiveIntegerField()
    method = models.CharField(max_length=200, blank=True)
    artifact = models.BinaryField()
    artifact_sha256 = models.CharField(max_length=64)
    artifact_size = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField(default=clock.now)
    train_seconds = models.FloatField(null=True, blank=True)
    train_rows = models.PositiveIntegerField(default=0)
    test_rows = models.PositiveIntegerField(default=0)
    data_start = models.DateTimeField(null=True, blank=True)
    data_end = models.DateTimeField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    baseline_metrics = models.JSONField(default=dict, blank=True)
    # The metric compared against the rule baseline's to decide whether the model may be used.
    primary_metric = models.CharField(max_length=50, default="accuracy")
    is_active = models.BooleanField(default=False)
    # Why the version is active or not, in a sentence the model card shows.
    decision = models.TextField(blank=True)
    is_forced = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "-version"]
        permissions = [("manage_models", "Can activate and deactivate learned models")]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="model_name_version"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(is_active=True), name="model_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def get_absolute_url(self) -> str:
        return f"/models/{self.pk}/"

    @property
    def primary_score(self) -> float | None:
        value = self.metrics.get(self.primary_metric)
        return float(value) if isinstance(value, int | float) else None

    @property
    def baseline_score(self) -> float | None:
        value = self.baseline_metrics.get(self.primary_metric)
        return float(value) if isinstance(value, int | float) else None

    @property
    def beats_baseline(self) -> bool:
        """Strictly better than the rule baseline on the held-out data, by the primary metric
        (lower is better for errors such as the expected calibration error)."""
        score, baseline = self.primary_score, self.baseline_score
        if score is None:
            return False
        if baseline is None:
            return True
        return score < baseline if self.primary_metric in LOWER_IS_BETTER else score > baseline


class OutboxEntry(models.Model):
    """A side effect to perform after commit (an email, a Stripe call, a webhook), and its fate.

    The row is written in the transaction that decided the side effect; a task performs it
    after commit, outside any transaction (see opsroom/core/outbox/).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"  # an error that retrying cannot fix
        DEAD = "dead", "Gave up"  # errors until the last allowed attempt
        CANCELED = "canceled", "Canceled"

    kind = models.CharField(max_length=64)
    # What the performer needs: ids and parameters, never credentials. Shown redacted.
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    # When a task was last queued for this entry; the sweep re-queues entries left waiting.
    enqueued_at = models.DateTimeField(default=clock.now)
    # While running: the claim's token and when the claim lapses (a worker killed mid-flight).
    claim_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    outcome = models.JSONField(default=dict, blank=True)
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    # Who caused it, kept to audit the outcome in their name.
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    actor_ip = models.GenericIPAddressField(null=True, blank=True)
    actor_user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "outbox entries"
        permissions = [("manage_outbox", "Can retry and cancel side effects in the outbox")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["-created_at"], name="outbox_time"),
            models.Index(fields=["kind", "-created_at"], name="outbox_kind_time"),
            models.Index(fields=["target_type", "target_id", "-created_at"], name="outbox_target"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_retryable(self) -> bool:
        # A pending entry may be retried too: now, instead of after its backoff.
        return self.status in (
            self.Status.PENDING,
            self.Status.FAILED,
            self.Status.DEAD,
            self.Status.CANCELED,
        )

    @property
    def is_cancelable(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.FAILED, self.Status.DEAD)
