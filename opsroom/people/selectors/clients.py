"""The clients a person's product events name (their `platform`, `os`, `app_version`...
properties), read from their latest events through the (person, time) index."""

from dataclasses import dataclass
from datetime import datetime

from opsroom.people.models import Event

# Properties a host app may send with an event to say where it came from.
PLATFORM_KEYS = ("platform", "os")
RECENT_EVENTS = 300


@dataclass(frozen=True)
class EventClient:
    platform: str  # as sent, lower-cased: ios, android, web...
    app_version: str
    os_version: str
    device: str
    last_at: datetime


def event_clients_for_person(
    *, person_id: int, since: datetime, limit: int = RECENT_EVENTS
) -> list[EventClient]:
    """Each platform the person's latest events came from, with the newest app version seen."""
    rows = (
        Event.objects.filter(person_id=person_id, occurred_at__gte=since)
        .order_by("-occurred_at", "-id")
        .values_list("properties", "occurred_at")[:limit]
    )
    found: dict[str, EventClient] = {}
    for properties, occurred_at in rows:
        if not isinstance(properties, dict):
            continue
        platform = next(
            (str(properties[key]) for key in PLATFORM_KEYS if properties.get(key)), ""
        ).lower()
        if not platform or platform in found:
            continue
        found[platform] = EventClient(
            platform=platform[:40],
            app_version=str(properties.get("app_version") or "")[:40],
            os_version=str(properties.get("os_version") or "")[:40],
            device=str(properties.get("device") or properties.get("device_model") or "")[:60],
            last_at=occurred_at,
        )
    return list(found.values())
