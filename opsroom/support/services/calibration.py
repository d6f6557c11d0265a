"""Calibrating the triage rules' confidences on the reviewed tickets, and storing each field's
calibration in the model store (used only when it beats the rule strengths)."""

from dataclasses import dataclass

from opsroom.core.ml.services import model_artifact_save
from opsroom.core.models import ModelArtifact
from opsroom.core.services.audit import AuditContext
from opsroom.support.ml.confidence import FIELD_LABELS, Field, confidence_calibration_run
from opsroom.support.selectors.calibration import triage_rule_outcomes


@dataclass(frozen=True)
class FieldCalibrationOutcome:
    field: Field
    label: str
    labels: int  # reviewed tickets
    artifact: ModelArtifact | None  # None: too few labels, nothing was stored
    reason: str  # why nothing was stored, or the store's decision about the new version


def triage_confidences_calibrate(*, audit: AuditContext) -> list[FieldCalibrationOutcome]:
    """Calibrate severity, feature and blocking confidences on the reviewed tickets (older ones
    fit, newer ones judge) and store each as the next version of its model."""
    outcomes = []
    for field, rows in triage_rule_outcomes().items():
        training = confidence_calibration_run(field=field, outcomes=rows)
        artifact = None
        reason = training.reason
        if training.calibrator is not None and training.run is not None:
            artifact = model_artifact_save(model=training.calibrator, run=training.run, audit=audit)
            reason = artifact.decision
        outcomes.append(
            FieldCalibrationOutcome(
                field=field,
                label=FIELD_LABELS[field],
                labels=training.labels,
                artifact=artifact,
                reason=reason,
            )
        )
    return outcomes
