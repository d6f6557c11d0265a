from datetime import date
from typing import Any

from ninja import Schema


class ForecastMonthOut(Schema):
    month: str
    conservative: int
    base: int
    optimistic: int
    customers: int


class LeverOut(Schema):
    key: str
    label: str
    yearly: int


class ForecastOut(Schema):
    currency: str
    start: date
    mrr: int
    customers: int
    months: list[ForecastMonthOut]
    assumptions: dict[str, dict[str, float]]  # scenario -> assumption -> value
    measured: dict[str, float]
    overridden: list[str]
    levers: list[LeverOut]
    backtest: dict[str, Any]
