"""Reads of tickets."""

from collections.abc import Sequence

from opsroom.support.models import Ticket


def tickets_open_count() -> int:
    """Tickets not yet solved or closed."""
    return Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).count()


def ticket_ids_by_external_id(*, external_ids: Sequence[str]) -> dict[str, int]:
    """Map the host help desk's ticket ids to ticket numbers."""
    rows = Ticket.objects.filter(external_id__in=set(external_ids)).values_list("external_id", "id")
    return {external_id: ticket_id for external_id, ticket_id in rows if external_id}
