"""Tickets against errors: each recent ticket with the error groups its requester hit in the
hours before it (the other way round is on each error group's page)."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_needed
from opsroom.support.selectors import tickets_created_since
from opsroom.telemetry.series import errors_of_people

BEFORE = timedelta(hours=48)
TICKETS_SHOWN = 100
DAYS = (1, 7, 14, 30)


@require_GET
@permissions_needed("analytics.view_errorspread")
def tickets_errors(request: HttpRequest) -> HttpResponse:
    """Recent tickets, each with the errors its requester hit in the 48 hours before it."""
    days_text = request.GET.get("days", "14")
    if days_text not in {str(d) for d in DAYS}:
        raise InvalidInput(f"days is one of {', '.join(str(d) for d in DAYS)}.")
    only_errors = request.GET.get("only") == "errors"
    now = clock.now()
    _, tickets = tickets_created_since(since=now - timedelta(days=int(days_text)), limit=500)
    people = {t.requester_id for t in tickets if t.requester_id}
    earliest = min((t.created_at for t in tickets), default=now) - BEFORE
    errors = errors_of_people(person_ids=sorted(people), since=earliest, until=now)
    rows = []
    for ticket in tickets:
        groups: dict[str, dict[str, object]] = {}
        for person_id, fingerprint, title, endpoint, at in errors:
            if person_id != ticket.requester_id or not (
                ticket.created_at - BEFORE <= at <= ticket.created_at
            ):
                continue
            group = groups.setdefault(
                fingerprint,
                {"fingerprint": fingerprint, "title": title, "endpoint": endpoint, "n": 0},
            )
            group["n"] = int(group["n"]) + 1  # type: ignore[call-overload]
            group["last"] = at
        if groups or not only_errors:
            rows.append((ticket, list(groups.values())))
    with_errors = sum(1 for _, groups in rows if groups)
    return render(
        request,
        "analytics/tickets_errors.html",
        {
            "rows": rows[:TICKETS_SHOWN],
            "days": int(days_text),
            "day_choices": DAYS,
            "only_errors": only_errors,
            "with_errors": with_errors,
            "total": len(tickets),
            "hours": int(BEFORE.total_seconds() // 3600),
        },
    )
