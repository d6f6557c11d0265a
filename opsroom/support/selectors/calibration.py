"""Reads for calibrating the triage rules' confidences: the labels (was the rule right on each
reviewed ticket?), the calibrated confidence of a new answer, and each field's status.

Which tickets are labels (a *reviewed* ticket):
- it has an analysis made while it was being worked (analysed no later than it was solved);
- it is solved or closed, and an agent worked it (a message written by a staff user, or a
  correction of its analysis);
- tickets no agent touched (auto-resolved, imported history never worked here) are not labels.

On a reviewed ticket, each of the three answers is right or wrong:
- an agent's correction of that field (the latest) says what is right: the answer was right
  only if the correction names the same value (a correction may confirm);
- for severity, without a correction, an agent's change of the ticket's priority (the latest
  `ticket.update` by a staff user in the audit log, not triage's own `ticket.triage_priority`
  nor imported priorities) says what the severity should have been;
- otherwise the agent saw the answer and left it: it counts as right.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet

from opsroom.core.ml.selectors import model_active_load, model_artifact_list
from opsroom.core.ml.serialization import ArtifactUnreadable
from opsroom.core.models import AuditEntry, ModelArtifact
from opsroom.support.ml.confidence import (
    FIELD_LABELS,
    FIELDS,
    MIN_LABELS,
    MODEL_NAMES,
    ConfidenceCalibrator,
    Field,
    RuleOutcome,
)
from opsroom.support.models import AnalysisCorrection, Ticket, TicketAnalysis, TicketMessage


def _reviewed_analyses() -> QuerySet[TicketAnalysis]:
    worked = Exists(
        TicketMessage.objects.filter(
            ticket_id=OuterRef("ticket_id"),
            author_kind=TicketMessage.Author.AGENT,
            author_user__isnull=False,
        )
    ) | Exists(AnalysisCorrection.objects.filter(ticket_id=OuterRef("ticket_id")))
    return TicketAnalysis.objects.filter(
        worked,
        ticket__status__in=(Ticket.Status.SOLVED, Ticket.Status.CLOSED),
        ticket__resolved_at__isnull=False,
        analysed_at__lte=F("ticket__resolved_at"),
    )


def triage_reviewed_count() -> int:
    """How many tickets are labels for the triage rules' calibration now."""
    return _reviewed_analyses().count()


def rule_strength(*, analysis: TicketAnalysis, field: Field) -> float:
    """The rule's own strength behind an answer (analyses from before calibration stored it as
    the confidence)."""
    stored = (analysis.signals or {}).get("confidence", {})
    entry = stored.get(field) if isinstance(stored, dict) else None
    if isinstance(entry, dict) and isinstance(entry.get("rule"), int | float):
        return float(entry["rule"])
    confidence = {
        "severity": analysis.severity_confidence,
        "feature": analysis.feature_confidence,
        "is_blocking": analysis.blocking_confidence,
    }[field]
    return float(confidence)


def _answer(analysis: TicketAnalysis, field: Field) -> str:
    if field == "is_blocking":
        return "true" if analysis.is_blocking else "false"
    return str(getattr(analysis, field)).strip().lower()


def _latest_corrections(ticket_ids: list[int]) -> dict[tuple[int, str], str]:
    latest: dict[tuple[int, str], str] = {}
    rows = (
        AnalysisCorrection.objects.filter(ticket_id__in=ticket_ids, field__in=FIELDS)
        .order_by("corrected_at", "id")
        .values_list("ticket_id", "field", "corrected")
    )
    for ticket_id, field, corrected in rows.iterator(chunk_size=2000):
        latest[(ticket_id, field)] = corrected.strip().lower()
    return latest


def _agent_priorities(ticket_ids: Iterable[int]) -> dict[int, str]:
    """The priority an agent last set on each ticket, from the audit log."""
    wanted = {str(ticket_id) for ticket_id in ticket_ids}
    latest: dict[int, str] = {}
    entries = (
        AuditEntry.objects.filter(
            action="ticket.update",
            target_type=Ticket._meta.label_lower,
            actor__isnull=False,
        )
        .order_by("occurred_at", "id")
        .values_list("target_id", "params")
    )
    for target_id, params in entries.iterator(chunk_size=2000):
        if target_id not in wanted or not isinstance(params, dict):
            continue
        before, after = params.get("from") or {}, params.get("to") or {}
        if not isinstance(after, dict) or "priority" not in after:
            continue
        if not isinstance(before, dict) or before.get("priority") != after["priority"]:
            latest[int(target_id)] = str(after["priority"]).lower()
    return latest


def triage_rule_outcomes() -> dict[Field, list[RuleOutcome]]:
    """For each field, every reviewed ticket's answer: its rule strength, whether it was right
    (see the module docstring) and when the ticket arrived, oldest first."""
    analyses = list(
        _reviewed_analyses()
        .select_related("ticket")
        .only(
            "ticket__created_at",
            "severity",
            "severity_confidence",
            "feature",
            "feature_confidence",
            "is_blocking",
            "blocking_confidence",
            "signals",
        )
        .order_by("ticket__created_at", "ticket_id")
    )
    ids = [a.ticket_id for a in analyses]
    corrections = _latest_corrections(ids)
    priorities = _agent_priorities(ids)
    outcomes: dict[Field, list[RuleOutcome]] = {field: [] for field in FIELDS}
    for analysis in analyses:
        for field in FIELDS:
            truth = corrections.get((analysis.ticket_id, field))
            if truth is None and field == "severity":
                truth = priorities.get(analysis.ticket_id)
            answer = _answer(analysis, field)
            outcomes[field].append(
                RuleOutcome(
                    strength=rule_strength(analysis=analysis, field=field),
                    is_right=truth is None or truth == answer,
                    at=analysis.ticket.created_at,
                )
            )
    return outcomes


@dataclass(frozen=True)
class CalibratedConfidence:
    """The confidence shown for one answer, and where it came from."""

    value: float
    rule: float  # the rule's own strength
    source: str  # "calibrated" or "rule"
    version: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "source": self.source, "version": self.version}


def triage_confidence(*, field: Field, strength: float) -> CalibratedConfidence:
    """The active calibration's probability for a rule answer of this strength, or the rule
    strength itself while no calibration is in use (or the stored one cannot be read)."""
    try:
        loaded = model_active_load(name=MODEL_NAMES[field])
    except ArtifactUnreadable:
        loaded = None
    if loaded is not None and isinstance(loaded.model, ConfidenceCalibrator):
        return CalibratedConfidence(
            value=loaded.model.confidence(strength),
            rule=strength,
            source="calibrated",
            version=loaded.version,
        )
    return CalibratedConfidence(value=strength, rule=strength, source="rule", version=None)


@dataclass(frozen=True)
class FieldCalibration:
    """One field's calibration for the model page: the version in use and the latest one."""

    field: Field
    label: str
    name: str
    active: ModelArtifact | None
    latest: ModelArtifact | None

    @property
    def shown(self) -> ModelArtifact | None:
        return self.active or self.latest

    @property
    def uses_rules(self) -> bool:
        return self.active is None


@dataclass(frozen=True)
class CalibrationOverview:
    fields: list[FieldCalibration]
    reviewed: int  # tickets that are labels now
    min_labels: int


def triage_calibration_overview() -> CalibrationOverview:
    """Each triage field's calibration (in use, latest) and how many labels there are now."""
    versions = model_artifact_list().filter(name__in=MODEL_NAMES.values())
    by_name: dict[str, list[ModelArtifact]] = {}
    for artifact in versions:
        by_name.setdefault(artifact.name, []).append(artifact)
    fields = []
    for field in FIELDS:
        found = by_name.get(MODEL_NAMES[field], [])
        fields.append(
            FieldCalibration(
                field=field,
                label=FIELD_LABELS[field],
                name=MODEL_NAMES[field],
                active=next((a for a in found if a.is_active), None),
                latest=found[0] if found else None,
            )
        )
    return CalibrationOverview(
        fields=fields, reviewed=triage_reviewed_count(), min_labels=MIN_LABELS
    )


def tickets_answered_by_external_id(*, external_ids: Iterable[str]) -> QuerySet[Ticket]:
    """Solved or closed tickets (of these host ids) that an assigned agent answered, oldest
    first, with their requesters and assignees."""
    return (
        Ticket.objects.filter(
            external_id__in=list(external_ids),
            status__in=(Ticket.Status.SOLVED, Ticket.Status.CLOSED),
            assignee__isnull=False,
            first_response_at__isnull=False,
        )
        .select_related("requester", "assignee")
        .order_by("created_at", "external_id")
    )


def analysis_confidences(*, analysis: TicketAnalysis) -> dict[Field, CalibratedConfidence]:
    """Where each stored confidence of an analysis came from (analyses from before calibration
    hold rule strengths)."""
    stored = (analysis.signals or {}).get("confidence", {})
    values = {
        "severity": analysis.severity_confidence,
        "feature": analysis.feature_confidence,
        "is_blocking": analysis.blocking_confidence,
    }
    result: dict[Field, CalibratedConfidence] = {}
    for field in FIELDS:
        entry = stored.get(field) if isinstance(stored, dict) else None
        entry = entry if isinstance(entry, dict) else {}
        version = entry.get("version")
        result[field] = CalibratedConfidence(
            value=float(values[field]),
            rule=rule_strength(analysis=analysis, field=field),
            source="calibrated" if entry.get("source") == "calibrated" else "rule",
            version=version if isinstance(version, int) else None,
        )
    return result
