"""Escalations to engineering and known issues."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema, Status

from opsroom.core.auth import staff_or_key
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.schemas import ErrorOut, Text
from opsroom.core.services.audit import AuditContext
from opsroom.support.api.access import ERRORS, MAX_ID, WRITE, _require, _ticket, router
from opsroom.support.models import Escalation, KnownIssue
from opsroom.support.services.escalations import (
    escalation_resolve,
    known_issue_mark,
    ticket_escalate,
)


class EscalationIn(Schema):
    note: Text = Field(..., max_length=5000, description="what engineering should know")
    fingerprint: Text = Field(
        "", max_length=200, description="the error to attach; empty: the matching one"
    )


class EscalationOut(Schema):
    id: int
    ticket_id: int
    status: str
    note: str
    fingerprint: str
    context: dict[str, Any]
    notified: list[str]
    created_at: datetime
    resolved_at: datetime | None


class KnownIssueIn(Schema):
    fingerprint: Text = Field(..., max_length=200)
    title: Text = Field(..., max_length=200)
    workaround: Text = Field("", max_length=5000)
    link: Text = Field("", max_length=500)
    status: str = Field("investigating", description="investigating, fixing or fixed")


class KnownIssueOut(Schema):
    fingerprint: str
    title: str
    status: str
    workaround: str
    link: str
    created_at: datetime
    updated_at: datetime
    fixed_at: datetime | None


def _escalation_out(e: Escalation) -> EscalationOut:
    return EscalationOut(
        id=e.pk,
        ticket_id=e.ticket_id,
        status=e.status,
        note=e.note,
        fingerprint=e.fingerprint,
        context=e.context,
        notified=list(e.notified),
        created_at=e.created_at,
        resolved_at=e.resolved_at,
    )


def _known_out(k: KnownIssue) -> KnownIssueOut:
    return KnownIssueOut(
        fingerprint=k.fingerprint,
        title=k.title,
        status=k.status,
        workaround=k.workaround,
        link=k.link,
        created_at=k.created_at,
        updated_at=k.updated_at,
        fixed_at=k.fixed_at,
    )


@router.post(
    "/support/tickets/{ticket_id}/escalations",
    response={201: EscalationOut, **ERRORS},
    auth=WRITE,
    operation_id="support_ticket_escalate",
    summary="Escalate a ticket to engineering",
)
def escalate(request: HttpRequest, ticket_id: int, data: EscalationIn) -> Status[Any]:
    """Hand the ticket to engineering with its error context (emailed to
    OPSROOM_ENGINEERING_EMAILS); 409 while it has an open escalation."""
    _require(request, ["support.escalate_ticket"])
    escalation = ticket_escalate(
        ticket=_ticket(ticket_id),
        note=data.note,
        fingerprint=data.fingerprint,
        audit=AuditContext.from_request(request),
    )
    return Status(201, _escalation_out(escalation))


@router.get(
    "/support/escalations",
    response={200: list[EscalationOut], 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_escalations_list",
    summary="Escalations to engineering",
)
def escalations_list(request: HttpRequest, status: str = "open") -> Status[Any]:
    """Escalations with a status (open, resolved), newest first (at most 500)."""
    if status not in Escalation.Status.values:
        raise InvalidInput(f"status is one of {', '.join(Escalation.Status.values)}.")
    rows = Escalation.objects.filter(status=status).order_by("-created_at", "-id")[:500]
    return Status(200, [_escalation_out(e) for e in rows])


@router.post(
    "/support/escalations/{escalation_id}/resolve",
    response={200: EscalationOut, **ERRORS},
    auth=WRITE,
    operation_id="support_escalation_resolve",
    summary="Resolve an escalation",
)
def escalation_resolve_endpoint(request: HttpRequest, escalation_id: int) -> Status[Any]:
    """Engineering answered: close the escalation; 409 when already resolved."""
    _require(request, ["support.escalate_ticket"])
    escalation = (
        Escalation.objects.filter(pk=escalation_id).first() if 0 < escalation_id <= MAX_ID else None
    )
    if escalation is None:
        raise NotFound(f"No escalation {escalation_id}.")
    escalation_resolve(escalation=escalation, audit=AuditContext.from_request(request))
    return Status(200, _escalation_out(escalation))


@router.get(
    "/support/known-issues",
    response=list[KnownIssueOut],
    auth=staff_or_key("read"),
    operation_id="support_known_issues_list",
    summary="Errors marked as known issues",
)
def known_issues_list(request: HttpRequest) -> list[KnownIssueOut]:
    """Every known issue, most recently changed first."""
    return [_known_out(k) for k in KnownIssue.objects.all()[:1000]]


@router.put(
    "/support/known-issues",
    response={200: KnownIssueOut, **ERRORS},
    auth=WRITE,
    operation_id="support_known_issue_mark",
    summary="Mark an error as a known issue (or change it)",
)
def known_issue_put(request: HttpRequest, data: KnownIssueIn) -> Status[Any]:
    """Mark the fingerprint as a known issue, or change the one marked (status `fixed` records
    when)."""
    _require(request, ["support.manage_known_issues"])
    issue = known_issue_mark(audit=AuditContext.from_request(request), **data.dict())
    return Status(200, _known_out(issue))
