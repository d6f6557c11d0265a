"""Point-in-time signals about many people at once: numbers as they stood at a past moment.

The person snapshot answers "everything about one person now"; this answers "a few numbers
about many people as of any date", which is what models trained on history need (the churn
model scores thousands of customers as of each past month). Each app registers the signals it
owns in its `AppConfig.ready()` (people: activity; telemetry: errors; support: tickets;
messaging: emails; revenue: payments, plan, tenure, renewal), so the identity layer gathers
them without importing any app above it.

A provider answers for a set of people and a moment `as_of` with a few grouped queries (never
one query per person, never raw events in a request), using only what happened before
`as_of`: a signal of the past must not know the future.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured

# person id -> signal name -> value
Signals = dict[int, dict[str, float]]
Provider = Callable[[Sequence[int], datetime], Signals]
# Providers read IN lists of at most this many people at a time.
CHUNK = 2000


@dataclass(frozen=True)
class Signal:
    name: str  # unique across apps, e.g. "errors_7d"
    description: str
    default: float = 0.0  # the value of a person the provider says nothing about


@dataclass(frozen=True)
class SignalSource:
    app: str
    signals: tuple[Signal, ...]
    provider: Provider


_SOURCES: dict[str, SignalSource] = {}


def signal_source_register(source: SignalSource) -> None:
    """Make an app's signals known (called from its ready()); a name offered twice is an error."""
    held = _SOURCES.get(source.app)
    if held is not None and held != source:
        raise ImproperlyConfigured(f"signals of {source.app!r} are registered twice")
    taken = {
        signal.name
        for other in _SOURCES.values()
        if other.app != source.app
        for signal in other.signals
    }
    clash = taken & {s.name for s in source.signals}
    if clash:
        raise ImproperlyConfigured(f"signal names offered by two apps: {sorted(clash)}")
    _SOURCES[source.app] = source


def signal_catalogue() -> dict[str, Signal]:
    """Every registered signal by name."""
    return {signal.name: signal for source in _SOURCES.values() for signal in source.signals}


def signals_as_of(
    *, person_ids: Sequence[int], as_of: datetime, apps: Sequence[str] | None = None
) -> Signals:
    """Every registered signal (or those of some apps) of each person as of a moment; a signal
    a provider leaves out takes its default."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    wanted = [source for name, source in sorted(_SOURCES.items()) if apps is None or name in apps]
    if apps is not None and len(wanted) != len(set(apps)):
        missing = sorted(set(apps) - set(_SOURCES))
        raise ImproperlyConfigured(f"no installed app provides signals for {missing}")
    result: Signals = {
        person_id: {signal.name: signal.default for source in wanted for signal in source.signals}
        for person_id in person_ids
    }
    for source in wanted:
        known = {signal.name for signal in source.signals}
        for start in range(0, len(person_ids), CHUNK):
            chunk = person_ids[start : start + CHUNK]
            for person_id, values in source.provider(chunk, as_of).items():
                row = result.get(person_id)
                if row is None:
                    continue
                row.update({name: float(v) for name, v in values.items() if name in known})
    return result
