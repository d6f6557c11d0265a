"""Template filters for AI cost kept in millionths of a currency unit."""

from django import template

register = template.Library()


@register.filter
def micros(value: float | int | None) -> str:
    """4217 -> '0.0042'; 12_345_678 -> '12.35'; thousands separated."""
    if value is None:
        return "—"
    units = float(value) / 1_000_000
    return f"{units:,.4f}" if 0 < abs(units) < 1 else f"{units:,.2f}"
