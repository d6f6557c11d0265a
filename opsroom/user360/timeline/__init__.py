"""One stream of everything about a person, newest first, paged by a cursor.

Each source (timeline/sources/: product activity by day, errors, payments, subscription
changes, tickets, emails, notes, staff actions) reads its rows by index up to the cursor; the
page is their merge. The order is (time desc, source rank, id desc); the cursor is the last
entry's position in it.
"""

from datetime import datetime

from opsroom.people.models import Person
from opsroom.user360.timeline.items import (
    EPOCH,
    FAR_FUTURE,
    MICROSECOND,
    CursorError,
    SourceRead,
    TimelineItem,
    TimelinePage,
    cursor_decode,
    cursor_encode,
    duration_text,
)
from opsroom.user360.timeline.sources import SOURCES

PAGE_SIZE = 25
KINDS: dict[str, str] = {source.kind: source.label for source in SOURCES}


def timeline_page(
    *,
    person: Person,
    now: datetime,
    kinds: list[str] | None = None,
    cursor: str = "",
    page_size: int = PAGE_SIZE,
    login_events: tuple[str, ...] = ("login",),
) -> TimelinePage:
    """One page of a person's timeline after a cursor (the first page without one)."""
    wanted = [kind for kind in (kinds or list(KINDS)) if kind in KINDS] or list(KINDS)
    after = cursor_decode(cursor) if cursor else None
    # Ties at the cursor's time are re-read and dropped below; a few spare rows cover them.
    read = SourceRead(
        person=person,
        before=after[0] if after else FAR_FUTURE,
        limit=page_size + 5,
        now=now,
        login_events=login_events,
    )
    items: list[TimelineItem] = []
    for source in SOURCES:
        if source.kind in wanted:
            items += source.read(read)
    items.sort(key=lambda item: item.order)
    if after is not None:
        position = (-((after[0] - EPOCH) // MICROSECOND), after[1], -after[2])
        items = [item for item in items if item.order > position]
    page = items[:page_size]
    more = len(items) > page_size
    return TimelinePage(items=page, next_cursor=cursor_encode(page[-1]) if more and page else "")


__all__ = [
    "KINDS",
    "CursorError",
    "TimelineItem",
    "TimelinePage",
    "duration_text",
    "timeline_page",
]
