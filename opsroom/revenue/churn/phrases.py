"""Risk factors in plain words, with their numbers: "no login in 14 days (was active 12 days the
month before)". Used at the edges (pages, API), from the numbers a prediction stores."""

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings

from opsroom.core.labels import name_label

Signals = Mapping[str, float]


def _n(value: float) -> int:
    return round(value)


def _plural(count: float, word: str) -> str:
    n = _n(count)
    return f"{n} {word}{'' if n == 1 else 's'}"


def _key_action() -> str:
    names = list(settings.OPSROOM_SIGNAL_KEY_EVENTS) or ["key action"]
    return name_label(names[0]).lower()


def _was(signals: Signals, name: str, unit: str = "active days") -> str:
    before = signals.get(name)
    return f" (was {_n(before)} {unit} in the 30 days before)" if before else ""


def _no_login(value: float, reference: float | None, s: Signals) -> str:
    if value >= 180:
        return "no login in 6 months or more"
    was = f" (was active {_n(s.get('active_days_prev_30d', 0))} days the month before)"
    return f"no login in {_n(value)} days" + (was if s.get("active_days_prev_30d") else "")


def _compared(reference: float | None, unit: str = "") -> str:
    if reference is None:
        return ""
    return f"; retained customers like them: {_n(reference)}{unit}"


PHRASES: dict[str, Callable[[float, float | None, Signals], str]] = {
    "days_since_login": _no_login,
    "days_since_active": lambda v, r, s: (
        f"no activity in {_n(v)} days" + _was(s, "active_days_prev_30d")
    ),
    "logins_30d": lambda v, r, s: f"{_plural(v, 'login')} in 30 days{_compared(r)}",
    "active_days_7d": lambda v, r, s: f"active {_n(v)} of the last 7 days{_compared(r)}",
    "active_days_14d": lambda v, r, s: (
        f"active {_n(v)} of the last 14 days"
        + (f" (was {_n(s.get('active_days_prev_14d', 0))} of the 14 before)")
    ),
    "active_days_30d": lambda v, r, s: (
        f"active {_n(v)} of the last 30 days" + _was(s, "active_days_prev_30d", "days")
    ),
    "activity_trend_14d": lambda v, r, s: (
        f"activity down: {_n(s.get('active_days_14d', 0))} active days in the last 14 "
        f"(was {_n(s.get('active_days_prev_14d', 0))})"
        if v < 0
        else f"activity steady at {_n(s.get('active_days_14d', 0))} days in 14"
    ),
    "events_30d": lambda v, r, s: f"{_n(v)} actions in 30 days{_compared(r)}",
    "events_ratio": lambda v, r, s: (
        f"usage down to {v:.0%} of the month before"
        if v < 1
        else f"usage at {v:.0%} of the month before"
    ),
    "key_actions_30d": lambda v, r, s: (
        f"no {_key_action()} in 30 days"
        if v == 0
        else f"{_key_action()}: {_n(v)} in 30 days{_compared(r)}"
    ),
    "days_since_key_action": lambda v, r, s: (
        f"no {_key_action()} in {_n(v)} days"
        if v < 180
        else f"no {_key_action()} in 6 months or more"
    ),
    "features_used_30d": lambda v, r, s: f"used {_plural(v, 'feature')} in 30 days{_compared(r)}",
    "errors_7d": lambda v, r, s: f"{_plural(v, 'error')} in the last 7 days",
    "errors_30d": lambda v, r, s: f"{_plural(v, 'error')} in the last 30 days",
    "error_kinds_30d": lambda v, r, s: f"{_plural(v, 'different error')} in 30 days",
    "tickets_30d": lambda v, r, s: f"{_plural(v, 'support ticket')} in 30 days",
    "tickets_90d": lambda v, r, s: f"{_plural(v, 'support ticket')} in 90 days",
    "tickets_open": lambda v, r, s: f"{_plural(v, 'open ticket')}",
    "payment_failures_30d": lambda v, r, s: f"{_plural(v, 'failed payment')} in 30 days",
    "payment_failures_90d": lambda v, r, s: f"{_plural(v, 'failed payment')} in 90 days",
    "is_past_due": lambda v, r, s: "payment past due" if v else "payments up to date",
    "cancel_scheduled": lambda v, r, s: (
        "set to cancel at the end of the period" if v else "not set to cancel"
    ),
    "cancel_requests_90d": lambda v, r, s: (
        f"scheduled a cancellation {_plural(v, 'time')} in 90 days"
    ),
    "cancel_attempts_90d": lambda v, r, s: (
        "canceled subscription attempt"
        + (" (recovered)" if not s.get("cancel_scheduled") else "")
        + f": {_plural(v + s.get('cancel_requests_90d', 0), 'attempt')} in 90 days"
    ),
    "days_to_renewal": lambda v, r, s: f"renews in {_n(v)} days",
    "card_expires_days": lambda v, r, s: (
        "card expired" if v <= 0 else f"card expires in {_n(v)} days"
    ),
    "paid_days": lambda v, r, s: f"paying for {_n(v)} days{_compared(r, ' days')}",
    "tenure_days": lambda v, r, s: f"signed up {_n(v)} days ago",
    "is_annual": lambda v, r, s: "on an annual plan" if v else "on a monthly plan",
    "has_discount": lambda v, r, s: "on a discount" if v else "paying full price",
    "downgrades_90d": lambda v, r, s: f"downgraded {_plural(v, 'time')} in 90 days",
    "has_reactivated": lambda v, r, s: "came back after canceling once" if v else "never left",
    "emails_opened_30d": lambda v, r, s: (
        f"opened {_n(v)} of {_n(s.get('emails_30d', 0))} emails in 30 days"
    ),
    "email_open_rate": lambda v, r, s: f"opened {v:.0%} of emails in 30 days",
    "emails_30d": lambda v, r, s: f"{_plural(v, 'email')} from us in 30 days",
    "emails_clicked_30d": lambda v, r, s: f"clicked {_plural(v, 'email')} in 30 days",
    "subscriptions_live": lambda v, r, s: f"{_plural(v, 'live subscription')}",
    "mrr": lambda v, r, s: (
        "pays less than comparable customers"
        if r is not None and v < r
        else "pays more than comparable customers"
    ),
}


def factor_phrase(factor: Mapping[str, Any], signals: Signals) -> str:
    """One risk factor in plain words with its numbers."""
    feature = str(factor.get("feature", ""))
    value = float(factor.get("value") or 0.0)
    reference = factor.get("reference")
    phrase = PHRASES.get(feature)
    if phrase is None:
        return f"{name_label(feature)}: {value:g}"
    return phrase(value, float(reference) if reference is not None else None, signals)
