"""The command center's overview: the cards, MRR with its movements, the month's waterfall and
the breakdowns; the movements and customers behind each figure; the definitions."""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.labels import name_label
from opsroom.core.money import currency_exponent
from opsroom.revenue.api.access import month_parse
from opsroom.revenue.attention import attention_now
from opsroom.revenue.metrics.definitions import DEFINITIONS
from opsroom.revenue.metrics.selectors import (
    MOVEMENTS,
    MrrPeriod,
    ledger_state,
    movements_list,
    movements_total,
    mrr_periods,
    overview_latest,
    paying_customers,
    paying_customers_named,
    segments_for_month,
)
from opsroom.revenue.models import MrrMovement, MrrSegmentMonth
from opsroom.revenue.views.access import perm_require, section
from opsroom.revenue.views.cards import overview_cards

COLORS = {
    "new": "#1a7f4b",
    "expansion": "#0f8a9d",
    "reactivation": "#6b3fd1",
    "contraction": "#b26a00",
    "churn": "#c0322b",
}
LABELS = dict(MrrMovement.Kind.choices)


def _major(amount: int, currency: str) -> float:
    value: float = amount / 10 ** currency_exponent(currency)
    return round(value, 2)


def _mrr_chart(periods: list[MrrPeriod], currency: str) -> dict[str, Any]:
    datasets: list[dict[str, Any]] = [
        {
            "type": "line",
            "label": f"MRR ({currency.upper()})",
            "data": [_major(p.mrr, currency) for p in periods],
            "yAxisID": "mrr",
            "color": "#14213d",
            "order": 0,
        }
    ]
    for name in MOVEMENTS:
        datasets.append(
            {
                "label": str(LABELS[name]),
                "data": [_major(getattr(p, name), currency) for p in periods],
                "stack": "movements",
                "yAxisID": "movements",
                "color": COLORS[name],
                "order": 1,
            }
        )
    return {
        "type": "bar",
        "labels": [p.period for p in periods],
        "datasets": datasets,
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "scales": {
                "x": {"stacked": True},
                "mrr": {"position": "left", "beginAtZero": True},
                "movements": {"position": "right", "stacked": True, "grid": {"display": False}},
            },
        },
    }


def _waterfall(period: MrrPeriod, opening: int, currency: str) -> dict[str, Any]:
    steps = [("Start", 0, opening, "#5f6b7a")]
    level = opening
    for name in ("new", "expansion", "reactivation", "contraction", "churn"):
        amount = getattr(period, name)
        steps.append((str(LABELS[name]), level, level + amount, COLORS[name]))
        level += amount
    steps.append(("End", 0, period.mrr, "#14213d"))
    return {
        "type": "bar",
        "labels": [label for label, _, _, _ in steps],
        "datasets": [
            {
                "label": f"MRR ({currency.upper()})",
                "data": [[_major(lo, currency), _major(hi, currency)] for _, lo, hi, _ in steps],
                "backgroundColor": [color for _, _, _, color in steps],
                "borderColor": [color for _, _, _, color in steps],
            }
        ],
        "options": {"plugins": {"legend": {"display": False}}},
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The revenue overview: cards, MRR and its movements, the waterfall, breakdowns."""
    perm_require(request, "revenue.view_revenueoverview")
    currency = str(settings.OPSROOM_CURRENCY)
    today = clock.now().date()
    overview = overview_latest()
    month = _month_chosen(request.GET.get("month", ""), today)
    start = (today.replace(day=1) - timedelta(days=330)).replace(day=1)
    periods = mrr_periods(start=start, end=today, interval="month")
    chosen = mrr_periods(start=month, end=min(_month_end(month), today), interval="month")[-1]
    before = month - timedelta(days=1)
    opening = mrr_periods(start=before, end=before, interval="day")[0].mrr
    cards, more_cards = overview_cards(overview.figures) if overview else ([], [])
    attention = attention_now()
    breakdowns = {
        dimension: segments_for_month(month=today, dimension=dimension)
        for dimension in MrrSegmentMonth.Dimension.values
    }
    return render(
        request,
        "revenue/overview.html",
        section(
            "overview",
            overview=overview,
            figures=overview.figures if overview else None,
            cards=cards,
            more_cards=more_cards,
            state=ledger_state(),
            currency=currency,
            periods=periods,
            mrr_chart=_mrr_chart(periods, currency),
            month=month,
            months=[p.start for p in reversed(periods)],
            chosen=chosen,
            opening=opening,
            waterfall=_waterfall(chosen, opening, currency),
            breakdowns=[
                (dimension, str(label), breakdowns[dimension])
                for dimension, label in MrrSegmentMonth.Dimension.choices
            ],
            window_start=today - timedelta(days=30),
            today=today,
            attention=attention,
            top_factor=name_label(attention.top_factor[0]) if attention.top_factor else "",
        ),
    )


def _month_chosen(text: str, today: date) -> date:
    """The waterfall's month: the one asked for (not after this one), else this one."""
    try:
        month = month_parse(text, "month").replace(day=1) if text else today.replace(day=1)
    except InvalidInput:
        return today.replace(day=1)
    return min(month, today.replace(day=1))


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@require_GET
def movements(request: HttpRequest) -> HttpResponse:
    """The movements behind a figure: who moved, by how much, on which subscription."""
    perm_require(request, "revenue.view_mrrmovement")
    today = clock.now().date()
    kind = request.GET.get("kind", "")
    dimension = request.GET.get("dimension", "")
    key = request.GET.get("key", "")
    start_text, end_text = request.GET.get("start", ""), request.GET.get("end", "")
    start = month_parse(start_text, "start") if start_text else today - timedelta(days=30)
    end = month_parse(end_text, "end", last_day=True) if end_text else today
    rows = movements_list(
        kind=kind or None,
        start=start,
        end=end,
        dimension=dimension or None,
        key=key if dimension else None,
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "revenue/movements.html",
        section(
            "movements",
            page=page,
            total=movements_total(rows),
            kind=kind,
            kinds=[(value, label) for value, label in MrrMovement.Kind.choices],
            start=start,
            end=end,
            dimension=dimension,
            key=key,
            currency=str(settings.OPSROOM_CURRENCY),
        ),
    )


@require_GET
def customers(request: HttpRequest) -> HttpResponse:
    """Paying customers now, by MRR: who is behind MRR, ARPA and the subscription count."""
    perm_require(request, "revenue.view_subscription")
    page = Paginator(paying_customers(), 50).get_page(request.GET.get("page"))
    page.object_list = paying_customers_named(page.object_list)
    return render(
        request,
        "revenue/customers.html",
        section("customers", page=page, currency=str(settings.OPSROOM_CURRENCY)),
    )


@require_GET
def definitions(request: HttpRequest) -> HttpResponse:
    """What each revenue figure means."""
    return render(
        request, "revenue/definitions.html", section("definitions", definitions=DEFINITIONS)
    )
