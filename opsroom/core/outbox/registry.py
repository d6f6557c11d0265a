"""The kinds of side effect the outbox performs, each registered by the app that owns it.

An app registers a Performer in its `AppConfig.ready()` (messaging: "email.send"; revenue:
"stripe.comp_grant"), so core never imports the apps above it. A performer's `perform` does
the side effect idempotently, outside any transaction, and returns the outcome (JSON);
`on_done` and `on_failed` record what happened in the owning app's tables, inside the short
transaction that settles the entry; `on_retry` runs when an operator retries the entry.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from opsroom.core.models import OutboxEntry

Outcome = dict[str, Any]


class OutboxPermanentError(Exception):
    """The side effect failed in a way that retrying cannot fix (a refusal, bad data).

    Any other exception from `perform` counts as transient and is retried with backoff.
    """


@dataclass(frozen=True)
class Performer:
    kind: str
    label: str
    perform: Callable[[OutboxEntry], Outcome]
    on_done: Callable[[OutboxEntry], None] | None = None
    on_failed: Callable[[OutboxEntry], None] | None = None
    on_retry: Callable[[OutboxEntry], None] | None = None


_PERFORMERS: dict[str, Performer] = {}


def performer_register(performer: Performer) -> None:
    """Make a kind of side effect known to the outbox (called from an app's ready())."""
    held = _PERFORMERS.get(performer.kind)
    if held is not None and held != performer:
        raise ImproperlyConfigured(f"outbox kind {performer.kind!r} is registered twice")
    _PERFORMERS[performer.kind] = performer


def performer_get(kind: str) -> Performer | None:
    """The performer of a kind, or None when no installed app registers it."""
    return _PERFORMERS.get(kind)


def performer_kinds() -> list[str]:
    """Every registered kind, sorted."""
    return sorted(_PERFORMERS)
