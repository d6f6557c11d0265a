"""Reads of the outbox: the list with filters, one entry, counts, and a target's entries."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.registry import performer_kinds


@dataclass(frozen=True)
class OutboxFilter:
    status: str = ""
    kind: str = ""
    target_type: str = ""
    target_id: str = ""


def outbox_entry_list(*, filters: OutboxFilter) -> QuerySet[OutboxEntry]:
    """Outbox entries matching the filters, newest first."""
    entries = OutboxEntry.objects.all()
    if filters.status:
        entries = entries.filter(status=filters.status)
    if filters.kind:
        entries = entries.filter(kind=filters.kind)
    if filters.target_type:
        entries = entries.filter(target_type=filters.target_type)
    if filters.target_id:
        entries = entries.filter(target_id=filters.target_id)
    return entries.order_by("-created_at", "-id")


def outbox_entry_get(*, entry_id: int) -> OutboxEntry | None:
    """One outbox entry, or None."""
    return OutboxEntry.objects.filter(pk=entry_id).first()


def outbox_status_counts() -> dict[str, int]:
    """How many entries are in each status (every status listed, zeros included)."""
    counts = dict(
        OutboxEntry.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in OutboxEntry.Status.values}


def outbox_kinds() -> list[str]:
    """The kinds to filter by: those registered, and any still in the table."""
    seen = OutboxEntry.objects.order_by("kind").values_list("kind", flat=True).distinct()
    return sorted(set(performer_kinds()) | set(seen))


def outbox_entries_for_target(
    *, target_type: str, target_id: str, limit: int = 20
) -> list[OutboxEntry]:
    """The latest entries concerning one record (e.g. a person), newest first."""
    entries = OutboxEntry.objects.filter(target_type=target_type, target_id=target_id)
    return list(entries.order_by("-created_at", "-id")[:limit])
