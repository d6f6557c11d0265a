"""How well the automations did on real tickets: the share of tickets they resolved with no
human, and the precision of those resolutions, judged by what the customer did afterwards (a
resolution is wrong when the ticket was reopened, by a customer reply or an agent's Reopen, or
was rated 1 or 2). Works on any database: it reads only the recorded runs and tickets."""

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef

from opsroom.support.models import AutomationRun, Ticket, TicketMessage

NEGATIVE_RATING = 2  # a rating at or below this says the answer did not help


@dataclass(frozen=True)
class AutomationEvaluation:
    tickets: int  # tickets opened in the window
    auto_resolved: int  # of those, resolved by an automation
    reopened: int  # auto-resolved, then reopened (customer reply or an agent's Reopen)
    negative_csat: int  # auto-resolved, not reopened, but rated 1 or 2
    rated: int  # auto-resolved tickets with any rating

    @property
    def share(self) -> float | None:
        return self.auto_resolved / self.tickets if self.tickets else None

    @property
    def correct(self) -> int:
        return self.auto_resolved - self.reopened - self.negative_csat

    @property
    def precision(self) -> float | None:
        return self.correct / self.auto_resolved if self.auto_resolved else None

    @property
    def precision_lower(self) -> float | None:
        """The 95% Wilson lower bound of the precision."""
        n = self.auto_resolved
        if not n:
            return None
        z = 1.959964
        p = self.correct / n
        centre = p + z * z / (2 * n)
        margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return max(0.0, (centre - margin) / (1 + z * z / n))


def automation_evaluate(
    *, start: datetime | None = None, end: datetime | None = None
) -> AutomationEvaluation:
    """The automations' share and precision over tickets opened in [start, end)."""
    tickets = Ticket.objects.all()
    if start is not None:
        tickets = tickets.filter(created_at__gte=start)
    if end is not None:
        tickets = tickets.filter(created_at__lt=end)
    runs = AutomationRun.objects.filter(ticket__in=tickets, outcome=AutomationRun.Outcome.RESOLVED)
    customer_after = TicketMessage.objects.filter(
        ticket_id=OuterRef("ticket_id"),
        author_kind=TicketMessage.Author.CUSTOMER,
        created_at__gt=OuterRef("created_at"),
    )
    # One row per auto-resolved ticket: its first resolving run.
    first: dict[int, tuple[bool, int | None]] = {}
    rows = (
        runs.annotate(customer_replied=Exists(customer_after))
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "reopened_at", "customer_replied", "ticket__satisfaction_rating")
    )
    for ticket_id, reopened_at, replied, rating in rows:
        if ticket_id not in first:
            first[ticket_id] = (reopened_at is not None or bool(replied), rating)
    reopened = sum(1 for was_reopened, _ in first.values() if was_reopened)
    negative = sum(
        1
        for was_reopened, rating in first.values()
        if not was_reopened and rating is not None and rating <= NEGATIVE_RATING
    )
    return AutomationEvaluation(
        tickets=tickets.count(),
        auto_resolved=len(first),
        reopened=reopened,
        negative_csat=negative,
        rated=sum(1 for _, rating in first.values() if rating is not None),
    )


__all__ = ["AutomationEvaluation", "automation_evaluate"]
