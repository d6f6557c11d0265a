"""Formatting of the People section's enums and profile attributes for templates."""

from typing import Any

from django import template

from opsroom.people.snapshot import DeviceFacts
from opsroom.user360 import labels
from opsroom.user360.attributes import attribute_rows

register = template.Library()

register.filter("band_label", labels.band_label)
register.filter("component_label", labels.component_label)
register.filter("subscription_status_label", labels.subscription_status_label)
register.filter("plan_label", labels.plan_label)


@register.filter
def profile_rows(attributes: dict[str, Any]) -> list[tuple[str, list[str], bool]]:
    """A person's attributes as (label, lines, is a list) rows, safe for any JSON."""
    return attribute_rows(attributes or {})


@register.filter
def device_label(device: DeviceFacts) -> str:
    """'iPhone · iOS 17.2', 'Chrome 130 on Mac (macOS 10.15.7)', 'ios (from events)'."""
    system = " ".join(part for part in (device.os_name, device.os_version) if part)
    if device.browser:
        where = f" on {device.device}" if device.device else ""
        return f"{device.browser}{where}" + (f" ({system})" if system else "")
    name = device.device or {"ios": "iOS", "android": "Android", "web": "Web"}.get(
        device.platform, device.platform.capitalize() or "Unknown device"
    )
    if not system or system == name:
        return name
    return system if system.startswith(name) else f"{name} · {system}"
