"""The model cards: what each learned component is, how it was trained, how it scored beside
its rule baseline, and whether it is in use. Every role reads them; admins switch models."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.core.errors import DomainError
from opsroom.core.ml.selectors import model_artifact_get, model_artifact_list, model_summaries
from opsroom.core.ml.services import model_artifact_activate, model_artifact_deactivate
from opsroom.core.models import ModelArtifact
from opsroom.core.services.audit import AuditContext

# Scalar metrics the card shows beside the baseline, in this order, with whether higher is better.
METRICS = [
    ("accuracy", "Accuracy", True),
    ("macro_f1", "Macro-F1", True),
    ("ece", "Expected calibration error", False),
    ("roc_auc", "ROC AUC", True),
    ("top_decile_lift", "Top-decile lift", True),
    ("brier", "Brier score", False),
    ("base_rate", "Base rate", None),
    ("coverage", "Coverage at the threshold", True),
    ("precision", "Precision at the threshold", True),
]
FULL_MATRIX_MAX_LABELS = 20
TOP_CONFUSIONS = 15


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _metric_rows(artifact: ModelArtifact) -> list[dict[str, Any]]:
    rows = []
    for key, label, higher_is_better in METRICS:
        value, baseline = artifact.metrics.get(key), artifact.baseline_metrics.get(key)
        if not isinstance(value, int | float) and not isinstance(baseline, int | float):
            continue
        better = None
        if (
            isinstance(value, int | float)
            and isinstance(baseline, int | float)
            and higher_is_better is not None
            and value != baseline
        ):
            better = (value > baseline) == higher_is_better
        rows.append(
            {
                "key": key,
                "label": label,
                "value": value,
                "baseline": baseline,
                "better": better,
                "primary": key == artifact.primary_metric,
            }
        )
    return rows


def _confusions(metrics: dict[str, Any]) -> dict[str, Any] | None:
    labels, matrix = metrics.get("labels"), metrics.get("confusion")
    if not isinstance(labels, list) or not isinstance(matrix, list) or not labels:
        return None
    if len(labels) <= FULL_MATRIX_MAX_LABELS:
        return {"full": True, "labels": labels, "rows": list(zip(labels, matrix, strict=False))}
    pairs = [
        {"true": labels[i], "predicted": labels[j], "count": count}
        for i, row in enumerate(matrix)
        for j, count in enumerate(row)
        if i != j and count
    ]
    pairs.sort(key=lambda pair: -pair["count"])
    return {"full": False, "labels": labels, "pairs": pairs[:TOP_CONFUSIONS]}


@require_GET
@permission_required("core.view_modelartifact", raise_exception=True)
def model_list(request: HttpRequest) -> HttpResponse:
    """Every learned component, its versions and the one in use."""
    return render(
        request,
        "core/ml/model_list.html",
        {"summaries": model_summaries(), "artifacts": model_artifact_list()},
    )


@require_GET
@permission_required("core.view_modelartifact", raise_exception=True)
def model_detail(request: HttpRequest, artifact_id: int) -> HttpResponse:
    """The model card of one version."""
    artifact = model_artifact_get(artifact_id=artifact_id)
    metrics = artifact.metrics
    threshold = metrics.get("threshold")
    return render(
        request,
        "core/ml/model_detail.html",
        {
            "artifact": artifact,
            "metric_rows": _metric_rows(artifact),
            "per_class": metrics.get("per_class") or [],
            "confusions": _confusions(metrics),
            "calibration": metrics.get("reliability") or metrics.get("calibration") or [],
            "baseline_calibration": artifact.baseline_metrics.get("reliability") or [],
            "threshold": threshold if isinstance(threshold, dict) else None,
            "versions": model_artifact_list(name=artifact.name),
            "form": ReasonForm(),
        },
    )


@require_POST
@permission_required("core.manage_models", raise_exception=True)
def model_activate(request: HttpRequest, artifact_id: int) -> HttpResponse:
    artifact = model_artifact_get(artifact_id=artifact_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The reason is too long (500 characters at most).")
        return redirect(artifact)
    try:
        model_artifact_activate(
            artifact=artifact,
            audit=AuditContext.from_request(request),
            force_reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(artifact)
    messages.success(request, f"{artifact} is now in use.")
    return redirect(artifact)


@require_POST
@permission_required("core.manage_models", raise_exception=True)
def model_deactivate(request: HttpRequest, artifact_id: int) -> HttpResponse:
    artifact = model_artifact_get(artifact_id=artifact_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The reason is too long (500 characters at most).")
        return redirect(artifact)
    try:
        model_artifact_deactivate(
            artifact=artifact,
            audit=AuditContext.from_request(request),
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(artifact)
    messages.success(request, f"{artifact} is no longer used; its rules are in use.")
    return redirect(artifact)
