"""The home page: each role's day first (support's queue, billing's failed payments and MRR at
risk, the trends analysts follow), chosen by permission, then the headline figures."""

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.core import clock
from opsroom.core.auth import request_staff
from opsroom.core.money import money_format
from opsroom.core.months import month_start
from opsroom.people.selectors import (
    active_people_count,
    people_count,
    signups_by_month,
    signups_count,
)
from opsroom.revenue.selectors import (
    cancellations_count,
    mrr_at_risk,
    mrr_by_month,
    mrr_summary,
    mrr_total_as_of,
    payments_failing,
)
from opsroom.support.selectors import (
    ticket_queue_for_user,
    ticket_queue_unassigned,
    tickets_breaching,
    tickets_created_since,
    tickets_open_count,
)
from opsroom.telemetry.selectors import errors_count

HOME_CACHE_SECONDS = 60
# Who sees which part first: the permission that makes it their work.
SUPPORT_PERMISSION = "support.change_ticket"
BILLING_PERMISSION = "revenue.change_subscription"
FAILED_PAYMENT_DAYS = 30


def _day_start(now: datetime) -> datetime:
    return datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)


def _cached(key: str, compute: Any) -> Any:
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, HOME_CACHE_SECONDS)
    return value


def _home_figures() -> dict[str, object]:
    now = clock.now()
    currency = settings.OPSROOM_CURRENCY
    summary = mrr_summary(currency=currency)
    since = month_start(now, months_back=11)
    mrr_series = mrr_by_month(currency=currency, since=since)
    signups = signups_by_month(since=since)
    return {
        "people": people_count(),
        "active_subscriptions": summary.active_subscriptions,
        "paying_subscriptions": summary.paying_subscriptions,
        "trialing_subscriptions": summary.trialing_subscriptions,
        "mrr": money_format(summary.mrr, currency, cents=False),
        "mrr_minor": summary.mrr,
        "open_tickets": tickets_open_count(),
        "errors_today": errors_count(since=_day_start(now)),
        "rows": [
            (month, money_format(value, currency, cents=False), signups.get(month, 0))
            for month, value in mrr_series.items()
        ],
        "chart": {
            "labels": list(mrr_series),
            "mrr": [round(value / 100, 2) for value in mrr_series.values()],
            "signups": [signups.get(month, 0) for month in mrr_series],
            "currency": currency.upper(),
        },
        "computed_at": now,
    }


def _change(now_value: int, before: int) -> dict[str, Any]:
    """A figure beside the one before it: the difference and its share."""
    delta = now_value - before
    return {
        "value": now_value,
        "before": before,
        "delta": delta,
        "share": delta / before if before else None,
    }


def _trends() -> dict[str, Any]:
    """This week against the one before, and MRR and cancellations against 30 days earlier."""
    now = clock.now()
    currency = settings.OPSROOM_CURRENCY
    today, week, month = now.date(), timedelta(days=7), timedelta(days=30)
    mrr_before = mrr_total_as_of(currency=currency, at=now - month)
    mrr_now = mrr_total_as_of(currency=currency, at=now)
    return {
        "signups": _change(
            signups_count(since=now - week, until=now),
            signups_count(since=now - 2 * week, until=now - week),
        ),
        "active": _change(
            active_people_count(since=today - week, until=today),
            active_people_count(since=today - 2 * week, until=today - week),
        ),
        "mrr": {**_change(mrr_now, mrr_before), "currency": currency},
        "cancellations": _change(
            cancellations_count(since=now - month, until=now),
            cancellations_count(since=now - 2 * month, until=now - month),
        ),
    }


def _billing() -> dict[str, Any]:
    now = clock.now()
    failing_count, failing = payments_failing(since=now - timedelta(days=FAILED_PAYMENT_DAYS))
    return {
        "at_risk": mrr_at_risk(currency=settings.OPSROOM_CURRENCY),
        "failing_count": failing_count,
        "failing": failing,
        "days": FAILED_PAYMENT_DAYS,
    }


def _support(user_id: int) -> dict[str, Any]:
    now = clock.now()
    breaching_count, breaching = tickets_breaching(now=now)
    new_count, new_today = tickets_created_since(since=_day_start(now))
    mine = ticket_queue_for_user(user_id=user_id)
    return {
        "mine": mine,
        "unassigned": [] if mine else ticket_queue_unassigned(),
        "breaching_count": breaching_count,
        "breaching": breaching,
        "new_count": new_count,
        "new_today": new_today,
    }


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each role's day first, then the headline figures and twelve months of MRR and signups."""
    staff = request_staff(request)
    context: dict[str, Any] = {
        "figures": _cached("opsroom:home", _home_figures),
        "trends": _cached("opsroom:home:trends", _trends),
        "now": clock.now(),
    }
    order = []
    # Billing first for those who may change subscriptions (they answer billing tickets too).
    if staff.has_perm(BILLING_PERMISSION):
        context["billing"] = _cached("opsroom:home:billing", _billing)
        order.append("billing")
    if staff.has_perm(SUPPORT_PERMISSION):
        context["support"] = _support(staff.pk)
        order.append("support")
    order.append("trends")
    context["order"] = order
    return render(request, "user360/home.html", context)
