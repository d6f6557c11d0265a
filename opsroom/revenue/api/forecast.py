"""The 12-month forecast, with the base assumptions optionally overridden."""

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Router

from opsroom.core.auth import staff_or_key
from opsroom.core.errors import NotFound
from opsroom.core.schemas import ErrorOut
from opsroom.revenue.api.access import permission_require
from opsroom.revenue.forecast.report import SCENARIOS, forecast_report, overrides_parse
from opsroom.revenue.models import ForecastBasis
from opsroom.revenue.schemas.forecast import ForecastMonthOut, ForecastOut, LeverOut

router = Router()


@router.get(
    "/revenue/forecast",
    response={200: ForecastOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="revenue_forecast",
    summary="MRR forecast",
)
def forecast(request: HttpRequest) -> Any:
    """Conservative, base and optimistic MRR for the next 12 months from the flow model, its
    assumptions, growth levers and backtested error. Query parameters named like the
    assumptions (rates in percent) override the base case."""
    permission_require(request, "revenue.view_forecastbasis")
    basis = ForecastBasis.objects.order_by("-day").first()
    if basis is None:
        raise NotFound("No forecast yet: the daily revenue run prepares it.")
    report = forecast_report(basis=basis, overrides=overrides_parse(request.GET.dict()))
    return ForecastOut(
        currency=report.currency,
        start=report.start,
        mrr=report.mrr,
        customers=report.customers,
        months=[
            ForecastMonthOut(
                month=f"{base.month:%Y-%m}",
                conservative=low.mrr,
                base=base.mrr,
                optimistic=high.mrr,
                customers=base.customers,
            )
            for low, base, high in zip(*(report.scenarios[s] for s in SCENARIOS), strict=True)
        ],
        assumptions={name: asdict(a) for name, a in report.assumptions.items()},
        measured=asdict(report.measured),
        overridden=report.overridden,
        levers=[LeverOut(**asdict(lever)) for lever in report.levers],
        backtest=report.backtest,
    )
