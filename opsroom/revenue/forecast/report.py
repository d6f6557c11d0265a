"""The forecast report: three scenarios from the stored basis (with the operator's overrides
of the base assumptions), the growth levers in money, and the backtested error."""

import csv
import io
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from opsroom.core.errors import InvalidInput
from opsroom.revenue.forecast.model import (
    ASSUMPTION_FIELDS,
    Assumptions,
    ForecastMonth,
    MonthFlow,
    assumptions_measure,
    forecast_run,
)
from opsroom.revenue.models import ForecastBasis

# What the page lets operators change, with bounds (rates as shares, volumes as counts).
LIMITS: dict[str, tuple[float, float]] = {
    "mrr_churn": (0, 1),
    "contraction": (0, 1),
    "expansion": (0, 1),
    "customer_churn": (0, 1),
    "trials": (0, 10**7),
    "trial_growth": (-0.5, 1),
    "conversion": (0, 1),
    "direct_new": (0, 10**7),
    "new_arpa": (0, 10**10),
    "reactivation": (0, 10**12),
    "reactivated_customers": (0, 10**7),
}


@dataclass(frozen=True)
class Lever:
    key: str
    label: str
    yearly: int  # revenue over the next 12 months above the base case (minor units)


@dataclass(frozen=True)
class ForecastReport:
    start: date  # the last complete month
    mrr: int
    customers: int
    scenarios: dict[str, list[ForecastMonth]]
    assumptions: dict[str, Assumptions]
    measured: Assumptions  # the base before the operator's overrides
    overridden: list[str]
    levers: list[Lever]
    backtest: dict[str, Any]
    history: list[MonthFlow]
    currency: str


def flows_of(basis: ForecastBasis) -> list[MonthFlow]:
    return [MonthFlow(**{**row, "month": date.fromisoformat(row["month"])}) for row in basis.flows]


def overrides_parse(values: dict[str, str]) -> dict[str, float]:
    """Overrides of the base assumptions from a form (rates in percent); InvalidInput if bad."""
    parsed: dict[str, float] = {}
    for name in ASSUMPTION_FIELDS:
        text = (values.get(name) or "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            raise InvalidInput(f"{name} must be a number (got '{text[:20]}').") from None
        if name in PERCENT_FIELDS:
            value /= 100
        low, high = LIMITS[name]
        if not low <= value <= high or value != value:
            raise InvalidInput(f"{name} must be between {low} and {high}.")
        parsed[name] = value
    return parsed


PERCENT_FIELDS = {
    "mrr_churn",
    "contraction",
    "expansion",
    "customer_churn",
    "trial_growth",
    "conversion",
}


def _yearly(months: list[ForecastMonth]) -> int:
    return sum(month.mrr for month in months)


def _levers(
    base: Assumptions, start: date, mrr: int, customers: int, inputs: dict[str, float]
) -> list[Lever]:
    def gain(assumptions: Assumptions, opening: int = mrr) -> int:
        lifted = forecast_run(
            start=start, mrr=opening, customers=customers, assumptions=assumptions
        )
        plain = forecast_run(start=start, mrr=mrr, customers=customers, assumptions=base)
        return _yearly(lifted) - _yearly(plain)

    levers = [
        Lever(
            "churn",
            "Cut churn by 0.8 points",
            gain(
                replace(
                    base,
                    mrr_churn=max(base.mrr_churn - 0.008, 0),
                    customer_churn=max(base.customer_churn - 0.008, 0),
                )
            ),
        ),
        Lever(
            "conversion",
            "Raise trial conversion by 5 points",
            gain(replace(base, conversion=min(base.conversion + 0.05, 1))),
        ),
        Lever("trials", "20% more trials", gain(replace(base, trials=base.trials * 1.2))),
    ]
    ratio, share = inputs.get("annual_price_ratio", 0.0), inputs.get("monthly_share", 0.0)
    if ratio and share:
        moved = 0.10 * inputs.get("monthly_mrr", 0.0)
        churn_gap = inputs.get("churn_month", 0.0) - inputs.get("churn_year", 0.0)
        upsold = replace(base, mrr_churn=max(base.mrr_churn - 0.10 * share * churn_gap, 0))
        levers.append(
            Lever(
                "annual",
                "Move 10% of monthly customers to annual",
                gain(upsold, opening=round(mrr - moved * (1 - ratio))),
            )
        )
    return levers


def forecast_report(*, basis: ForecastBasis, overrides: dict[str, float]) -> ForecastReport:
    """The forecast from a stored basis; `overrides` replace base assumptions."""
    flows = flows_of(basis)
    if not flows:
        raise InvalidInput("There is no complete month in the ledger yet to forecast from.")
    scenarios = assumptions_measure(flows)
    measured = scenarios["base"]
    if overrides:
        scenarios = {**scenarios, "base": measured.adjusted(**overrides)}
    last = flows[-1]
    runs = {
        name: forecast_run(
            start=last.month, mrr=last.mrr_end, customers=last.customers_end, assumptions=a
        )
        for name, a in scenarios.items()
    }
    return ForecastReport(
        start=last.month,
        mrr=last.mrr_end,
        customers=last.customers_end,
        scenarios=runs,
        assumptions=scenarios,
        measured=measured,
        overridden=sorted(overrides),
        levers=_levers(
            scenarios["base"], last.month, last.mrr_end, last.customers_end, basis.levers
        ),
        backtest=basis.backtest,
        history=flows,
        currency=basis.currency,
    )


def forecast_csv(report: ForecastReport) -> str:
    """The report as CSV: the months of each scenario, then the assumptions."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "conservative_mrr", "base_mrr", "optimistic_mrr", "base_customers"])
    for index, base in enumerate(report.scenarios["base"]):
        writer.writerow(
            [
                f"{base.month:%Y-%m}",
                report.scenarios["conservative"][index].mrr,
                base.mrr,
                report.scenarios["optimistic"][index].mrr,
                base.customers,
            ]
        )
    writer.writerow([])
    writer.writerow(["assumption", "conservative", "base", "optimistic"])
    for name in ASSUMPTION_FIELDS:
        writer.writerow([name, *(f"{getattr(report.assumptions[s], name):.6g}" for s in SCENARIOS)])
    writer.writerow([])
    writer.writerow(["lever", "revenue_next_12_months"])
    for lever in report.levers:
        writer.writerow([lever.label, lever.yearly])
    writer.writerow([])
    writer.writerow(["backtest", "model_mape", "naive_mape", "points"])
    writer.writerow(
        ["all", report.backtest.get("model_mape"), report.backtest.get("naive_mape"),
         report.backtest.get("points")]
    )  # fmt: skip
    return out.getvalue()


SCENARIOS = ("conservative", "base", "optimistic")
