"""A ticket's analysis and its corrections, similar tickets, the suggested reply and the
auto-resolution dry run."""

from typing import Any

from django.http import HttpRequest
from ninja import Status

from opsroom.core.auth import staff_or_key
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.schemas import ErrorOut
from opsroom.core.services.audit import AuditContext
from opsroom.people.snapshot import person_snapshot_get
from opsroom.support.api.access import (
    ERRORS,
    MAX_ID,
    REPLY_PERMISSIONS,
    WRITE,
    _require,
    _staff,
    _ticket,
    router,
)
from opsroom.support.models import (
    ReplySuggestion,
    TicketAnalysis,
)
from opsroom.support.schemas import (
    AlternativeOut,
    AnalysisOut,
    AutomationDecisionOut,
    ConfidenceSourceOut,
    CorrectionIn,
    CorrectionOut,
    DecisionIn,
    SimilarListOut,
    SuggestionOut,
)
from opsroom.support.selectors.automations import automation_decide
from opsroom.support.selectors.calibration import CalibratedConfidence, analysis_confidences
from opsroom.support.selectors.similar import SimilarTicket, tickets_similar_to
from opsroom.support.services.analysis import analysis_correct
from opsroom.support.services.replies import (
    reply_suggestion_decide,
    reply_suggestion_draft,
)


def _source_out(confidence: CalibratedConfidence) -> ConfidenceSourceOut:
    return ConfidenceSourceOut(
        source="calibrated" if confidence.source == "calibrated" else "rule",
        version=confidence.version,
        rule_strength=confidence.rule,
    )


@router.get(
    "/support/tickets/{ticket_id}/analysis",
    response={200: AnalysisOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_analysis",
    summary="A ticket's analysis",
)
def tickets_analysis(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """What triage made of a ticket: category, severity, feature and impact, each with its
    confidence (calibrated on reviewed tickets once there are enough, else the rule's
    strength; each says which). 404 until triage has run (seconds after the ticket arrived)."""
    ticket = _ticket(ticket_id)
    analysis = TicketAnalysis.objects.filter(ticket=ticket).first()
    if analysis is None:
        raise NotFound(f"Ticket #{ticket_id} has not been analysed yet; try again in a moment.")
    sources = analysis_confidences(analysis=analysis)
    return Status(
        200,
        AnalysisOut(
            ticket_id=ticket.pk,
            category=analysis.category,
            category_confidence=analysis.category_confidence,
            category_is_confident=analysis.category_is_confident,
            alternatives=[
                AlternativeOut(category=c, confidence=p) for c, p in analysis.alternatives
            ],
            source=analysis.source,
            model_version=analysis.model_version,
            severity=analysis.severity,
            severity_confidence=analysis.severity_confidence,
            severity_confidence_source=_source_out(sources["severity"]),
            feature=analysis.feature,
            feature_confidence=analysis.feature_confidence,
            feature_confidence_source=_source_out(sources["feature"]),
            is_blocking=analysis.is_blocking,
            blocking_confidence=analysis.blocking_confidence,
            blocking_confidence_source=_source_out(sources["is_blocking"]),
            signals=analysis.signals,
            analysed_at=analysis.analysed_at,
        ),
    )


@router.post(
    "/support/tickets/{ticket_id}/analysis/corrections",
    response={201: CorrectionOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_analysis_correct",
    summary="Correct a ticket's analysis",
)
def tickets_analysis_correct(
    request: HttpRequest, ticket_id: int, data: CorrectionIn
) -> Status[Any]:
    """Correct one field; kept as a training label (a category becomes the ticket's)."""
    _require(request, ["support.change_ticket"])
    correction = analysis_correct(
        ticket=_ticket(ticket_id),
        field=data.field,
        value=data.value,
        audit=AuditContext.from_request(request),
    )
    return Status(
        201,
        CorrectionOut(
            id=correction.pk,
            field=correction.field,
            predicted=correction.predicted,
            corrected=correction.corrected,
        ),
    )


def _similar_out(s: SimilarTicket) -> dict[str, Any]:
    return {
        "ticket_id": s.ticket_id,
        "subject": s.subject,
        "status": s.status,
        "category": s.category,
        "similarity": s.similarity,
        "created_at": s.created_at,
        "resolved_at": s.resolved_at,
        "resolution_hours": s.resolution_hours,
        "resolution": s.resolution,
    }


@router.get(
    "/support/tickets/{ticket_id}/similar",
    response={200: SimilarListOut, 400: ErrorOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_similar",
    summary="Similar tickets",
)
def tickets_similar(request: HttpRequest, ticket_id: int, limit: int = 5) -> Status[Any]:
    """Past resolved tickets most like this one (with how each was resolved and how long it
    took), and open ones that may be duplicates."""
    if not 1 <= limit <= 20:
        raise InvalidInput("limit is between 1 and 20.")
    found = tickets_similar_to(ticket=_ticket(ticket_id), limit=limit)
    return Status(
        200,
        {
            "resolved": [_similar_out(s) for s in found.resolved],
            "duplicates": [_similar_out(s) for s in found.duplicates],
        },
    )


def _suggestion_out(s: ReplySuggestion) -> SuggestionOut:
    return SuggestionOut(
        id=s.pk,
        ticket_id=s.ticket_id,
        body=s.body,
        sources=s.sources,
        method=s.method,
        outcome=s.outcome,
        created_at=s.created_at,
    )


@router.get(
    "/support/tickets/{ticket_id}/suggested-reply",
    response={200: SuggestionOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_suggestion",
    summary="The suggested reply",
)
def tickets_suggestion(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """The latest undecided suggested reply (drafted by triage, or on request)."""
    ticket = _ticket(ticket_id)
    found = (
        ReplySuggestion.objects.filter(ticket=ticket, outcome=ReplySuggestion.Outcome.PENDING)
        .order_by("-created_at", "-id")
        .first()
    )
    if found is None:
        raise NotFound(f"Ticket #{ticket_id} has no undecided suggestion; POST to draft one.")
    return Status(200, _suggestion_out(found))


@router.post(
    "/support/tickets/{ticket_id}/suggested-reply",
    response={201: SuggestionOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_suggestion_draft",
    summary="Draft a suggested reply",
)
def tickets_suggestion_draft(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """Draft a new suggested reply from similar resolved tickets and templates."""
    _require(request, ["support.add_ticketmessage"])
    user = _staff(request)
    found = reply_suggestion_draft(
        ticket=_ticket(ticket_id), agent_name=user.get_full_name() if user else ""
    )
    return Status(201, _suggestion_out(found))


@router.post(
    "/support/tickets/{ticket_id}/suggested-reply/{suggestion_id}/decision",
    response={200: SuggestionOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_suggestion_decide",
    summary="Use, edit or reject a suggested reply",
)
def tickets_suggestion_decide(
    request: HttpRequest, ticket_id: int, suggestion_id: int, data: DecisionIn
) -> Status[Any]:
    """'use' sends it (with `body` when edited) and may set the status; 'reject' records it."""
    _require(request, REPLY_PERMISSIONS if data.outcome == "use" else ["support.add_ticketmessage"])
    ticket = _ticket(ticket_id)
    found = (
        ReplySuggestion.objects.filter(pk=suggestion_id, ticket=ticket).first()
        if 0 < suggestion_id <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound(f"No suggestion {suggestion_id} on ticket #{ticket_id}.")
    reply_suggestion_decide(
        suggestion=found,
        outcome=data.outcome,
        audit=AuditContext.from_request(request),
        body=data.body,
        status=data.status,
    )
    found.refresh_from_db()
    return Status(200, _suggestion_out(found))


@router.get(
    "/support/tickets/{ticket_id}/automation",
    response={200: AutomationDecisionOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_automation",
    summary="Auto-resolution decision (dry run)",
)
def tickets_automation(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """Which automation would handle the ticket, its mode, and whether every eligibility
    check passes (with the reasons when not). Nothing is done."""
    ticket = _ticket(ticket_id)
    analysis = TicketAnalysis.objects.filter(ticket=ticket).first()
    decision = automation_decide(
        ticket=ticket, analysis=analysis, snapshot=person_snapshot_get(person=ticket.requester)
    )
    return Status(
        200,
        AutomationDecisionOut(
            ticket_id=ticket.pk,
            intent=decision.intent,
            mode=decision.mode,
            eligible=decision.eligible,
            would_act=decision.acts,
            reasons=decision.reasons,
            event=decision.event,
            via=decision.via,
        ),
    )
