"""Formatting for templates: selectors hand over numbers, dates and enums; these make text."""

from collections.abc import Sequence
from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from opsroom.core.labels import name_label
from opsroom.core.models import User
from opsroom.core.money import money_format
from opsroom.core.refusals import refusal_text

register = template.Library()
PARAM_TEXT_LIMIT = 200


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


@register.filter
def money_abs(amount_minor: int | None, currency: str) -> str:
    """{{ delta|money_abs:currency }}: an amount without its sign: -1250 -> '$12.50'."""
    return money_format(abs(amount_minor) if amount_minor is not None else None, currency or "usd")


@register.filter
def abs_value(number: float | None) -> float | None:
    """{{ delta|abs_value }}: the size of a number, without its sign."""
    return abs(number) if number is not None else None


@register.filter
def percent(share: float | None, digits: int = 1) -> str:
    """{{ 0.1234|percent }}: '12.3%'; None -> '—'."""
    if share is None:
        return "—"
    return f"{share * 100:.{digits}f}%"


@register.filter
def refusal(permissions: Sequence[str] | str, user: User | AnonymousUser) -> str:
    """{{ action.permissions|refusal:user }}: why the user may not, in words ('' when they may)."""
    needed = [permissions] if isinstance(permissions, str) else list(permissions)
    if user.has_perms(needed):
        return ""
    return refusal_text(user, needed)


def _param_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_param_text(item) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{name_label(key).lower()}: {_param_text(v)}" for key, v in value.items())
    text = str(value)
    return text if len(text) <= PARAM_TEXT_LIMIT else text[: PARAM_TEXT_LIMIT - 1] + "…"


@register.filter
def param_rows(params: Any) -> list[tuple[str, str]]:
    """{{ entry.params|param_rows }}: an audit entry's parameters as (label, text) rows; a
    change ({"from": {...}, "to": {...}}) as one row per field, 'before → after'."""
    if not isinstance(params, dict) or not params:
        return []
    before, after = params.get("from"), params.get("to")
    if set(params) == {"from", "to"} and isinstance(before, dict) and isinstance(after, dict):
        return [
            (name_label(key), f"{_param_text(before.get(key))} → {_param_text(after.get(key))}")
            for key in dict.fromkeys([*before, *after])
        ]
    return [(name_label(key), _param_text(value)) for key, value in params.items()]
