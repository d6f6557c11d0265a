"""Reads of tickets."""

from opsroom.support.models import Ticket


def tickets_open_count() -> int:
    """Tickets not yet solved or closed."""
    return Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).count()
