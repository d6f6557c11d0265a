"""The 12-month MRR forecast: a flow model of customers and MRR, with its assumptions measured
on the trailing months of the ledger, three scenarios, growth levers, and a backtest.

Each month:
    new customers  = trials x conversion + direct new customers (growing at the trend)
    MRR next month = MRR x (1 - MRR churn - contraction + expansion)
                     + new customers x new-customer ARPA + reactivation
    customers      = customers x (1 - customer churn) + new customers + reactivated

Base: the trailing mean of each rate over `TRAILING` complete months; conservative and
optimistic: each rate one standard deviation worse or better (never below 0). Baremetrics
builds its scenarios the same way from trailing averages; the difference is that here every
assumption is shown, adjustable, and the model's error is measured (MAPE) by a backtest.
"""

import statistics
from dataclasses import dataclass, fields, replace
from datetime import date
from itertools import pairwise

from opsroom.revenue.cohorts.build import month_add

HORIZON = 12
TRAILING = 6


@dataclass(frozen=True)
class MonthFlow:
    """What one complete month did (from the ledger and the change log)."""

    month: date
    mrr_start: int
    mrr_end: int
    customers_start: int
    customers_end: int
    new: int  # MRR
    expansion: int
    contraction: int  # negative
    churn: int  # negative
    reactivation: int
    new_customers: int
    churned_customers: int
    reactivated_customers: int
    trials: int
    conversions: int


@dataclass(frozen=True)
class Assumptions:
    """Monthly rates and volumes the forecast runs on (all adjustable on the page)."""

    mrr_churn: float  # share of MRR lost to churn each month
    contraction: float  # share of MRR lost to contraction
    expansion: float  # share of MRR gained by expansion
    customer_churn: float  # share of customers lost each month
    trials: float  # trials started a month
    trial_growth: float  # monthly growth of trials
    conversion: float  # share of trials that convert
    direct_new: float  # new customers a month without a trial
    new_arpa: float  # MRR of a new customer (minor units)
    reactivation: float  # MRR back from returning customers each month
    reactivated_customers: float

    def adjusted(self, **changes: float) -> "Assumptions":
        return replace(self, **changes)


ASSUMPTION_FIELDS = [f.name for f in fields(Assumptions)]


@dataclass(frozen=True)
class ForecastMonth:
    month: date
    mrr: int
    customers: int
    new_customers: int


def _rates(flows: list[MonthFlow]) -> dict[str, list[float]]:
    def share(amount: int, base: int) -> float:
        return abs(amount) / base if base else 0.0

    return {
        "mrr_churn": [share(f.churn, f.mrr_start) for f in flows],
        "contraction": [share(f.contraction, f.mrr_start) for f in flows],
        "expansion": [share(f.expansion, f.mrr_start) for f in flows],
        "customer_churn": [share(f.churned_customers, f.customers_start) for f in flows],
        "trials": [float(f.trials) for f in flows],
        "conversion": [f.conversions / f.trials if f.trials else 0.0 for f in flows],
        "direct_new": [float(max(f.new_customers - f.conversions, 0)) for f in flows],
        "new_arpa": [f.new / f.new_customers for f in flows if f.new_customers],
        "reactivation": [float(f.reactivation) for f in flows],
        "reactivated_customers": [float(f.reactivated_customers) for f in flows],
    }


def _growth(values: list[float]) -> float:
    """Average month-on-month growth of a volume (0 when it cannot be measured)."""
    steps = [b / a - 1 for a, b in pairwise(values) if a > 0]
    return statistics.fmean(steps) if steps else 0.0


# Which direction is worse for each assumption: +1 when more of it is worse.
_WORSE = {
    "mrr_churn": 1,
    "contraction": 1,
    "expansion": -1,
    "customer_churn": 1,
    "trials": -1,
    "conversion": -1,
    "direct_new": -1,
    "new_arpa": -1,
    "reactivation": -1,
    "reactivated_customers": -1,
}


def assumptions_measure(flows: list[MonthFlow]) -> dict[str, Assumptions]:
    """Conservative, base and optimistic assumptions from the trailing months."""
    recent = flows[-TRAILING:]
    if not recent:
        zero = Assumptions(*([0.0] * len(ASSUMPTION_FIELDS)))
        return {"conservative": zero, "base": zero, "optimistic": zero}
    rates = _rates(recent)
    base: dict[str, float] = {}
    spread: dict[str, float] = {}
    for name, values in rates.items():
        base[name] = statistics.fmean(values) if values else 0.0
        spread[name] = statistics.pstdev(values) if len(values) > 1 else 0.0
    trial_growth = max(min(_growth([float(f.trials) for f in recent]), 0.5), -0.5)
    scenarios = {}
    for scenario, sign in (("conservative", 1), ("base", 0), ("optimistic", -1)):
        moved = {name: max(base[name] + sign * _WORSE[name] * spread[name], 0.0) for name in base}
        growth = trial_growth - (sign * abs(trial_growth) / 2 if trial_growth else 0.0)
        scenarios[scenario] = Assumptions(trial_growth=growth, **moved)
    return scenarios


def forecast_run(
    *, start: date, mrr: int, customers: int, assumptions: Assumptions, months: int = HORIZON
) -> list[ForecastMonth]:
    """The flow model from a starting MRR and customer count, month by month."""
    a = assumptions
    level, count = float(mrr), float(customers)
    result = []
    for index in range(months):
        trials = a.trials * (1 + a.trial_growth) ** (index + 1)
        new_customers = trials * a.conversion + a.direct_new
        level = (
            level * (1 - a.mrr_churn - a.contraction + a.expansion)
            + new_customers * a.new_arpa
            + a.reactivation
        )
        count = count * (1 - a.customer_churn) + new_customers + a.reactivated_customers
        result.append(
            ForecastMonth(
                month=month_add(start, index + 1),
                mrr=max(round(level), 0),
                customers=max(round(count), 0),
                new_customers=round(new_customers),
            )
        )
    return result


@dataclass(frozen=True)
class BacktestResult:
    horizon: int
    origins: int  # forecasts made
    points: int  # (origin, month ahead) pairs scored
    model_mape: float | None  # mean absolute percentage error, 0..1
    naive_mape: float | None  # the same for "MRR stays where it is"
    by_horizon: list[tuple[int, float, float]]  # (months ahead, model MAPE, naive MAPE)


def forecast_backtest(*, flows: list[MonthFlow], horizon: int = 3) -> BacktestResult:
    """Fit on the months up to each origin, forecast the following `horizon` months, and
    measure the absolute percentage error against what happened (and the naive forecast's)."""
    errors: dict[int, list[tuple[float, float]]] = {}
    origins = 0
    for origin in range(TRAILING, len(flows)):
        history, future = flows[:origin], flows[origin : origin + horizon]
        if not future or history[-1].mrr_end <= 0:
            continue
        base = assumptions_measure(history)["base"]
        predicted = forecast_run(
            start=history[-1].month,
            mrr=history[-1].mrr_end,
            customers=history[-1].customers_end,
            assumptions=base,
            months=len(future),
        )
        origins += 1
        for ahead, (guess, actual) in enumerate(zip(predicted, future, strict=True), start=1):
            if actual.mrr_end <= 0:
                continue
            model = abs(guess.mrr - actual.mrr_end) / actual.mrr_end
            naive = abs(history[-1].mrr_end - actual.mrr_end) / actual.mrr_end
            errors.setdefault(ahead, []).append((model, naive))
    pairs = [pair for values in errors.values() for pair in values]
    return BacktestResult(
        horizon=horizon,
        origins=origins,
        points=len(pairs),
        model_mape=statistics.fmean(p[0] for p in pairs) if pairs else None,
        naive_mape=statistics.fmean(p[1] for p in pairs) if pairs else None,
        by_horizon=[
            (
                ahead,
                statistics.fmean(p[0] for p in values),
                statistics.fmean(p[1] for p in values),
            )
            for ahead, values in sorted(errors.items())
        ],
    )
