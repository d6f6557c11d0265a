"""SLA targets of a ticket: first reply, next reply and resolution, per priority, in business
or calendar hours, with the clock paused while the ticket waits on the customer or is solved.

Pure functions of a ticket's facts and its priority's policy; the services store the result on
the ticket (`sla_due_at`, `sla_target`, whether first reply and resolution were met) so the
queue filters and sorts on an indexed column. Defaults follow Zendesk's guidance for email
("good" first replies within 12 hours, "better" 4, "best" 1).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opsroom.support.business_hours import Calendar, Pause, clock_add, clock_minutes

FIRST_REPLY = "first_reply"
NEXT_REPLY = "next_reply"
RESOLUTION = "resolution"
TARGETS = {FIRST_REPLY: "First reply", NEXT_REPLY: "Next reply", RESOLUTION: "Resolution"}
PRIORITIES = ("urgent", "high", "normal", "low")
# Statuses whose clock runs; pending (waiting on the customer), solved and closed pause it.
ON_CLOCK_STATUSES = ("new", "open", "on_hold")
# Tickets whose target is due within this are "about to breach".
SOON = timedelta(hours=1)
# The longest target accepted: a year.
MAX_MINUTES = 366 * 24 * 60


@dataclass(frozen=True)
class Policy:
    """One priority's targets, in minutes of clock time."""

    first_reply_minutes: int
    next_reply_minutes: int
    resolution_minutes: int
    business_hours: bool = False

    def minutes(self, target: str) -> int:
        return int(getattr(self, f"{target}_minutes"))


DEFAULT_POLICIES = {
    "urgent": Policy(60, 60, 8 * 60),
    "high": Policy(4 * 60, 4 * 60, 24 * 60),
    "normal": Policy(12 * 60, 12 * 60, 3 * 24 * 60),
    "low": Policy(24 * 60, 24 * 60, 5 * 24 * 60),
}
DEFAULT_TIMEZONE = "UTC"
DEFAULT_HOURS: tuple[tuple[int, int] | None, ...] = (*[(9 * 60, 17 * 60)] * 5, None, None)


@dataclass(frozen=True)
class TicketClock:
    """What a ticket's SLA depends on."""

    created_at: datetime
    status: str
    first_response_at: datetime | None
    resolved_at: datetime | None
    # The first public customer message after the last public agent reply (None: nobody waits).
    awaiting_since: datetime | None
    pauses: tuple[Pause, ...] = ()


@dataclass(frozen=True)
class TargetState:
    target: str
    minutes: int
    due_at: datetime | None  # None: the clock is paused
    achieved_at: datetime | None  # when it was met or missed; None while it runs
    met: bool | None  # None while it runs

    @property
    def label(self) -> str:
        return TARGETS[self.target]

    @property
    def is_running(self) -> bool:
        return self.achieved_at is None


@dataclass(frozen=True)
class SlaOutcome:
    targets: tuple[TargetState, ...]
    due_at: datetime | None  # the running target due first (None: off the clock)
    target: str  # which one, or ""
    first_reply_met: bool | None
    resolution_met: bool | None


def sla_compute(*, clock: TicketClock, policy: Policy, calendar: Calendar | None) -> SlaOutcome:
    """A ticket's targets under its priority's policy (business hours: `calendar`, else
    calendar hours) and the one due first."""
    hours = calendar if policy.business_hours else None
    pauses = clock.pauses
    targets = []

    def achieved(target: str, start: datetime, at: datetime) -> TargetState:
        minutes = policy.minutes(target)
        taken = clock_minutes(start, at, hours, pauses)
        due = clock_add(start, minutes, hours, [p for p in pauses if p[0] < at])
        return TargetState(target, minutes, due, at, taken <= minutes)

    def running(target: str, start: datetime) -> TargetState:
        minutes = policy.minutes(target)
        return TargetState(target, minutes, clock_add(start, minutes, hours, pauses), None, None)

    if clock.first_response_at is not None:
        targets.append(achieved(FIRST_REPLY, clock.created_at, clock.first_response_at))
        if clock.awaiting_since is not None and clock.status not in ("solved", "closed"):
            targets.append(running(NEXT_REPLY, clock.awaiting_since))
    else:
        targets.append(running(FIRST_REPLY, clock.created_at))
    if clock.status in ("solved", "closed") and clock.resolved_at is not None:
        targets.append(achieved(RESOLUTION, clock.created_at, clock.resolved_at))
    else:
        targets.append(running(RESOLUTION, clock.created_at))
    due = [t for t in targets if t.is_running and t.due_at is not None]
    first = min(due, key=lambda t: t.due_at or datetime.max.replace(tzinfo=UTC)) if due else None
    by_target = {t.target: t for t in targets}
    if clock.status not in ON_CLOCK_STATUSES:
        first = None  # solved or closed without a time, or paused
    return SlaOutcome(
        targets=tuple(targets),
        due_at=first.due_at if first else None,
        target=first.target if first else "",
        first_reply_met=by_target[FIRST_REPLY].met,
        resolution_met=by_target[RESOLUTION].met,
    )


# The queue's order, stored on each ticket (`Ticket.queue_rank`) so one index serves it.
_PRIORITY_ORDER = ("urgent", "high", "normal", "low")
CLOSED_RANK = 8  # every ticket no longer open ranks from here on


def queue_rank(*, priority: str, is_open: bool, on_clock: bool) -> int:
    """Where a ticket sorts in the queue before its due time: open tickets by priority
    (urgent 0 .. low 3) times two, plus one when off the clock (paused); then every ticket that
    is no longer open, by priority (8 .. 11). An unknown priority ranks as normal."""
    rank = _PRIORITY_ORDER.index(priority) if priority in _PRIORITY_ORDER else 2
    if not is_open:
        return CLOSED_RANK + rank
    return 2 * rank + (0 if on_clock else 1)


# Pauses are kept on the ticket as JSON: [[start ISO, end ISO or null], ...].


def pauses_load(value: Sequence[Sequence[Any]] | None) -> tuple[Pause, ...]:
    """The stored pauses as datetimes."""
    return tuple(
        (
            datetime.fromisoformat(start),
            datetime.fromisoformat(end) if end else None,
        )
        for start, end in (value or [])
    )


def pauses_after_status(
    value: Sequence[Sequence[Any]] | None, *, status: str, at: datetime
) -> list[list[str | None]]:
    """The stored pauses once a ticket has a status from a moment on: a pause opens when the
    clock stops (pending, solved, closed), the open one closes when it runs again."""
    pauses: list[list[str | None]] = [list(p) for p in (value or [])]
    is_open = bool(pauses) and pauses[-1][1] is None
    if status not in ON_CLOCK_STATUSES and not is_open:
        pauses.append([at.isoformat(), None])
    elif status in ON_CLOCK_STATUSES and is_open:
        start = datetime.fromisoformat(str(pauses[-1][0]))
        pauses[-1][1] = max(at, start).isoformat()
    return pauses
