"""Every source of timeline entries, in the order their filters are offered. A new source is
one module here with a TimelineSource, added to SOURCES."""

from opsroom.user360.timeline.items import TimelineSource
from opsroom.user360.timeline.sources import (
    emails,
    errors,
    notes,
    payments,
    product,
    staff,
    subscriptions,
    tickets,
)

SOURCES: tuple[TimelineSource, ...] = (
    product.SOURCE,
    errors.SOURCE,
    payments.SOURCE,
    subscriptions.SOURCE,
    tickets.SOURCE,
    emails.SOURCE,
    notes.SOURCE,
    staff.SOURCE,
)
