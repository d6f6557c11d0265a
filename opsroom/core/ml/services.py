"""Writes of the model store: save a trained version, activate it (only when it beats its rule
baseline, unless an admin forces it with a reason), deactivate it, prune old versions."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from opsroom.core import clock
from opsroom.core.errors import Conflict, Forbidden, InvalidInput
from opsroom.core.ml.cache import model_cache_clear
from opsroom.core.ml.serialization import artifact_digest, artifact_dump
from opsroom.core.models import ModelArtifact
from opsroom.core.services.audit import AuditContext, audit_record

MANAGE_PERMISSION = "core.manage_models"


@dataclass(frozen=True)
class TrainingRun:
    """What a training run tells the store besides the model itself."""

    name: str
    method: str
    primary_metric: str
    metrics: dict[str, Any]
    baseline_metrics: dict[str, Any]
    train_rows: int
    test_rows: int
    data_start: datetime | None = None
    data_end: datetime | None = None
    train_seconds: float | None = None
    params: dict[str, Any] = field(default_factory=dict)


def _score_phrase(artifact: ModelArtifact) -> str:
    metric = artifact.primary_metric
    score, baseline = artifact.primary_score, artifact.baseline_score
    held_out = f"on {artifact.test_rows:,} held-out rows"
    if score is None:
        return f"it has no {metric} {held_out}"
    if baseline is None:
        return f"{metric} {score:.3f} {held_out}, with no rule baseline to compare"
    return f"{metric} {score:.3f} against the rule baseline's {baseline:.3f} {held_out}"


def _next_version(name: str) -> int:
    latest = ModelArtifact.objects.filter(name=name).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


def model_artifact_save(
    *, model: Any, run: TrainingRun, audit: AuditContext, activate: bool = True
) -> ModelArtifact:
    """Store a trained model as the next version of its name; activate it if it beats the rules."""
    if not run.name or run.primary_metric not in run.metrics:
        raise InvalidInput(
            f"A stored model needs a name and its primary metric ({run.primary_metric!r}) "
            "among its metrics."
        )
    data = artifact_dump(model)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                artifact = ModelArtifact.objects.create(
                    name=run.name,
                    version=_next_version(run.name),
                    method=run.method[:200],
                    artifact=data,
                    artifact_sha256=artifact_digest(data),
                    artifact_size=len(data),
                    train_seconds=run.train_seconds,
                    train_rows=run.train_rows,
                    test_rows=run.test_rows,
                    data_start=run.data_start,
                    data_end=run.data_end,
                    params=run.params,
                    metrics=run.metrics,
                    baseline_metrics=run.baseline_metrics,
                    primary_metric=run.primary_metric,
                )
                audit_record(
                    audit,
                    action="model.train",
                    target=artifact,
                    params={
                        "method": artifact.method,
                        artifact.primary_metric: artifact.primary_score,
                        "baseline": artifact.baseline_score,
                        "train_rows": artifact.train_rows,
                        "test_rows": artifact.test_rows,
                    },
                )
                if activate and artifact.beats_baseline:
                    _activate(artifact, audit=audit, decision=f"Active: {_score_phrase(artifact)}.")
                else:
                    artifact.decision = (
                        f"Not active: {_score_phrase(artifact)}; the rules stay in use."
                        if not artifact.beats_baseline
                        else f"Not activated when trained: {_score_phrase(artifact)}."
                    )
                    artifact.save(update_fields=["decision"])
                return artifact
        except IntegrityError:
            continue  # another run of the same name took this version number: take the next
    raise Conflict(f"Could not number a new version of {run.name}; training runs collided.")


def _activate(
    artifact: ModelArtifact, *, audit: AuditContext, decision: str, forced: bool = False
) -> None:
    now = clock.now()
    for previous in ModelArtifact.objects.filter(name=artifact.name, is_active=True).exclude(
        pk=artifact.pk
    ):
        previous.is_active = False
        previous.decision = f"Replaced by v{artifact.version} on {now:%Y-%m-%d %H:%M} UTC."
        previous.save(update_fields=["is_active", "decision"])
    artifact.is_active = True
    artifact.is_forced = forced
    artifact.activated_at = now
    artifact.activated_by = audit.actor
    artifact.decision = decision
    artifact.save(
        update_fields=["is_active", "is_forced", "activated_at", "activated_by", "decision"]
    )
    transaction.on_commit(lambda: model_cache_clear(name=artifact.name))


@transaction.atomic
def model_artifact_activate(
    *, artifact: ModelArtifact, audit: AuditContext, force_reason: str = ""
) -> ModelArtifact:
    """Make a version the one in use; one that does not beat its baseline needs a forced reason."""
    artifact = ModelArtifact.objects.select_for_update().get(pk=artifact.pk)
    if artifact.is_active:
        raise Conflict(f"{artifact} is already active.")
    force_reason = force_reason.strip()
    if artifact.beats_baseline:
        decision = f"Active: {_score_phrase(artifact)}."
        forced = False
    elif not force_reason:
        raise Conflict(
            f"{artifact} does not beat its rule baseline ({_score_phrase(artifact)}); "
            "an admin may force it with a reason."
        )
    elif audit.actor is None or not audit.actor.has_perm(MANAGE_PERMISSION):
        raise Forbidden("Only an admin who manages models may force a model into use.")
    else:
        decision = (
            f"Active, forced by {audit.label}: {force_reason[:500]} ({_score_phrase(artifact)})."
        )
        forced = True
    _activate(artifact, audit=audit, decision=decision, forced=forced)
    audit_record(
        audit,
        action="model.activate",
        target=artifact,
        params={
            "forced": forced,
            "reason": force_reason[:500],
            artifact.primary_metric: artifact.primary_score,
            "baseline": artifact.baseline_score,
        },
    )
    return artifact


@transaction.atomic
def model_artifact_deactivate(
    *, artifact: ModelArtifact, audit: AuditContext, reason: str = ""
) -> ModelArtifact:
    """Stop using a version; its component falls back to its rule baseline."""
    artifact = ModelArtifact.objects.select_for_update().get(pk=artifact.pk)
    if not artifact.is_active:
        raise Conflict(f"{artifact} is not active.")
    reason = reason.strip()[:500]
    artifact.is_active = False
    artifact.decision = (
        f"Deactivated by {audit.label} on {clock.now():%Y-%m-%d %H:%M} UTC"
        + (f": {reason}" if reason else "")
        + "; the rules are in use."
    )
    artifact.save(update_fields=["is_active", "decision"])
    audit_record(audit, action="model.deactivate", target=artifact, params={"reason": reason})
    transaction.on_commit(lambda: model_cache_clear(name=artifact.name))
    return artifact


@transaction.atomic
def model_artifacts_prune(*, name: str, keep: int, audit: AuditContext) -> int:
    """Delete all but the newest `keep` versions of a model (the active one is always kept)."""
    if keep < 1:
        raise InvalidInput("Keep at least one version.")
    kept = list(
        ModelArtifact.objects.filter(name=name)
        .order_by("-version")
        .values_list("pk", flat=True)[:keep]
    )
    stale = ModelArtifact.objects.filter(name=name, is_active=False).exclude(pk__in=kept)
    versions = sorted(stale.values_list("version", flat=True))
    if not versions:
        return 0
    stale.delete()
    audit_record(
        audit,
        action="model.prune",
        target_type="core.modelartifact",
        target_id=name,
        target_label=name,
        params={"versions": versions, "keep": keep},
    )
    return len(versions)
