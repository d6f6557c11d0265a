"""The one clock Opsroom reads. Tests and the demo simulator can set it."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from django.utils import timezone

_frozen: ContextVar[datetime | None] = ContextVar("opsroom_clock", default=None)


def now() -> datetime:
    """Return the current time, timezone-aware UTC."""
    frozen = _frozen.get()
    return frozen if frozen is not None else timezone.now()


@contextmanager
def clock_frozen_at(moment: datetime) -> Iterator[None]:
    """Make `now()` return `moment` inside the block."""
    if moment.tzinfo is None:
        raise ValueError("the clock only holds timezone-aware times")
    token = _frozen.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _frozen.reset(token)


def clock_set(moment: datetime | None) -> None:
    """Set (or with None, release) the clock for the rest of this context; for simulators."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the clock only holds timezone-aware times")
    _frozen.set(moment.astimezone(UTC) if moment is not None else None)
