"""What the forecast is computed from, kept by the daily run so the page reads one row."""

from django.db import models

from opsroom.core import clock


class ForecastBasis(models.Model):
    """The complete months of one day's ledger as flows, and the forecast's backtest."""

    day = models.DateField(unique=True)
    currency = models.CharField(max_length=3)
    flows = models.JSONField(default=list)  # one MonthFlow per complete month, oldest first
    backtest = models.JSONField(default=dict)
    levers = models.JSONField(default=dict)  # what the growth levers need (plan price ratios...)
    computed_at = models.DateTimeField(default=clock.now)

    class Meta:
        permissions = [("share_forecast", "Can share the revenue forecast by link")]

    def __str__(self) -> str:
        return f"forecast basis {self.day}"
