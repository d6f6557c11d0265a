"""The search box on every page: suggestions as you type, and Enter to jump to the person."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from opsroom.people.models import Person
from opsroom.user360.selectors.search import people_search

SUGGESTIONS = 8


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Up to eight people matching the box (a ticket number finds its requester)."""
    query = request.GET.get("q", "").strip()
    hits = people_search(query=query, limit=SUGGESTIONS) if query else []
    people = Person.objects.in_bulk([hit.person_id for hit in hits])
    rows = [
        {"person": people[hit.person_id], "reason": hit.reason}
        for hit in hits
        if hit.person_id in people
    ]
    return render(
        request, "user360/partials/_suggestions.html", {"rows": rows, "query": query[:100]}
    )


@require_GET
def go(request: HttpRequest) -> HttpResponse:
    """Enter in the search box: the person when the match is certain, else the People list."""
    query = request.GET.get("q", "").strip()
    if not query:
        return redirect("people:index")
    hits = people_search(query=query, limit=2)
    first = hits[0] if hits else None
    certain = first is not None and (
        len(hits) == 1
        or first.reason.startswith("ticket")
        or first.reason == "user id"
        or Person.objects.filter(pk=first.person_id, email__iexact=query).exists()
    )
    if first is not None and certain:
        anchor = "?kind=ticket#timeline" if first.reason.startswith("ticket") else ""
        return redirect(f"/people/{first.person_id}/{anchor}")
    return redirect(f"/people/?{urlencode({'q': query})}")
