"""Product events and flag exposures, as the host app's SDK would send them."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from opsroom.demo.world.state import PersonSim

if TYPE_CHECKING:
    from opsroom.demo.world.context import World


def emit(world: "World", person: PersonSim, name: str, at: datetime, props: dict[str, Any]) -> None:
    """Record a product event (none at or after the horizon: a session may run past it)."""
    if at >= world.horizon:
        return
    world.batch.event(person, name, at, props, world.ids.event_key())


def expose(world: "World", person: PersonSim, flag: str, variant: str, at: datetime) -> None:
    """The app served a flag variant; SDKs report an exposure at most about once a week."""
    if at >= world.horizon:
        return
    key = f"{flag}={variant}"
    last = person.exposed.get(key)
    if last is None or at - last > timedelta(days=7):
        person.exposed[key] = at
        world.batch.exposures.append((person.external_id, flag, variant, at))
