"""Formatting of the People section's enums and profile attributes for templates."""

from typing import Any

from django import template

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
