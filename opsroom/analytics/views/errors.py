"""Error groups: their spread and impact, and one group on one page (people, tickets,
releases, conversion impact, failing requests)."""

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.analytics.models import ErrorImpact, ErrorSpread
from opsroom.analytics.services.impact import outcome_rows
from opsroom.core.refusals import permissions_needed
from opsroom.people.models import Person
from opsroom.support.selectors import tickets_for_people
from opsroom.support.selectors.escalations import known_issue_for_fingerprint
from opsroom.telemetry.selectors import (
    error_group_people,
    error_group_releases,
    error_group_requests,
    error_group_summary,
)

PEOPLE_SHOWN = 100


@require_GET
@permissions_needed("analytics.view_errorspread")
def error_list(request: HttpRequest) -> HttpResponse:
    """Recent error groups by how many people they reached, with their impact."""
    spreads = list(ErrorSpread.objects.order_by("-people", "-occurrences")[:100])
    impacts = {
        impact.fingerprint: impact
        for impact in ErrorImpact.objects.filter(fingerprint__in=[s.fingerprint for s in spreads])
    }
    rows = [(spread, impacts.get(spread.fingerprint)) for spread in spreads]
    return render(request, "analytics/error_list.html", {"rows": rows})


@require_GET
@permissions_needed("analytics.view_errorspread")
def error_detail(request: HttpRequest, fingerprint: str) -> HttpResponse:
    """One error group: who it reached, their tickets, the releases that brought and fixed it,
    its impact on conversion and retention, and the failing requests to replay."""
    summary = error_group_summary(fingerprint=fingerprint)
    if summary is None:
        raise Http404("No error with this fingerprint.")
    reached = error_group_people(fingerprint=fingerprint)
    people = Person.objects.in_bulk([row["person_id"] for row in reached[:PEOPLE_SHOWN]])
    first_at = {row["person_id"]: row["first_at"] for row in reached}
    since = summary["first_seen"] - timedelta(days=1)
    tickets = [
        ticket
        for ticket in tickets_for_people(person_ids=list(first_at), since=since)
        if ticket.created_at >= first_at[ticket.requester_id] - timedelta(hours=1)
    ]
    releases = error_group_releases(fingerprint=fingerprint)
    spread = ErrorSpread.objects.filter(fingerprint=fingerprint).first()
    impact = ErrorImpact.objects.filter(fingerprint=fingerprint).first()
    return render(
        request,
        "analytics/error_detail.html",
        {
            "summary": summary,
            "known_issue": known_issue_for_fingerprint(fingerprint=fingerprint),
            "people": [(people.get(row["person_id"]), row) for row in reached[:PEOPLE_SHOWN]],
            "more_people": max(len(reached) - PEOPLE_SHOWN, 0),
            "tickets": tickets,
            "releases": releases,
            "introduced_in": releases[0]["release"] if releases else "",
            "spread": spread,
            "impact": impact,
            "outcomes": outcome_rows(impact) if impact else [],
            "requests": error_group_requests(fingerprint=fingerprint),
        },
    )
