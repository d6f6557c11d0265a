"""A ticket's related resources: the session-replay links for its requester."""

from typing import Any

from django.http import HttpRequest
from ninja import Status

from opsroom.core import clock
from opsroom.core.auth import staff_or_key
from opsroom.core.schemas import ErrorOut
from opsroom.support.api.access import _ticket, router
from opsroom.support.schemas import SessionTraceOut
from opsroom.support.selectors.session_trace import session_trace_for_person


@router.get(
    "/support/tickets/{ticket_id}/session-trace",
    response={200: SessionTraceOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_session_trace",
    summary="A ticket's session-replay links",
)
def tickets_session_trace(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """Links to the tracer for the requester's last 7 days and to the inspector for their
    latest recorded request; has_trace is false (and the rest null) when none was recorded."""
    ticket = _ticket(ticket_id)
    trace = session_trace_for_person(person=ticket.requester, now=clock.now())
    if trace is None:
        return Status(
            200,
            SessionTraceOut(
                ticket_id=ticket.pk,
                has_trace=False,
                trace_url=None,
                request_url=None,
                method=None,
                path=None,
                status=None,
                occurred_at=None,
            ),
        )
    return Status(
        200,
        SessionTraceOut(
            ticket_id=ticket.pk,
            has_trace=True,
            trace_url=trace.trace_url,
            request_url=trace.request_url,
            method=trace.method,
            path=trace.path,
            status=trace.status,
            occurred_at=trace.occurred_at,
        ),
    )
