"""Triage of a ticket (the stored analysis) and agents' corrections of it."""

from django.conf import settings
from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.people.snapshot import person_snapshot_get
from opsroom.support.ml.features import ticket_text
from opsroom.support.models import AnalysisCorrection, Ticket, TicketAnalysis
from opsroom.support.selectors.calibration import triage_confidence
from opsroom.support.selectors.routing import queue_agent_choose, ticket_queue
from opsroom.support.selectors.tickets import ticket_category_predict
from opsroom.support.services.sla import tickets_sla_refresh
from opsroom.support.triage import priority_for_severity, priority_rank, ticket_triage_compute


def ticket_analyse(*, ticket: Ticket) -> TicketAnalysis:
    """Classify a ticket and weigh its severity, feature and impact; store the analysis; while
    no agent has taken the ticket, raise (never lower) its priority when the severity calls
    for it, and route it within its queue (selectors/routing.py), noting why."""
    prediction = ticket_category_predict(subject=ticket.subject, body=ticket.body)
    snapshot = person_snapshot_get(person=ticket.requester)
    triage = ticket_triage_compute(
        text=ticket_text(subject=ticket.subject, body=ticket.body),
        category=ticket.category or prediction.best_category,
        snapshot=snapshot,
    )
    # The rules give strengths; a calibration learnt from reviewed tickets turns each into the
    # rate at which such answers were right (the strength stays, for the next calibration).
    severity = triage_confidence(field="severity", strength=triage.severity_confidence)
    feature = triage_confidence(field="feature", strength=triage.feature.confidence)
    blocking = triage_confidence(field="is_blocking", strength=triage.blocking_confidence)
    values = {
        "category": prediction.best_category,
        "category_confidence": round(prediction.confidence, 4),
        "category_is_confident": prediction.category is not None,
        "alternatives": [[a.label, round(a.confidence, 4)] for a in prediction.alternatives],
        "source": prediction.source,
        "model_version": prediction.model_version,
        "severity": triage.severity,
        "severity_confidence": severity.value,
        "feature": triage.feature.feature[:200],
        "feature_confidence": feature.value,
        "is_blocking": triage.is_blocking,
        "blocking_confidence": blocking.value,
        "signals": {
            **triage.signals,
            "error_fingerprint": triage.feature.error_fingerprint,
            "confidence": {
                "severity": severity.as_dict(),
                "feature": feature.as_dict(),
                "is_blocking": blocking.as_dict(),
            },
        },
        "queue": ticket_queue(category=ticket.category or prediction.best_category),
        "analysed_at": clock.now(),
    }
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        analysis, _created = TicketAnalysis.objects.update_or_create(ticket=locked, defaults=values)
        wanted = priority_for_severity(triage.severity)
        untouched = locked.assignee_id is None and locked.first_response_at is None
        if untouched and locked.is_open and priority_rank(wanted) > priority_rank(locked.priority):
            before = locked.priority
            locked.priority = wanted
            locked.save(update_fields=["priority"])
            tickets_sla_refresh(tickets=[locked])  # a higher priority has shorter targets
            audit_record(
                AuditContext.system("triage"),
                action="ticket.triage_priority",
                target=locked,
                params={"from": before, "to": wanted, "severity": triage.severity},
            )
        if settings.OPSROOM_SUPPORT_ROUTING and untouched and locked.is_open:
            choice = queue_agent_choose(
                queue=analysis.queue,
                category=locked.category or analysis.category,
                feature=analysis.feature,
                at=clock.now(),
            )
            analysis.routing_note = choice.note[:300]
            analysis.save(update_fields=["routing_note"])
            agent = choice.agent
            if agent is not None:
                locked.assignee = agent
                locked.save(update_fields=["assignee"])
                audit_record(
                    AuditContext.system("routing"),
                    action="ticket.route",
                    target=locked,
                    params={"queue": analysis.queue, "assignee": agent.get_username()},
                )
        ticket.priority, ticket.assignee = locked.priority, locked.assignee
        ticket.sla_due_at, ticket.sla_target = locked.sla_due_at, locked.sla_target
    return analysis


_CHOICES = {
    AnalysisCorrection.Field.CATEGORY: {c.value for c in Ticket.Category},
    AnalysisCorrection.Field.SEVERITY: {s.value for s in TicketAnalysis.Severity},
    AnalysisCorrection.Field.BLOCKING: {"true", "false"},
}


@transaction.atomic
def analysis_correct(
    *, ticket: Ticket, field: str, value: str, audit: AuditContext
) -> AnalysisCorrection:
    """Record an agent's correction of one field of a ticket's analysis; a corrected category
    becomes the ticket's category (the label the classifier trains on)."""
    if field not in AnalysisCorrection.Field.values:
        raise InvalidInput(
            f"'{field}' cannot be corrected; one of {', '.join(AnalysisCorrection.Field.values)}."
        )
    value = value.strip()
    allowed = _CHOICES.get(AnalysisCorrection.Field(field))
    if allowed is not None and value not in allowed:
        raise InvalidInput(f"'{value[:40]}' is not a {field}; one of {', '.join(sorted(allowed))}.")
    if not value or len(value) > 200:
        raise InvalidInput("A corrected feature is 1 to 200 characters.")
    analysis = TicketAnalysis.objects.filter(ticket=ticket).first()
    predicted = ""
    if analysis is not None:
        predicted = str(getattr(analysis, field)).lower()
    correction = AnalysisCorrection.objects.create(
        ticket=ticket,
        field=field,
        predicted=predicted[:200],
        corrected=value,
        corrected_by=audit.actor,
    )
    if field == AnalysisCorrection.Field.CATEGORY and ticket.category != value:
        ticket.category = value
        ticket.updated_at = clock.now()
        ticket.save(update_fields=["category", "updated_at"])
    audit_record(
        audit,
        action="ticket.analysis_correct",
        target=ticket,
        params={"field": field, "from": predicted[:200], "to": value},
    )
    return correction
