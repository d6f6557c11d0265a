"""Template filters for statistics: shares and lifts as percentages, p-values."""

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.1234 -> '12.3%'."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def signed_percent(value: float | None, digits: int = 1) -> str:
    """0.1234 -> '+12.3%'."""
    if value is None:
        return "—"
    return f"{value * 100:+.{digits}f}%"


@register.filter
def p_value(value: float | None) -> str:
    """A p-value to 4 decimals, or '< 0.0001'."""
    if value is None:
        return "—"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"
