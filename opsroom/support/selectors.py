"""Reads of tickets."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet, Sum

from opsroom.core.lookups import comparison_lookup
from opsroom.support.models import Ticket, TicketMessage


def tickets_open_count() -> int:
    """Tickets not yet solved or closed."""
    return Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).count()


# Reads for one person (the People app's User 360) and person-id sets for its filters.


@dataclass(frozen=True)
class TicketSummary:
    open: int
    total: int
    resolved: int
    average_resolution_hours: float | None
    last_ticket: Ticket | None


def ticket_summary_for_person(*, person_id: int) -> TicketSummary:
    """Open and total tickets, average time to resolution and the latest ticket of a person."""
    tickets = Ticket.objects.filter(requester_id=person_id)
    counts = tickets.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=Ticket.OPEN_STATUSES)),
        resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        resolution=Sum(F("resolved_at") - F("created_at"), filter=Q(resolved_at__isnull=False)),
    )
    resolution = counts["resolution"]
    return TicketSummary(
        open=counts["open"],
        total=counts["total"],
        resolved=counts["resolved"],
        average_resolution_hours=resolution.total_seconds() / 3600 / counts["resolved"]
        if resolution is not None and counts["resolved"]
        else None,
        last_ticket=tickets.order_by("-created_at", "-id").first() if counts["total"] else None,
    )


def tickets_for_person(
    *, person_id: int, before: datetime | None = None, limit: int = 20
) -> list[Ticket]:
    """A person's tickets, newest first."""
    tickets = Ticket.objects.filter(requester_id=person_id)
    if before is not None:
        tickets = tickets.filter(created_at__lte=before)
    return list(tickets.order_by("-created_at", "-id")[:limit])


def ticket_requester_id(*, ticket_id: int) -> int | None:
    """The person who opened a ticket, by ticket number."""
    return Ticket.objects.filter(pk=ticket_id).values_list("requester_id", flat=True).first()


def person_ids_with_open_tickets() -> QuerySet[Ticket, int]:
    """Ids of people with a ticket not yet solved or closed."""
    return Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).values_list(
        "requester_id", flat=True
    )


def person_ids_by_ticket_count(
    *, op: str, count: int, since: datetime | None = None, open_only: bool = False
) -> QuerySet[Ticket, int]:
    """Ids of people whose ticket count (since a time, or open ones) compares to a number.

    People without tickets are not listed; callers add them when the comparison holds for 0.
    """
    lookup = comparison_lookup(op)
    tickets = Ticket.objects.all()
    if since is not None:
        tickets = tickets.filter(created_at__gte=since)
    if open_only:
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    return (
        tickets.values("requester_id")
        .annotate(n=Count("id"))
        .filter(**{f"n__{lookup}": count})
        .values_list("requester_id", flat=True)
    )


def ticket_counts_by_person(
    *, since: datetime, person_ids: Sequence[int] | None = None, at: datetime | None = None
) -> dict[int, tuple[int, int]]:
    """Per person (everyone, or the ones given): tickets opened since a time, and open now (or,
    with `at`, opened before it and not resolved by then)."""
    if at is None:
        recent = Q(created_at__gte=since)
        still_open = Q(status__in=Ticket.OPEN_STATUSES)
        tickets = Ticket.objects.filter(recent | still_open)
    else:
        recent = Q(created_at__gte=since, created_at__lt=at)
        # Resolved after `at`, or not resolved at all (a closed ticket without a resolution
        # time counts as resolved, when is unknown).
        unresolved = Q(resolved_at__isnull=True, status__in=Ticket.OPEN_STATUSES)
        still_open = Q(created_at__lt=at) & (unresolved | Q(resolved_at__gte=at))
        tickets = Ticket.objects.filter(created_at__lt=at).filter(recent | still_open)
    if person_ids is not None:
        tickets = tickets.filter(requester_id__in=person_ids)
    rows = tickets.values("requester_id").annotate(
        recent=Count("id", filter=recent), open=Count("id", filter=still_open)
    )
    return {row["requester_id"]: (row["recent"], row["open"]) for row in rows}


def open_ticket_counts_for_people(*, person_ids: Sequence[int]) -> dict[int, int]:
    """Open tickets per person, for a list of people."""
    rows = (
        Ticket.objects.filter(requester_id__in=person_ids, status__in=Ticket.OPEN_STATUSES)
        .values("requester_id")
        .annotate(n=Count("id"))
    )
    return {row["requester_id"]: row["n"] for row in rows}


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
