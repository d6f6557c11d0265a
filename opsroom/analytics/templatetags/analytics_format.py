"""Template filters of the analytics pages: AI cost kept in millionths, durations."""

from django import template

register = template.Library()


@register.filter
def micros(value: float | int | None) -> str:
    """4217 -> '0.0042'; 12_345_678 -> '12.35'; thousands separated."""
    if value is None:
        return "—"
    units = float(value) / 1_000_000
    return f"{units:,.4f}" if 0 < abs(units) < 1 else f"{units:,.2f}"


@register.filter
def seconds_text(value: float | None) -> str:
    """3725 -> '1 h 2 min'; 90000 -> '1.0 days'."""
    if value is None:
        return "—"
    seconds = float(value)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
    return f"{seconds / 86400:.1f} days"
