"""Reads of tickets."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db.models import Count, F, Q, QuerySet, Sum

from opsroom.core.lookups import comparison_lookup
from opsroom.core.ml.embeddings import EmbeddingsUnavailable
from opsroom.core.ml.selectors import model_active_load
from opsroom.core.ml.serialization import ArtifactUnreadable
from opsroom.support.ml.features import ticket_text
from opsroom.support.ml.model import Alternative, TriageClassifier
from opsroom.support.ml.rules import category_by_rules
from opsroom.support.ml.training import MODEL_NAME as TRIAGE_MODEL_NAME
from opsroom.support.ml.training import LabelledTicket
from opsroom.support.models import Ticket, TicketMessage
from opsroom.support.sla import FIRST_REPLY, NEXT_REPLY, SOON, TARGETS

logger = logging.getLogger(__name__)


def tickets_open_count() -> int:
    """Tickets not yet solved or closed."""
    return Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).count()


# The support queue: a staff member's open tickets, the unassigned ones, the ones breaching
# an SLA target, and today's new ones (the home page of support agents). The due time is the
# one stored on the ticket (services/sla.py keeps it).

_PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


@dataclass(frozen=True)
class QueueTicket:
    ticket: Ticket  # with its requester

    @property
    def due_at(self) -> datetime | None:
        """When its nearest SLA target is due (None: off the clock)."""
        return self.ticket.sla_due_at

    @property
    def target_label(self) -> str:
        """'First reply', 'Next reply', 'Resolution', or ''."""
        return TARGETS.get(self.ticket.sla_target, "")

    def is_breaching(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at <= now


def _queue_rows(tickets: QuerySet[Ticket], limit: int) -> list[QueueTicket]:
    rows = [QueueTicket(ticket) for ticket in tickets.select_related("requester")[:limit]]
    rows.sort(
        key=lambda row: (
            row.due_at is None,
            row.due_at or row.ticket.created_at,
            _PRIORITY_ORDER.get(row.ticket.priority, 9),
        )
    )
    return rows


def _due_first(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.order_by(F("sla_due_at").asc(nulls_last=True), "created_at", "id")


def ticket_queue_for_user(*, user_id: int, limit: int = 10) -> list[QueueTicket]:
    """A staff member's open tickets, the SLA target due soonest first."""
    tickets = Ticket.objects.filter(assignee_id=user_id, status__in=Ticket.OPEN_STATUSES)
    return _queue_rows(_due_first(tickets), limit)


def ticket_queue_unassigned(*, limit: int = 10) -> list[QueueTicket]:
    """Open tickets nobody is assigned to, the SLA target due soonest first."""
    tickets = Ticket.objects.filter(assignee__isnull=True, status__in=Ticket.OPEN_STATUSES)
    return _queue_rows(_due_first(tickets), limit)


def tickets_breaching(*, now: datetime, limit: int = 10) -> tuple[int, list[QueueTicket]]:
    """Open tickets past (or within an hour of) an SLA target: how many, and the most
    overdue."""
    tickets = Ticket.objects.filter(
        sla_due_at__lte=now + SOON, status__in=Ticket.OPEN_STATUSES
    ).order_by("sla_due_at", "id")
    return tickets.count(), _queue_rows(tickets, limit)


def tickets_created_since(*, since: datetime, limit: int = 10) -> tuple[int, list[Ticket]]:
    """Tickets opened since a time: how many, and the newest, with their requesters."""
    tickets = Ticket.objects.filter(created_at__gte=since)
    newest = list(tickets.select_related("requester").order_by("-created_at", "-id")[:limit])
    return tickets.count(), newest


# Reads for one person (the People app's User 360) and person-id sets for its filters.


@dataclass(frozen=True)
class TicketSummary:
    open: int
    total: int
    resolved: int
    average_resolution_hours: float | None
    last_ticket: Ticket | None
    since: int  # opened since the time asked


def ticket_summary_for_person(*, person_id: int, since: datetime) -> TicketSummary:
    """Open and total tickets, those opened since a time, average time to resolution and the
    latest ticket of a person."""
    tickets = Ticket.objects.filter(requester_id=person_id)
    counts = tickets.aggregate(
        total=Count("id"),
        since=Count("id", filter=Q(created_at__gte=since)),
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
        since=counts["since"],
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


def tickets_for_people(
    *, person_ids: Sequence[int], since: datetime, limit: int = 100
) -> list[Ticket]:
    """Tickets some people opened since a time, newest first (with their requesters)."""
    return list(
        Ticket.objects.filter(requester_id__in=list(person_ids), created_at__gte=since)
        .select_related("requester")
        .order_by("-created_at", "-id")[:limit]
    )


# Triage: the category of a ticket, by the active model or by the rules.


def tickets_labelled_for_training() -> list[LabelledTicket]:
    """Every ticket with a category, as the text the classifier reads, oldest first."""
    rows = (
        Ticket.objects.exclude(category="")
        .order_by("created_at", "id")
        .values_list("subject", "body", "category", "created_at")
    )
    return [
        LabelledTicket(
            text=ticket_text(subject=subject, body=body), category=category, created_at=created_at
        )
        for subject, body, category, created_at in rows.iterator(chunk_size=2000)
    ]


@dataclass(frozen=True)
class CategoryPrediction:
    """A ticket's category with a calibrated confidence, and where it came from."""

    category: str | None  # sure enough for automatic action; None otherwise
    best_category: str  # the most likely category, even when not sure enough
    confidence: float
    alternatives: tuple[Alternative, ...]
    source: Literal["model", "rules"]
    model_version: int | None
    threshold: float | None


def ticket_category_predict(*, subject: str, body: str) -> CategoryPrediction:
    """The active category model's prediction for a ticket, or the keyword rules' when no model
    is in use (or the stored one cannot be used here)."""
    text = ticket_text(subject=subject, body=body)
    try:
        loaded = model_active_load(name=TRIAGE_MODEL_NAME)
        if loaded is not None and isinstance(loaded.model, TriageClassifier):
            prediction = loaded.model.predict([text])[0]
            threshold = loaded.model.threshold
            return CategoryPrediction(
                category=prediction.label,
                best_category=prediction.best_label,
                confidence=prediction.confidence,
                alternatives=prediction.alternatives,
                source="model",
                model_version=loaded.version,
                threshold=threshold.threshold if threshold is not None else None,
            )
    except (ArtifactUnreadable, EmbeddingsUnavailable) as exc:
        logger.warning("triage model unusable, using the rules: %s", exc)
    guess = category_by_rules(text)
    return CategoryPrediction(
        category=None,  # keyword rules never measure up to the automation threshold
        best_category=guess.label,
        confidence=guess.confidence,
        alternatives=(Alternative(label=guess.label, confidence=guess.confidence),),
        source="rules",
        model_version=None,
        threshold=None,
    )


def ticket_reply_due(*, ticket: Ticket) -> datetime | None:
    """When a ticket's reply (first or next) is due, from its stored SLA (None: no reply is
    on the clock, e.g. answered and nobody waiting, pending, or solved)."""
    if ticket.sla_target in (FIRST_REPLY, NEXT_REPLY):
        return ticket.sla_due_at
    return None
