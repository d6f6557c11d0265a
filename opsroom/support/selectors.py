"""Reads of tickets."""

from collections.abc import Sequence

from opsroom.support.models import Ticket, TicketMessage


def tickets_open_count() -> int:
    """Tickets not yet solved or closed."""
    return Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).count()


def ticket_ids_by_external_id(*, external_ids: Sequence[str]) -> dict[str, int]:
    """Map the host help desk's ticket ids to ticket numbers."""
    rows = Ticket.objects.filter(external_id__in=set(external_ids)).values_list("external_id", "id")
    return {external_id: ticket_id for external_id, ticket_id in rows if external_id}


def ticket_for_message_ids(*, message_ids: Sequence[str]) -> Ticket | None:
    """The ticket holding a message with one of these email Message-IDs (the latest one)."""
    wanted = [message_id for message_id in message_ids if message_id]
    if not wanted:
        return None
    message = (
        TicketMessage.objects.filter(channel_message_id__in=wanted)
        .select_related("ticket")
        .order_by("-created_at", "-id")
        .first()
    )
    return message.ticket if message else None


def ticket_get_by_number(*, number: int) -> Ticket | None:
    """A ticket by its number, or None."""
    return Ticket.objects.select_related("requester").filter(pk=number).first()
