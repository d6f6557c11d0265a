"""The customer's rating page, reached from the signed link in the solving email."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.middleware import public
from opsroom.support.csat import csat_ticket_id
from opsroom.support.models import Ticket
from opsroom.support.services.tickets import ticket_rate


@public
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """Five buttons, then thanks (rating again replaces the rating)."""
    ticket = Ticket.objects.filter(pk=csat_ticket_id(token=token)).first()
    if ticket is None:
        raise NotFound("This ticket no longer exists.")
    if request.method == "POST":
        score = request.POST.get("score", "")
        if score not in {"1", "2", "3", "4", "5"}:
            raise InvalidInput("A rating is a whole number from 1 to 5.")
        ticket_rate(
            ticket=ticket, rating=int(score), comment=request.POST.get("comment", "")[:2000]
        )
        return render(request, "support/rate.html", {"ticket": ticket, "done": True})
    return render(request, "support/rate.html", {"ticket": ticket, "done": False})
