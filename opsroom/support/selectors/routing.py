"""Routing: the queue a ticket belongs to, and the agent of that queue to give it to.

Money questions go to billing specialists; bugs and account access to the technical queue,
the rest to the general one (both served by support agents). Within a queue the ticket goes
to the agent with the fewest open tickets, ties to the one who was given a ticket longest
ago (round robin), and nobody above the per-agent limit.
"""

from django.conf import settings
from django.db.models import Count, Max, Q

from opsroom.core.models import User
from opsroom.core.roles import BILLING_SPECIALIST, SUPPORT_AGENT
from opsroom.support.models import Ticket

QUEUE_BY_CATEGORY = {
    "billing": "billing",
    "invoice_request": "billing",
    "cancellation": "billing",
    "bug": "technical",
    "account_access": "technical",
}
ROLE_BY_QUEUE = {
    "billing": BILLING_SPECIALIST,
    "technical": SUPPORT_AGENT,
    "general": SUPPORT_AGENT,
}


def ticket_queue(*, category: str) -> str:
    """billing, technical or general."""
    return QUEUE_BY_CATEGORY.get(category, "general")


def queue_agent_pick(*, queue: str) -> User | None:
    """The agent of a queue to give the next ticket to, or None when all are full."""
    limit = settings.OPSROOM_SUPPORT_AGENT_LIMIT
    agents = (
        User.objects.filter(is_active=True, is_staff=True, groups__name=ROLE_BY_QUEUE[queue])
        .annotate(
            open_tickets=Count(
                "assigned_tickets", filter=Q(assigned_tickets__status__in=Ticket.OPEN_STATUSES)
            ),
            last_given=Max("assigned_tickets__created_at"),
        )
        .filter(open_tickets__lt=limit)
    )
    ranked = sorted(
        agents,
        key=lambda a: (a.open_tickets, a.last_given is not None, a.last_given or 0, a.pk),
    )
    return ranked[0] if ranked else None
