"""The timeline's entries, pages and cursors, and what a source of entries is."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.urls import Resolver404, resolve

from opsroom.core.errors import InvalidInput
from opsroom.people.models import Person

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class CursorError(InvalidInput):
    """A timeline cursor that cannot be read."""


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    rank: int  # order among entries at the same time
    at: datetime
    id: int
    title: str
    detail: str = ""
    tone: str = ""  # good, warn, bad
    url: str = ""
    lines: list[str] = field(default_factory=list)
    is_day: bool = False  # a day's product activity: the time of day is not known

    @property
    def order(self) -> tuple[int, int, int]:
        """Sort key: newest first, then by source rank, then newest id first."""
        return (-((self.at - EPOCH) // MICROSECOND), self.rank, -self.id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "day": self.at.date() if self.is_day else None,
            "title": self.title,
            "detail": self.detail,
            "tone": self.tone,
            "url": self.url,
            "lines": self.lines,
        }


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: str


def cursor_encode(item: TimelineItem) -> str:
    micros = (item.at - EPOCH) // MICROSECOND
    return f"{micros}.{item.rank}.{item.id}"


def cursor_decode(cursor: str) -> tuple[datetime, int, int]:
    """The position a cursor names; CursorError when it is not one this module made."""
    try:
        micros, rank, ident = (int(part) for part in cursor.split("."))
        moment = EPOCH + micros * MICROSECOND
    except (ValueError, OverflowError):
        raise CursorError(f"'{cursor[:40]}' is not a timeline cursor.") from None
    if not EPOCH <= moment <= FAR_FUTURE:
        raise CursorError(f"'{cursor[:40]}' is not a timeline cursor.")
    return moment, rank, ident


def url_if_routed(url: str) -> str:
    """The URL when this site serves it, else '' (no link to a page that does not exist yet)."""
    try:
        resolve(url.split("?", 1)[0])
    except Resolver404:
        return ""
    return url


def duration_text(delta: timedelta) -> str:
    """A duration in the largest sensible unit: '45 minutes', '4 hours', '3 days'."""
    minutes = max(delta.total_seconds(), 0) / 60
    if minutes < 90:
        value, unit = round(minutes), "minute"
    elif minutes < 48 * 60:
        value, unit = round(minutes / 60), "hour"
    else:
        value, unit = round(minutes / 1440), "day"
    return f"{value} {unit}{'s' if value != 1 else ''}"


@dataclass(frozen=True)
class SourceRead:
    """What a source is asked for: the person's entries at or before a time, newest first."""

    person: Person
    before: datetime
    limit: int
    now: datetime
    login_events: tuple[str, ...]


@dataclass(frozen=True)
class TimelineSource:
    kind: str  # the filter it belongs to: product, error, billing...
    label: str  # the filter's name on the page
    read: Callable[[SourceRead], list[TimelineItem]]
