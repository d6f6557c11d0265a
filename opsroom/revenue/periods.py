"""Billing-period arithmetic."""

import calendar
from datetime import datetime, timedelta


def period_end(*, start: datetime, interval: str, interval_count: int) -> datetime:
    """The end of a billing period starting at `start`; month ends clamp (Jan 31 -> Feb 28)."""
    if interval == "day":
        return start + timedelta(days=interval_count)
    if interval == "week":
        return start + timedelta(weeks=interval_count)
    if interval not in ("month", "year"):
        raise ValueError(f"unknown billing interval {interval!r}")
    months = interval_count * (12 if interval == "year" else 1)
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)
