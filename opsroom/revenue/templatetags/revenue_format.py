"""Formatting of revenue figures for templates: signed money, percentages, ratios."""

from datetime import UTC, datetime

from django import template

from opsroom.core.money import money_format

register = template.Library()
MINUS = "\u2212"  # the typographic minus sign


@register.filter
def money_signed(amount_minor: int | None, currency: str) -> str:
    """{{ 4200|money_signed:"usd" }} -> '+$42'; negative amounts get a minus sign."""
    if amount_minor is None:
        return "—"
    text = money_format(abs(amount_minor), currency or "usd", cents=False)
    return f"{'+' if amount_minor >= 0 else MINUS}{text}"


@register.filter
def percent(value: float | None, places: int = 1) -> str:
    """{{ 3.84|percent }} -> '3.8%'; None -> '—'."""
    if value is None:
        return "—"
    return f"{value:.{places}f}%"


@register.filter
def percent_signed(value: float | None) -> str:
    """{{ 12.3|percent_signed }} -> '+12.3%'."""
    if value is None:
        return "—"
    return f"{'+' if value >= 0 else MINUS}{abs(value):.1f}%"


@register.filter
def percent_of_one(value: float | None) -> str:
    """{{ 0.384|percent_of_one }} -> '38%'."""
    if value is None:
        return "—"
    return f"{value * 100:.0f}%"


@register.filter
def ratio(value: float | None) -> str:
    """{{ 4.2|ratio }} -> '4.2:1'."""
    if value is None:
        return "—"
    return f"{value:.1f}:1"


@register.filter
def percent_points(value: float | None) -> str:
    """{{ -0.12|percent_points }} -> '12 points'."""
    if value is None:
        return "—"
    return f"{abs(value) * 100:.0f} points"


@register.filter
def percent_of_one_1(value: float | None) -> str:
    """{{ 0.0384|percent_of_one_1 }} -> '3.8%'."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


_BUCKETS = {
    "retry_later": "Retry later",
    "needs_customer": "Needs the customer",
    "never_retry": "Never retry",
}


@register.filter
def bucket_label(bucket: str) -> str:
    """{{ "needs_customer"|bucket_label }} -> 'Needs the customer'."""
    return _BUCKETS.get(bucket, bucket)


@register.filter
def drift_value(value: object) -> str:
    """A value of the Stripe drift check: times in UTC, yes/no, "—" for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)
