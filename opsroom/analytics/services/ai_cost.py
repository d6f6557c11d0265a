"""AI cost: the month so far and its projection to the month's end against the budget (with an
early warning raised when the projection crosses it, before the spend does), and each
endpoint's spend today against its daily limit, which the host app reads to throttle it.

Projection: the spend so far, plus the remaining days at the mean daily spend of the last 7
complete days (the complete days of the month while fewer), with a 90% upper bound from their
day-to-day spread (remaining days x mean + 1.645 x sd x sqrt(remaining days)).
"""

import calendar
import math
import statistics
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from opsroom.analytics.alerts import alert_raise
from opsroom.analytics.models import AiCostLimit, AiCostSnapshot, Alert
from opsroom.analytics.services.ai_limits import (
    ai_limit_flag_ensure,
    ai_limit_flag_off,
    ai_limits_watch,
)
from opsroom.core import clock
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.telemetry.ai_usage import (
    Dimension,
    ai_cost_by,
    ai_cost_per_day,
    ai_cost_total,
)

RATE_DAYS = 7
Z90 = 1.6449
MAX_AMOUNT = 10**9  # currency units


@dataclass(frozen=True)
class Projection:
    month_start: date
    days_in_month: int
    days_left: float  # from now to the month's end
    spent_micros: int
    daily_rate_micros: float
    daily_sd_micros: float
    rate_days: int
    projected_micros: int
    projected_high_micros: int
    budget_micros: int | None
    crosses_on: date | None  # when the spend reaches the budget at this rate

    @property
    def over_budget(self) -> bool:
        return self.budget_micros is not None and self.projected_micros > self.budget_micros

    @property
    def spent_over_budget(self) -> bool:
        return self.budget_micros is not None and self.spent_micros > self.budget_micros


def _start_of_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def ai_budget_micros() -> int | None:
    """The monthly AI budget in millionths, or None when none is set."""
    row = AiCostLimit.objects.filter(endpoint="").first()
    return row.amount_micros if row else None


def _daily_rate(today: date, month_start: date, currency: str) -> tuple[float, float, int]:
    """(mean, standard deviation, days) of the daily spend the projection runs at."""
    first_rate_day = max(today - timedelta(days=RATE_DAYS), month_start)
    if first_rate_day == today:  # the month's first day: use last month's last week
        first_rate_day = today - timedelta(days=RATE_DAYS)
    per_day = ai_cost_per_day(
        since=_start_of_day(first_rate_day), until=_start_of_day(today), currency=currency
    )
    days = [
        per_day.get(first_rate_day + timedelta(days=k), 0)
        for k in range((today - first_rate_day).days)
    ]
    rate = statistics.fmean(days) if days else 0.0
    sd = statistics.stdev(days) if len(days) > 1 else 0.0
    return rate, sd, len(days)


def ai_cost_projection(
    *, now: datetime | None = None, snapshot: AiCostSnapshot | None = None
) -> Projection:
    """This month's AI spend so far and where it is heading. With this month's snapshot (kept
    hourly), only the spend since it is read; the budget is always the current one."""
    now = now or clock.now()
    currency = settings.OPSROOM_AI_CURRENCY
    today = now.date()
    month_start = today.replace(day=1)
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    month_end = _start_of_day(month_start) + timedelta(days=days_in_month)
    held = snapshot.data if snapshot and snapshot.month == f"{month_start:%Y-%m}" else None
    if held is not None and snapshot is not None and snapshot.computed_at <= now:
        spent = held["spent_micros"] + ai_cost_total(
            since=snapshot.computed_at, until=now, currency=currency
        )
        rate, sd, rate_days = held["rate"], held["sd"], held["rate_days"]
    else:
        spent = ai_cost_total(since=_start_of_day(month_start), until=now, currency=currency)
        rate, sd, rate_days = _daily_rate(today, month_start, currency)
    days_left = max((month_end - now).total_seconds() / 86400, 0.0)
    projected = spent + rate * days_left
    high = projected + Z90 * sd * math.sqrt(days_left)
    budget = ai_budget_micros()
    crosses_on = None
    if budget is not None and rate > 0 and spent <= budget:
        crossing = now + timedelta(days=(budget - spent) / rate)
        crosses_on = crossing.date() if crossing < month_end else None
    elif budget is not None and spent > budget:
        crosses_on = today
    return Projection(
        month_start=month_start,
        days_in_month=days_in_month,
        days_left=days_left,
        spent_micros=spent,
        daily_rate_micros=rate,
        daily_sd_micros=sd,
        rate_days=rate_days,
        projected_micros=round(projected),
        projected_high_micros=round(high),
        budget_micros=budget,
        crosses_on=crosses_on,
    )


DIMENSIONS: tuple[Dimension, ...] = ("endpoint", "feature", "model", "person")
DAYS_SHOWN = 30


def ai_cost_snapshot_refresh(*, now: datetime | None = None) -> AiCostSnapshot:
    """Recompute this month's AI cost figures for the dashboard and the cost API."""
    now = now or clock.now()
    currency = settings.OPSROOM_AI_CURRENCY
    today = now.date()
    month_start = today.replace(day=1)
    since_day = today - timedelta(days=DAYS_SHOWN - 1)
    rate, sd, rate_days = _daily_rate(today, month_start, currency)
    per_day = ai_cost_per_day(since=_start_of_day(since_day), until=now, currency=currency)
    data = {
        "spent_micros": ai_cost_total(
            since=_start_of_day(month_start), until=now, currency=currency
        ),
        "rate": rate,
        "sd": sd,
        "rate_days": rate_days,
        "per_day": [
            [
                (since_day + timedelta(days=k)).isoformat(),
                per_day.get(since_day + timedelta(days=k), 0),
            ]
            for k in range(DAYS_SHOWN)
        ],
        "breakdowns": {
            dimension: [
                asdict(row)
                for row in ai_cost_by(
                    dimension=dimension,
                    since=_start_of_day(month_start),
                    until=now,
                    currency=currency,
                )
            ]
            for dimension in DIMENSIONS
        },
    }
    snapshot, _ = AiCostSnapshot.objects.update_or_create(
        month=f"{month_start:%Y-%m}", defaults={"data": data, "computed_at": now}
    )
    return snapshot


def ai_cost_snapshot_current(*, now: datetime | None = None) -> AiCostSnapshot:
    """This month's snapshot, computed now when the hourly job has not made it yet."""
    now = now or clock.now()
    snapshot = AiCostSnapshot.objects.filter(month=f"{now:%Y-%m}").first()
    if snapshot is None or snapshot.computed_at > now:
        snapshot = ai_cost_snapshot_refresh(now=now)
    return snapshot


def ai_budget_watch(*, now: datetime | None = None) -> dict[str, object]:
    """Refresh this month's figures; raise the budget alert once the projection crosses the
    budget."""
    now = now or clock.now()
    projection = ai_cost_projection(now=now, snapshot=ai_cost_snapshot_refresh(now=now))
    if projection.budget_micros is None or not projection.over_budget:
        return {"over_budget": False}
    currency = settings.OPSROOM_AI_CURRENCY.upper()
    when = (
        "already over it"
        if projection.spent_over_budget
        else f"reaching it on {projection.crosses_on:%Y-%m-%d}"
        if projection.crosses_on
        else "crossing it by the month's end"
    )
    alert = alert_raise(
        kind=Alert.Kind.AI_BUDGET,
        title=(
            f"AI cost heading for {projection.projected_micros / 1e6:,.2f} {currency} this month, "
            f"over the {projection.budget_micros / 1e6:,.2f} {currency} budget ({when})"
        ),
        body=(
            f"Spent so far: {projection.spent_micros / 1e6:,.2f} {currency}; "
            f"{projection.daily_rate_micros / 1e6:,.2f} {currency} a day over the last "
            f"{projection.rate_days} days; 90% upper bound "
            f"{projection.projected_high_micros / 1e6:,.2f} {currency}."
        ),
        url=reverse("analytics:ai_cost"),
        dedupe_key=f"ai_budget:{projection.month_start:%Y-%m}",
        audit=AuditContext.system("AI budget watch"),
    )
    return {"over_budget": True, "alerted": alert is not None}


def _amount_micros(amount: float) -> int:
    if not (math.isfinite(amount) and 0 < amount <= MAX_AMOUNT):
        raise InvalidInput(f"An amount must be above 0 and at most {MAX_AMOUNT:,}.")
    return round(amount * 1_000_000)


@transaction.atomic
def ai_cost_limit_set(
    *, endpoint: str, amount: float, audit: AuditContext, period: str = "day"
) -> AiCostLimit:
    """Set the monthly AI budget (endpoint "") or an endpoint's daily or monthly AI cost limit
    (with its throttle flag, switched at once to match the spend)."""
    endpoint = endpoint.strip()
    if len(endpoint) > 200 or "\x00" in endpoint:
        raise InvalidInput("An endpoint has at most 200 characters and no NUL character.")
    if period not in AiCostLimit.Period.values:
        raise InvalidInput("period is day or month.")
    if not endpoint:
        period = AiCostLimit.Period.MONTH  # the budget is a month's
    micros = _amount_micros(amount)
    row, created = AiCostLimit.objects.select_for_update().get_or_create(
        endpoint=endpoint,
        defaults={"amount_micros": micros, "updated_at": clock.now(), "updated_by": audit.label},
    )
    before = None if created else row.amount_micros
    before_period = None if created else row.period
    row.amount_micros, row.updated_at, row.updated_by = micros, clock.now(), audit.label[:150]
    row.period = period
    row.save()
    params: dict[str, object] = {"endpoint": row.endpoint, "from": before, "to": micros}
    if endpoint:
        params |= {"period": period, "flag": ai_limit_flag_ensure(row=row).key}
        if before_period not in (None, period):
            params["period_from"] = before_period
    audit_record(audit, action="ai_cost_limit.set", target=row, params=params)
    if endpoint:
        ai_limits_watch()
    return row


@transaction.atomic
def ai_cost_limit_remove(*, endpoint: str, audit: AuditContext) -> None:
    """Remove the monthly budget (endpoint "") or an endpoint's daily limit."""
    if "\x00" in endpoint:
        raise NotFound("No limit is set for this endpoint.")
    row = AiCostLimit.objects.select_for_update().filter(endpoint=endpoint.strip()).first()
    if row is None:
        raise NotFound("No limit is set for this endpoint.")
    audit_record(
        audit,
        action="ai_cost_limit.remove",
        target=row,
        params={"endpoint": row.endpoint, "was": row.amount_micros},
    )
    ai_limit_flag_off(row=row, audit=audit)
    row.delete()
