"""The overview's cards from the computed figures: label, value, hint, tone and where the
customers behind each figure are."""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from opsroom.core.money import money_format
from opsroom.revenue.templatetags.revenue_format import (
    MINUS,
    money_signed,
    percent,
    percent_signed,
    ratio,
)


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: str
    href: str
    hint: str = ""
    tone: str = ""  # good, warn, bad


def _movements(figures: dict[str, Any], kind: str = "") -> str:
    query = {"start": figures["window_start"], "end": figures["day"]}
    if kind:
        query["kind"] = kind
    return f"{reverse('revenue:movements')}?{urlencode(query)}"


def overview_cards(figures: dict[str, Any]) -> tuple[list[Card], list[Card]]:
    """The six headline cards of the brief, and the other figures."""
    c = figures["currency"]
    customers = reverse("revenue:customers")
    growth, target = figures["growth_percent"], figures["growth_target_percent"]
    churn = figures["customer_churn_percent"]
    churn_before = figures["customer_churn_previous_percent"]
    churn_hint = "no paying customers 30 days ago"
    churn_tone = ""
    if churn is not None and churn_before is not None:
        change = churn - churn_before
        sign = "+" if change >= 0 else MINUS
        churn_hint = f"{sign}{abs(change):.1f} pts vs the 30 days before"
        churn_tone = "bad" if change > 0 else "good"
    ltv_cac, healthy = figures["ltv_cac"], figures["ltv_cac_healthy"]
    if ltv_cac is None:
        ltv_cac_hint = "enter marketing spend to measure CAC"
    else:
        cac = money_format(figures["cac"], c, cents=False)
        ltv_cac_hint = f"healthy from {healthy:g}:1 · CAC {cac}"
    main = [
        Card(
            "mrr",
            "MRR",
            money_format(figures["mrr"], c, cents=False),
            customers,
            f"{money_signed(figures['mrr_change'], c)} vs 30 days ago",
        ),
        Card(
            "arr",
            "ARR",
            money_format(figures["arr"], c, cents=False),
            customers,
            f"{money_signed(figures['arr_change'], c)} vs a year ago",
        ),
        Card(
            "growth",
            "MRR growth (MoM)",
            percent_signed(growth),
            _movements(figures),
            f"target {target:g}%",
            "" if growth is None else ("good" if figures["growth_on_target"] else "warn"),
        ),
        Card(
            "subscriptions",
            "Active subscriptions",
            f"{figures['subscriptions']:,}",
            customers,
            f"{figures['subscriptions_change']:+,} net in 30 days",
        ),
        Card(
            "customer_churn",
            "Customer churn (30 days)",
            percent(churn),
            _movements(figures, "churn"),
            churn_hint,
            churn_tone,
        ),
        Card(
            "ltv_cac",
            "LTV:CAC",
            ratio(ltv_cac),
            f"{reverse('revenue:settings')}#spend",
            ltv_cac_hint,
            "" if ltv_cac is None else ("good" if ltv_cac >= healthy else "bad"),
        ),
    ]
    more = [
        Card("gross_mrr_churn", "Gross MRR churn", percent(figures["gross_mrr_churn_percent"]),
             _movements(figures, "churn")),
        Card("net_mrr_churn", "Net MRR churn", percent(figures["net_mrr_churn_percent"]),
             _movements(figures)),
        Card("arpa", "ARPA", money_format(figures["arpa"], c), customers),
        Card("ltv", "LTV", money_format(figures["ltv"], c, cents=False), customers),
        Card("quick_ratio", "Quick ratio", ratio(figures["quick_ratio"]), _movements(figures)),
        Card("nrr", "Net revenue retention", percent(figures["nrr_percent"]), _movements(figures)),
        Card("cac", "CAC", money_format(figures["cac"], c, cents=False),
             _movements(figures, "new")),
    ]  # fmt: skip
    return main, more
