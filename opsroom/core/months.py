"""Calendar months as 'YYYY-MM' labels."""

from datetime import datetime


def months_between(start: datetime, end: datetime) -> list[str]:
    """Calendar months from start's to end's, inclusive, as 'YYYY-MM'."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_start(moment: datetime, *, months_back: int = 0) -> datetime:
    """Midnight on the first of the month `months_back` months before `moment`'s month."""
    index = moment.year * 12 + moment.month - 1 - months_back
    return moment.replace(
        year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
