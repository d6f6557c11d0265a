"""Reads of the SLA: the policies per priority, the business hours, a ticket's targets."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from opsroom.core.models import User
from opsroom.support.business_hours import Calendar, hours_format, hours_parse
from opsroom.support.models import BusinessHours, Holiday, SlaPolicy, Ticket, TicketMessage
from opsroom.support.sla import (
    DEFAULT_HOURS,
    DEFAULT_POLICIES,
    DEFAULT_TIMEZONE,
    PRIORITIES,
    Policy,
    SlaOutcome,
    TicketClock,
    pauses_load,
    sla_compute,
)


@dataclass(frozen=True)
class SlaSettings:
    policies: dict[str, Policy]  # by priority, urgent first
    calendar: Calendar
    updated_at: datetime | None
    updated_by: User | None
    holidays: tuple[tuple[date, str], ...] = ()  # (date, name), in date order

    @property
    def hours_text(self) -> list[str]:
        """Monday first: '09:00-17:00' or '' for a day off."""
        return [hours_format(day) for day in self.calendar.hours]


def _calendar(row: BusinessHours | None, holidays: frozenset[date]) -> Calendar:
    if row is None:
        return Calendar(timezone=DEFAULT_TIMEZONE, hours=DEFAULT_HOURS, holidays=holidays)
    try:
        return Calendar(
            timezone=row.timezone,
            hours=tuple(hours_parse(str(day)) for day in row.hours),
            holidays=holidays,
        )
    except (ValueError, KeyError):  # written around the service: fall back, never fail a page
        return Calendar(timezone=DEFAULT_TIMEZONE, hours=DEFAULT_HOURS, holidays=holidays)


def sla_settings_get() -> SlaSettings:
    """The policies (a priority without a row has the default one) and the business hours
    with their holidays."""
    rows = {row.priority: row for row in SlaPolicy.objects.select_related("updated_by")}
    policies = {
        priority: Policy(
            first_reply_minutes=row.first_reply_minutes,
            next_reply_minutes=row.next_reply_minutes,
            resolution_minutes=row.resolution_minutes,
            business_hours=row.business_hours,
        )
        if (row := rows.get(priority)) is not None
        else DEFAULT_POLICIES[priority]
        for priority in PRIORITIES
    }
    hours = BusinessHours.objects.select_related("updated_by").order_by("pk").first()
    changes: list[tuple[datetime, User | None]] = [
        (row.updated_at, row.updated_by) for row in rows.values()
    ]
    if hours is not None:
        changes.append((hours.updated_at, hours.updated_by))
    latest = max(changes, key=lambda change: change[0], default=None)
    holidays = tuple(Holiday.objects.order_by("date").values_list("date", "name"))
    return SlaSettings(
        policies=policies,
        calendar=_calendar(hours, frozenset(day for day, _name in holidays)),
        holidays=holidays,
        updated_at=latest[0] if latest else None,
        updated_by=latest[1] if latest else None,
    )


def awaiting_since_for_tickets(*, ticket_ids: Iterable[int]) -> dict[int, datetime]:
    """Per ticket, the first public customer message after its last public agent reply (a
    ticket nobody answered yet, or whose customer has not written since, is absent)."""
    rows = (
        TicketMessage.objects.filter(
            ticket_id__in=list(ticket_ids),
            is_internal=False,
            author_kind__in=(TicketMessage.Author.AGENT, TicketMessage.Author.CUSTOMER),
        )
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "author_kind", "created_at")
    )
    answered: set[int] = set()
    waiting: dict[int, datetime] = {}
    for ticket_id, author, created_at in rows:
        if author == TicketMessage.Author.AGENT:
            answered.add(ticket_id)
            waiting.pop(ticket_id, None)
        elif ticket_id in answered:
            waiting.setdefault(ticket_id, created_at)
    return waiting


def ticket_clock(*, ticket: Ticket, awaiting_since: datetime | None) -> TicketClock:
    """A ticket's facts the SLA depends on."""
    return TicketClock(
        created_at=ticket.created_at,
        status=ticket.status,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        awaiting_since=awaiting_since,
        pauses=pauses_load(ticket.sla_pauses),
    )


def ticket_sla(*, ticket: Ticket, settings: SlaSettings | None = None) -> SlaOutcome:
    """A ticket's targets (first reply, next reply, resolution) and their states, now."""
    settings = settings or sla_settings_get()
    waiting = awaiting_since_for_tickets(ticket_ids=[ticket.pk])
    return sla_compute(
        clock=ticket_clock(ticket=ticket, awaiting_since=waiting.get(ticket.pk)),
        policy=settings.policies.get(ticket.priority, settings.policies["normal"]),
        calendar=settings.calendar,
    )
