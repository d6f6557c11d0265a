"""How well each response template does: how often a sent reply used it, how many of those
tickets stayed solved (no customer message after the reply, and solved or closed now), and
their customers' mean rating."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max

from opsroom.core import clock
from opsroom.support.models import ReplySuggestion, ResponseTemplate, Ticket, TicketMessage

# The variables a template may use; customer_variables fills them.
TEMPLATE_VARIABLES = {
    "first_name": "the customer's first name (or “there”)",
    "name": "the customer's full name",
    "plan": "their plan",
    "card": "their card, e.g. “Visa ending 4242”",
    "error": "their most frequent error this week",
    "error_count": "how often they hit it",
    "next_charge": "the next charge, e.g. “$9.99 on March 3”",
    "ticket_number": "the ticket's number",
    "agent_name": "the agent's name",
}
VARIABLE = re.compile(r"\{([a-z_]+)\}")
WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class TemplateFigures:
    template: ResponseTemplate
    sent: int  # replies sent from drafts built on it, in the window
    stayed_solved: int
    csat: float | None
    csat_count: int

    @property
    def success_rate(self) -> float | None:
        """Share of the tickets it answered that stayed solved."""
        return self.stayed_solved / self.sent if self.sent else None


def template_figures(*, now: datetime | None = None) -> list[TemplateFigures]:
    """Every template with its results over the last year, most sent first."""
    since = (now or clock.now()) - WINDOW
    templates = list(ResponseTemplate.objects.all())
    sent_by: dict[int, list[tuple[int, datetime]]] = {t.pk: [] for t in templates}
    decided = ReplySuggestion.objects.filter(
        decided_at__gte=since,
        outcome__in=(ReplySuggestion.Outcome.USED, ReplySuggestion.Outcome.EDITED),
        sent_message__isnull=False,
    ).values_list("ticket_id", "sources", "sent_message__created_at")
    for ticket_id, sources, sent_at in decided.iterator(chunk_size=2000):
        for source in sources or []:
            if source.get("kind") == "template" and source.get("used"):
                sent_by.setdefault(int(source["id"]), []).append((ticket_id, sent_at))
    ticket_ids = {ticket_id for uses in sent_by.values() for ticket_id, _at in uses}
    tickets = {
        pk: (status, rating)
        for pk, status, rating in Ticket.objects.filter(pk__in=ticket_ids).values_list(
            "pk", "status", "satisfaction_rating"
        )
    }
    last_customer = dict(
        TicketMessage.objects.filter(
            ticket_id__in=ticket_ids, author_kind=TicketMessage.Author.CUSTOMER
        )
        .values("ticket_id")
        .annotate(at=Max("created_at"))
        .values_list("ticket_id", "at")
    )
    figures = []
    for template in templates:
        uses = sent_by.get(template.pk, [])
        stayed = 0
        ratings = []
        for ticket_id, sent_at in uses:
            status, rating = tickets.get(ticket_id, ("", None))
            came_back = (last_customer.get(ticket_id) or sent_at) > sent_at
            if status in (Ticket.Status.SOLVED, Ticket.Status.CLOSED) and not came_back:
                stayed += 1
            if rating is not None:
                ratings.append(rating)
        figures.append(
            TemplateFigures(
                template=template,
                sent=len(uses),
                stayed_solved=stayed,
                csat=sum(ratings) / len(ratings) if ratings else None,
                csat_count=len(ratings),
            )
        )
    return sorted(figures, key=lambda f: (-f.sent, f.template.key))
