"""The session-replay link of a ticket's related resources: when its requester has recorded
API requests, links to the data-flow tracer for them and to the request inspector for the
latest one."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.urls import reverse

from opsroom.people.models import Person
from opsroom.telemetry.selectors import api_requests_for_person

# The tracer's longest look-back but one: a week covers what led up to most tickets.
TRACE_DAYS = 7


@dataclass(frozen=True)
class SessionTrace:
    trace_url: str
    request_url: str
    method: str
    path: str
    status: int
    occurred_at: datetime
    days: int = TRACE_DAYS


def session_trace_for_person(*, person: Person, now: datetime) -> SessionTrace | None:
    """Links to a person's trace and latest request, or None when nothing was recorded in
    the last week."""
    latest = api_requests_for_person(
        person_id=person.pk, since=now - timedelta(days=TRACE_DAYS), limit=1
    )
    if not latest:
        return None
    request = latest[0]
    query = urlencode({"person": person.external_id, "days": TRACE_DAYS})
    return SessionTrace(
        trace_url=f"{reverse('analytics:trace')}?{query}",
        request_url=reverse("telemetry:request_detail", args=[request.pk]),
        method=request.method,
        path=request.path,
        status=request.status,
        occurred_at=request.occurred_at,
    )
