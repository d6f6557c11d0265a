"""Writes of the SLA: each ticket's stored due time (kept whenever a ticket changes), and the
policies and business hours (admin-only, audited; open tickets are recomputed after)."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.support.business_hours import DAY_NAMES, Calendar, hours_format, hours_parse
from opsroom.support.models import BusinessHours, Holiday, SlaPolicy, Ticket
from opsroom.support.selectors.sla import (
    SlaSettings,
    awaiting_since_for_tickets,
    sla_settings_get,
    ticket_clock,
)
from opsroom.support.sla import (
    MAX_MINUTES,
    PRIORITIES,
    pauses_after_status,
    queue_rank,
    sla_compute,
)

_CHUNK = 500
SLA_FIELDS = [
    "sla_due_at",
    "sla_target",
    "sla_first_reply_met",
    "sla_resolution_met",
    "sla_pauses",
    "queue_rank",
]


def _refresh_chunk(tickets: Sequence[Ticket], settings: SlaSettings) -> list[Ticket]:
    # Only a ticket answered and still open can have a next reply running.
    asked = [t.pk for t in tickets if t.first_response_at is not None and t.is_open]
    waiting = awaiting_since_for_tickets(ticket_ids=asked) if asked else {}
    changed = []
    for ticket in tickets:
        before = [getattr(ticket, name) for name in SLA_FIELDS]
        # A status change opens or closes a pause at the moment it happened: the services set
        # resolved_at / updated_at to that moment with the status.
        ticket.sla_pauses = pauses_after_status(
            ticket.sla_pauses,
            status=ticket.status,
            at=ticket.resolved_at or ticket.updated_at or ticket.created_at,
        )
        outcome = sla_compute(
            clock=ticket_clock(ticket=ticket, awaiting_since=waiting.get(ticket.pk)),
            policy=settings.policies.get(ticket.priority, settings.policies["normal"]),
            calendar=settings.calendar,
        )
        ticket.sla_due_at, ticket.sla_target = outcome.due_at, outcome.target
        ticket.sla_first_reply_met = outcome.first_reply_met
        ticket.sla_resolution_met = outcome.resolution_met
        # The queue's stored order follows the priority and the clock, so it is kept here too.
        ticket.queue_rank = queue_rank(
            priority=ticket.priority, is_open=ticket.is_open, on_clock=outcome.due_at is not None
        )
        if [getattr(ticket, name) for name in SLA_FIELDS] != before:
            changed.append(ticket)
    return changed


def tickets_sla_refresh(
    *, tickets: Iterable[Ticket], settings: SlaSettings | None = None
) -> list[Ticket]:
    """Recompute and store the SLA of tickets (loaded instances, updated in place): their
    pauses after a status change, the target due first, whether first reply and resolution
    were met, and their queue rank (priority, open, on the clock). Returns the tickets whose
    stored SLA changed."""
    settings = settings or sla_settings_get()
    batch: list[Ticket] = []
    changed: list[Ticket] = []
    for ticket in tickets:
        batch.append(ticket)
        if len(batch) == _CHUNK:
            changed += _refresh_chunk(batch, settings)
            batch = []
    if batch:
        changed += _refresh_chunk(batch, settings)
    if changed:
        Ticket.objects.bulk_update(changed, SLA_FIELDS, batch_size=_CHUNK)
    return changed


def tickets_sla_refresh_by_id(*, ticket_ids: Iterable[int]) -> int:
    """Recompute the SLA of tickets by number; how many changed."""
    ids = sorted(set(ticket_ids))
    changed = 0
    settings = sla_settings_get()
    for start in range(0, len(ids), _CHUNK):
        chunk = Ticket.objects.filter(pk__in=ids[start : start + _CHUNK])
        changed += len(tickets_sla_refresh(tickets=chunk, settings=settings))
    return changed


def tickets_sla_backfill(*, open_only: bool = False) -> int:
    """Recompute the SLA of every ticket (or only the open ones, after a policy change), in
    chunks by number; how many changed."""
    tickets = Ticket.objects.all()
    if open_only:
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    settings = sla_settings_get()
    changed, last = 0, 0
    while True:
        chunk = list(tickets.filter(pk__gt=last).order_by("pk")[:_CHUNK])
        if not chunk:
            return changed
        with transaction.atomic():
            changed += len(tickets_sla_refresh(tickets=chunk, settings=settings))
        last = chunk[-1].pk


def tickets_sla_refresh_queue() -> None:
    """Queue the recomputation of every open ticket's SLA once the transaction commits."""
    from opsroom.support.tasks import tickets_sla_recompute

    transaction.on_commit(lambda: tickets_sla_recompute.enqueue())


# The policies and business hours.


def _minutes(priority: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{priority} {name} must be a whole number of minutes.")
    if not 0 < value <= MAX_MINUTES:
        raise InvalidInput(
            f"{priority} {name} must be between 1 minute and {MAX_MINUTES} minutes (a year)."
        )
    return int(value)


def calendar_parse(timezone: str, hours: Sequence[str]) -> Calendar:
    """Checked weekday hours in a timezone (InvalidInput with the reason otherwise)."""
    timezone = timezone.strip()
    try:
        if not timezone or "\x00" in timezone or len(timezone) > 64:
            raise ValueError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput(
            f"timezone '{timezone[:64]}' is not a known IANA timezone (e.g. Europe/Berlin)."
        ) from exc
    if len(hours) != 7:
        raise InvalidInput("hours lists seven days, Monday first ('09:00-17:00' or '' for off).")
    parsed = []
    for name, text in zip(DAY_NAMES, hours, strict=True):
        try:
            parsed.append(hours_parse(str(text)))
        except ValueError as exc:
            raise InvalidInput(f"{name} hours: {exc}.") from exc
    if all(day is None for day in parsed):
        raise InvalidInput("Business hours need at least one working day.")
    return Calendar(timezone=timezone, hours=tuple(parsed))


# Holidays accepted: dates in these years, at most this many.
HOLIDAY_YEARS = (1970, 2200)
MAX_HOLIDAYS = 1000


def holidays_parse(holidays: Iterable[tuple[Any, Any]]) -> list[tuple[date, str]]:
    """Checked (date, name) pairs in date order: a real date within HOLIDAY_YEARS, a name of
    1 to 120 characters, each date once."""
    parsed: dict[date, str] = {}
    for day, name in holidays:
        if not isinstance(day, date):
            raise InvalidInput(f"holiday '{str(day)[:20]}' is not a date (YYYY-MM-DD).")
        if not HOLIDAY_YEARS[0] <= day.year <= HOLIDAY_YEARS[1]:
            raise InvalidInput(f"holiday {day} is outside {HOLIDAY_YEARS[0]}-{HOLIDAY_YEARS[1]}.")
        name = str(name).strip()
        if not name or len(name) > 120 or "\x00" in name:
            raise InvalidInput(f"holiday {day} needs a name of 1 to 120 characters.")
        if day in parsed:
            raise InvalidInput(f"holiday {day} is given twice.")
        parsed[day] = name
        if len(parsed) > MAX_HOLIDAYS:
            raise InvalidInput(f"At most {MAX_HOLIDAYS} holidays.")
    return sorted(parsed.items())


@transaction.atomic
def sla_settings_set(
    *,
    policies: Mapping[str, Mapping[str, Any]],
    timezone: str,
    hours: Sequence[str],
    audit: AuditContext,
    holidays: Iterable[tuple[Any, Any]] | None = None,
) -> SlaSettings:
    """Set the targets of every priority (minutes: first_reply_minutes, next_reply_minutes,
    resolution_minutes, and business_hours), the business hours and, when given, the
    holidays (date, name) they skip; audited. Open tickets' due times are recomputed in the
    background."""
    missing = [p for p in PRIORITIES if p not in policies]
    unknown = [str(p)[:20] for p in policies if p not in PRIORITIES]
    if missing or unknown:
        raise InvalidInput(
            f"Give a policy for each priority ({', '.join(PRIORITIES)}); "
            + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}")
            + "."
        )
    calendar = calendar_parse(timezone, hours)
    days = None if holidays is None else holidays_parse(holidays)
    values = {}
    for priority in PRIORITIES:
        policy = policies[priority]
        business = policy.get("business_hours", False)
        if not isinstance(business, bool):
            raise InvalidInput(f"{priority} business_hours is true or false.")
        values[priority] = {
            name: _minutes(priority, name, policy.get(name))
            for name in ("first_reply_minutes", "next_reply_minutes", "resolution_minutes")
        } | {"business_hours": business}
    before = sla_settings_get()
    now = clock.now()
    for priority, fields in values.items():
        SlaPolicy.objects.update_or_create(
            priority=priority, defaults={**fields, "updated_by": audit.actor, "updated_at": now}
        )
    row = BusinessHours.objects.select_for_update().order_by("pk").first() or BusinessHours()
    row.timezone = calendar.timezone
    row.hours = [hours_format(day) for day in calendar.hours]
    row.updated_by, row.updated_at = audit.actor, now
    row.save()
    if days is not None:
        Holiday.objects.all().delete()
        Holiday.objects.bulk_create([Holiday(date=day, name=name) for day, name in days])
    audit_record(
        audit,
        action="support.sla_set",
        target=row,
        params={
            "from": _settings_params(before),
            "to": {
                "policies": values,
                "timezone": calendar.timezone,
                "hours": row.hours,
                "holidays": _holidays_params(before.holidays if days is None else days),
            },
        },
    )
    tickets_sla_refresh_queue()
    return sla_settings_get()


def _settings_params(settings: SlaSettings) -> dict[str, Any]:
    return {
        "policies": {
            priority: {
                "first_reply_minutes": p.first_reply_minutes,
                "next_reply_minutes": p.next_reply_minutes,
                "resolution_minutes": p.resolution_minutes,
                "business_hours": p.business_hours,
            }
            for priority, p in settings.policies.items()
        },
        "timezone": settings.calendar.timezone,
        "hours": settings.hours_text,
        "holidays": _holidays_params(settings.holidays),
    }


def _holidays_params(holidays: Iterable[tuple[date, str]]) -> list[list[str]]:
    return [[day.isoformat(), name] for day, name in holidays]
