"""The home page: headline figures from the data, and MRR with signups over twelve months."""

from datetime import datetime, time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.core import clock
from opsroom.core.money import money_format
from opsroom.core.months import month_start
from opsroom.people.selectors import people_count, signups_by_month
from opsroom.revenue.selectors import mrr_by_month, mrr_summary
from opsroom.support.selectors import tickets_open_count
from opsroom.telemetry.selectors import errors_count

HOME_CACHE_SECONDS = 60


def _home_figures() -> dict[str, object]:
    now = clock.now()
    currency = settings.OPSROOM_CURRENCY
    summary = mrr_summary(currency=currency)
    since = month_start(now, months_back=11)
    mrr_series = mrr_by_month(currency=currency, since=since)
    signups = signups_by_month(since=since)
    day_start = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    return {
        "people": people_count(),
        "active_subscriptions": summary.active_subscriptions,
        "paying_subscriptions": summary.paying_subscriptions,
        "trialing_subscriptions": summary.trialing_subscriptions,
        "mrr": money_format(summary.mrr, currency, cents=False),
        "open_tickets": tickets_open_count(),
        "errors_today": errors_count(since=day_start),
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


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Headline figures from the data, and MRR with signups over twelve months."""
    figures = cache.get("opsroom:home")
    if figures is None:
        figures = _home_figures()
        cache.set("opsroom:home", figures, HOME_CACHE_SECONDS)
    return render(request, "user360/home.html", {"figures": figures})
