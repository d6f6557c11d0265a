from django.db import models

from opsroom.core import clock
from opsroom.people.models import Person


class FeatureFlag(models.Model):
    """A flag of the host app and the rules that decide what each person gets.

    `variants` is a list of {"key": str, "weight": int}; a boolean flag has "on" and "off".
    `rules` is an ordered list of {"attribute": str, "op": str, "value": ..., "variant": str};
    the first rule that matches decides, otherwise `rollout_percent` of people get the
    weighted variants and the rest get `default_variant`. See `experiments/evaluation.py`.
    """

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    is_enabled = models.BooleanField(default=True)
    variants = models.JSONField(default=list, blank=True)
    default_variant = models.CharField(max_length=64, default="off")
    rules = models.JSONField(default=list, blank=True)
    rollout_percent = models.PositiveSmallIntegerField(default=0)
    # Bumped by every change made in Opsroom: the host app's cache and webhooks key on it.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Experiment(models.Model):
    """An A/B test run through a flag: its variants are the flag's."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    hypothesis = models.TextField(blank=True)
    flag = models.OneToOneField(FeatureFlag, on_delete=models.PROTECT, related_name="experiment")
    control_variant = models.CharField(max_length=64, default="control")
    primary_metric = models.CharField(max_length=100, help_text="event name counted as conversion")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Exposure(models.Model):
    """The variant of a flag actually served to a person, first and last time.

    No counter: re-sent exposures must change nothing, and first/last are idempotent.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="exposures")
    flag = models.ForeignKey(FeatureFlag, on_delete=models.CASCADE, related_name="exposures")
    variant = models.CharField(max_length=64)
    first_exposed_at = models.DateTimeField()
    last_exposed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "flag", "variant"], name="exposure_once_per_variant"
            ),
        ]
        indexes = [
            models.Index(fields=["flag", "variant", "first_exposed_at"], name="exposure_flag"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.flag_id}={self.variant}"


class ExperimentResult(models.Model):
    """An experiment's per-variant sums, recomputed by a task (experiments/results.py); the
    statistics are computed from them when read.

    `variants`: [{"key", "units", "conversions", "total", "total_squares"}] where a unit is a
    person served exactly one variant, a conversion is doing the primary metric at or after the
    first exposure, and total / total_squares sum the number of such events per person.
    `daily`: [{"day": "YYYY-MM-DD", "units": {variant: n}, "conversions": {variant: n}}],
    cumulative, for the chart and the traffic rate.
    """

    experiment = models.OneToOneField(Experiment, on_delete=models.CASCADE, related_name="result")
    variants = models.JSONField(default=list)
    daily = models.JSONField(default=list)
    multiple_exposures = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"result of {self.experiment_id}"


class FlagRollout(models.Model):
    """A staged rollout of a flag (e.g. 10, 25, 50, 100%) watched by a guardrail.

    Each stage lasts `stage_minutes`; the rollout guard (analytics/rollouts.py) compares the
    error rate of people served the flag with those not served it, with a one-sided
    anytime-valid test, and rolls the flag back to 0% on a significant rise.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        ROLLED_BACK = "rolled_back", "Rolled back"
        STOPPED = "stopped", "Stopped"

    flag = models.ForeignKey(FeatureFlag, on_delete=models.CASCADE, related_name="rollouts")
    stages = models.JSONField(default=list)  # rollout percents, increasing, ending at 100
    stage_index = models.PositiveSmallIntegerField(default=0)
    stage_minutes = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    alpha = models.FloatField(default=0.05)
    started_at = models.DateTimeField(default=clock.now)
    stage_started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)  # why it stopped or rolled back
    # The guardrail's latest figures: {"exposed", "exposed_errors", "control", ...}.
    guardrail = models.JSONField(default=dict, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    started_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-started_at"]
        permissions = [("manage_rollout", "Can start, advance and stop flag rollouts")]
        constraints = [
            models.UniqueConstraint(
                fields=["flag"],
                condition=models.Q(status="running"),
                name="one_running_rollout_per_flag",
            ),
        ]
        indexes = [models.Index(fields=["status", "stage_started_at"], name="rollout_status")]

    def __str__(self) -> str:
        return f"{self.flag_id} rollout ({self.status})"

    @property
    def percent(self) -> int:
        return int(self.stages[self.stage_index]) if self.stages else 0
