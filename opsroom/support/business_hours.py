"""Time on an SLA clock: business hours in a timezone, or calendar hours, minus pauses.

Pure functions of datetimes (no database, no settings). A calendar is the working hours of each
weekday in one IANA timezone, less its holidays (local dates on which no hours run); the clock
runs only inside them. Calendar hours are `None`: the
clock always runs. A pause is a (start, end) span where the clock stops whatever the hours
(a ticket waiting on the customer, or solved); an open pause (end None) stops it for good.

All datetimes in and out are timezone-aware; results are in UTC. Working hours are local wall
times, so across a daylight-saving change 09:00-17:00 stays eight working hours while its UTC
offsets move; a local time that does not exist on the change day is read after the change.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A calendar with hours on at least one weekday is never more than a week from working time;
# past this, the search gives up (a pause that never ends is handled before it).
_HORIZON_DAYS = 3660

Pause = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Calendar:
    """Working hours per weekday (Monday first): None for a day off, or (start, end) minutes
    after local midnight, start < end <= 1440; and the holidays, local dates without hours."""

    timezone: str
    hours: tuple[tuple[int, int] | None, ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise ValueError("a calendar has hours for seven weekdays")
        if all(day is None for day in self.hours):
            raise ValueError("a calendar needs working hours on at least one day")
        for day in self.hours:
            if day is not None and not 0 <= day[0] < day[1] <= 1440:
                raise ValueError(f"working hours {day} are not start < end within a day")
        ZoneInfo(self.timezone)  # raises for an unknown zone


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    if minute >= 1440:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    # fold=0: a wall time in the spring-forward gap converts with the offset before the change,
    # i.e. it reads as the same distance after the change (02:30 becomes 03:30).
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)


def working_spans(
    start: datetime, calendar: Calendar | None
) -> Iterator[tuple[datetime, datetime]]:
    """The spans of working time from `start` on, in order, in UTC (calendar hours: one
    endless span)."""
    start = start.astimezone(UTC)
    if calendar is None:
        yield start, datetime.max.replace(tzinfo=UTC)
        return
    zone = ZoneInfo(calendar.timezone)
    day = start.astimezone(zone).date() - timedelta(days=1)  # a span may begin the day before
    for _ in range(_HORIZON_DAYS):
        hours = calendar.hours[day.weekday()]
        if hours is not None and day not in calendar.holidays:
            begin = _local(day, hours[0], zone).astimezone(UTC)
            end = _local(day, hours[1], zone).astimezone(UTC)
            if end > start:
                yield max(begin, start), end
        day += timedelta(days=1)


def is_working_time(at: datetime, calendar: Calendar | None) -> bool:
    """Whether `at` falls inside working time (calendar hours: always)."""
    span = next(working_spans(at, calendar), None)
    return span is not None and span[0] <= at.astimezone(UTC)


def _minus_pauses(
    spans: Iterator[tuple[datetime, datetime]], pauses: Sequence[Pause]
) -> Iterator[tuple[datetime, datetime]]:
    ordered = sorted(
        (p_start.astimezone(UTC), (p_end or datetime.max.replace(tzinfo=UTC)).astimezone(UTC))
        for p_start, p_end in pauses
    )
    for begin, end in spans:
        cursor = begin
        for p_start, p_end in ordered:
            if p_end <= cursor or p_start >= end:
                continue
            if p_start > cursor:
                yield cursor, p_start
            cursor = max(cursor, p_end)
            if cursor >= end:
                break
        if cursor < end:
            yield cursor, end
        if any(p_end is None and p_start.astimezone(UTC) <= end for p_start, p_end in pauses):
            return  # the clock stopped for good inside (or at the end of) this span


def clock_spans(
    start: datetime, calendar: Calendar | None, pauses: Sequence[Pause] = ()
) -> Iterator[tuple[datetime, datetime]]:
    """The spans from `start` on where the clock runs: working time outside every pause."""
    return _minus_pauses(working_spans(start, calendar), pauses)


def clock_add(
    start: datetime,
    minutes: float,
    calendar: Calendar | None,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """The moment the clock, started at `start`, has run for `minutes`; None when a pause that
    never ends stops it first."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    left = timedelta(minutes=minutes)
    for begin, end in clock_spans(start, calendar, pauses):
        if begin + left <= end:
            return begin + left
        left -= end - begin
    return None


def clock_minutes(
    start: datetime,
    end: datetime,
    calendar: Calendar | None,
    pauses: Sequence[Pause] = (),
) -> float:
    """How many minutes the clock ran between two moments (0 when end is not after start)."""
    end = end.astimezone(UTC)
    total = timedelta(0)
    if end <= start:
        return 0.0
    for begin, stop in clock_spans(start, calendar, pauses):
        if begin >= end:
            break
        total += min(stop, end) - begin
    return total.total_seconds() / 60


def hours_parse(text: str) -> tuple[int, int] | None:
    """'09:00-17:00' -> (540, 1020); '' or 'closed' -> None; 24:00 may end a day. Raises
    ValueError for anything else."""
    text = text.strip().lower()
    if text in ("", "closed", "off"):
        return None
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"'{text[:20]}' is not HH:MM-HH:MM")
    minutes = []
    for part in parts:
        hour, _, minute = part.strip().partition(":")
        if not (hour.isdecimal() and minute.isdecimal() and len(minute) == 2 and len(hour) <= 2):
            raise ValueError(f"'{part.strip()[:10]}' is not a time HH:MM")
        value = int(hour) * 60 + int(minute)
        if int(minute) > 59 or value > 1440:
            raise ValueError(f"'{part.strip()[:10]}' is not a time of day")
        minutes.append(value)
    if minutes[0] >= minutes[1]:
        raise ValueError(f"'{text[:20]}' ends before it starts")
    return minutes[0], minutes[1]


def hours_format(hours: tuple[int, int] | None) -> str:
    """(540, 1020) -> '09:00-17:00'; None -> ''."""
    if hours is None:
        return ""
    return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in hours)
