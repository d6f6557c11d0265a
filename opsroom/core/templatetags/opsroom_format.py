"""Formatting for templates: selectors hand over numbers, dates and enums; these make text."""

from django import template

from opsroom.core.labels import name_label
from opsroom.core.money import money_format

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    """{{ amount|money:currency }}: 2900 usd -> '$29.00'; None -> '—'."""
    return money_format(amount_minor, currency or "usd")


@register.filter
def money_whole(amount_minor: int | None, currency: str) -> str:
    """{{ amount|money_whole:currency }}: rounded to whole units, '$29'."""
    return money_format(amount_minor, currency or "usd", cents=False)


@register.filter
def money_by_currency(amounts: dict[str, int], default_currency: str = "usd") -> str:
    """{{ amounts|money_by_currency:"usd" }}: {'usd': 2900, 'eur': 100} -> '€1.00 + $29.00'."""
    parts = [money_format(value, code) for code, value in sorted((amounts or {}).items())]
    return " + ".join(parts) or money_format(0, default_currency or "usd")


register.filter("event_label", name_label)
