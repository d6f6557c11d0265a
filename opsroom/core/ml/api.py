"""The model cards as JSON: /api/v1/models (list) and /api/v1/models/{id} (one version)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from opsroom.core.auth import staff_or_key
from opsroom.core.ml.selectors import model_artifact_get, model_artifact_list
from opsroom.core.models import ModelArtifact
from opsroom.core.schemas import ErrorOut, Text

router = Router(tags=["models"])


class ModelSummaryOut(Schema):
    id: int
    name: str
    version: int
    method: str
    trained_at: datetime
    train_rows: int
    test_rows: int
    primary_metric: str
    score: float | None = Field(description="The primary metric on the held-out rows.")
    baseline_score: float | None = Field(description="The rule baseline's, on the same rows.")
    beats_baseline: bool
    is_active: bool
    is_forced: bool


class ModelOut(ModelSummaryOut):
    train_seconds: float | None
    data_start: datetime | None
    data_end: datetime | None
    params: dict[str, Any]
    metrics: dict[str, Any]
    baseline_metrics: dict[str, Any]
    decision: str = Field(description="Why this version is in use or not.")
    activated_at: datetime | None


def _summary(artifact: ModelArtifact) -> dict[str, Any]:
    return {
        "id": artifact.pk,
        "name": artifact.name,
        "version": artifact.version,
        "method": artifact.method,
        "trained_at": artifact.trained_at,
        "train_rows": artifact.train_rows,
        "test_rows": artifact.test_rows,
        "primary_metric": artifact.primary_metric,
        "score": artifact.primary_score,
        "baseline_score": artifact.baseline_score,
        "beats_baseline": artifact.beats_baseline,
        "is_active": artifact.is_active,
        "is_forced": artifact.is_forced,
    }


@router.get(
    "/models",
    response=list[ModelSummaryOut],
    auth=staff_or_key("read"),
    operation_id="models_list",
)
def models_list(request: HttpRequest, name: Text | None = None) -> list[dict[str, Any]]:
    """Stored model versions, by name then newest first (optionally of one model name)."""
    return [_summary(artifact) for artifact in model_artifact_list(name=name)]


@router.get(
    "/models/{artifact_id}",
    response={200: ModelOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="models_get",
)
def models_get(request: HttpRequest, artifact_id: int) -> dict[str, Any]:
    """One model version's card: training, metrics beside the rule baseline, and its status."""
    artifact = model_artifact_get(artifact_id=artifact_id)
    return {
        **_summary(artifact),
        "train_seconds": artifact.train_seconds,
        "data_start": artifact.data_start,
        "data_end": artifact.data_end,
        "params": artifact.params,
        "metrics": artifact.metrics,
        "baseline_metrics": artifact.baseline_metrics,
        "decision": artifact.decision,
        "activated_at": artifact.activated_at,
    }
