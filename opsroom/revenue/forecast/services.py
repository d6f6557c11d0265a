"""Writes of the forecast basis (by the daily run)."""

from dataclasses import asdict
from datetime import date

from django.conf import settings
from django.db import transaction

from opsroom.core import clock
from opsroom.revenue.forecast.inputs import lever_inputs, month_flows
from opsroom.revenue.forecast.model import forecast_backtest
from opsroom.revenue.models import ForecastBasis


@transaction.atomic
def forecast_basis_refresh(*, today: date) -> ForecastBasis:
    """Measure the complete months, backtest the forecast on them and keep both for the day."""
    flows = month_flows(today=today)
    backtest = forecast_backtest(flows=flows)
    basis, _ = ForecastBasis.objects.update_or_create(
        day=today,
        defaults={
            "currency": str(settings.OPSROOM_CURRENCY),
            "flows": [{**asdict(f), "month": f.month.isoformat()} for f in flows],
            "backtest": asdict(backtest),
            "levers": lever_inputs(today=today),
            "computed_at": clock.now(),
        },
    )
    ForecastBasis.objects.filter(day__lt=today).delete()
    return basis
