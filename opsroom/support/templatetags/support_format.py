"""Labels of the support pages: categories, SLA countdowns, confidences."""

from datetime import datetime

from django import template

from opsroom.support.models import Ticket
from opsroom.support.sla import TARGETS

register = template.Library()
_CATEGORIES = dict(Ticket.Category.choices)


@register.filter
def category_label(category: str) -> str:
    """'how_to' -> 'How-to question'."""
    return str(_CATEGORIES.get(category, category or "—"))


@register.filter
def confidence(value: float | None) -> str:
    """0.923 -> '92%'."""
    return "" if value is None else f"{round(value * 100)}%"


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    return f"{hours // 24}d {hours % 24}h"


@register.filter
def sla_left(due: datetime | None, now: datetime) -> str:
    """'3h 05m left', '40m overdue', or '' when off the clock."""
    if due is None:
        return ""
    seconds = (due - now).total_seconds()
    return f"{_span(seconds)} left" if seconds >= 0 else f"{_span(seconds)} overdue"


@register.filter
def sla_state(due: datetime | None, now: datetime) -> str:
    """'breached', 'soon' (within an hour), 'ok', or '' off the clock."""
    if due is None:
        return ""
    seconds = (due - now).total_seconds()
    return "breached" if seconds < 0 else ("soon" if seconds <= 3600 else "ok")


@register.filter
def sla_target_label(target: str) -> str:
    """'next_reply' -> 'Next reply'."""
    return TARGETS.get(target, "")


@register.filter
def minutes(value: int | None) -> str:
    """A target in minutes, readably: '45m', '4h', '1h 30m', '3d', '2d 4h'."""
    if value is None:
        return "—"
    days, rest = divmod(int(value), 24 * 60)
    hours_, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours_}h" if hours_ else "", f"{mins}m" if mins else ""]
    return " ".join(part for part in parts if part) or "0m"


@register.filter
def age(created: datetime, now: datetime) -> str:
    """How long ago a ticket was opened: '2h 10m'."""
    return _span((now - created).total_seconds())


@register.filter
def hours(value: float | None) -> str:
    """A duration in hours, readably: '15m', '4.5h', '2.1d'."""
    if value is None:
        return "—"
    if value < 1:
        return f"{round(value * 60)}m"
    return f"{value:.1f}h" if value < 48 else f"{value / 24:.1f}d"
