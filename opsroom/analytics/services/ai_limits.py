"""Endpoints' AI cost limits, told to the host app as feature flags it already reads.

Each endpoint with a limit (a day's or a month's, UTC) has a flag `ai-limit-<endpoint as a
slug>` (variant "on" for everyone, default "off"), switched on while the spend of the current
period is at or over the limit and off otherwise: so it turns on when the spend crosses the
limit and off when a new period starts (or the limit is raised or removed). The watch runs
every minute and after each change of a limit; a crossing raises an alert (email and signed
webhook, once per endpoint and period) and is audited, and every flag change goes through the
flag service (version bump, `flag.change` audit, `flag.changed` webhook to the host app).
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from opsroom.analytics.alerts import alert_raise
from opsroom.analytics.models import AiCostLimit, Alert
from opsroom.core import clock
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.experiments.rollouts import FlagChange, flag_change
from opsroom.experiments.selectors import flag_get
from opsroom.experiments.services import flag_upsert_many
from opsroom.telemetry.ai_usage import ai_cost_per_endpoint

if TYPE_CHECKING:
    from opsroom.experiments.models import FeatureFlag

FLAG_PREFIX = "ai-limit-"
WATCH = AuditContext.system("AI cost limit watch")


def period_start(period: str, now: datetime) -> datetime:
    """The start (UTC) of the day or month `now` is in."""
    day = now.astimezone(UTC).date()
    if period == AiCostLimit.Period.MONTH:
        day = day.replace(day=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class EndpointLimit:
    endpoint: str
    period: str  # day or month
    limit_micros: int
    spent_micros: int  # in the current period
    spent_today_micros: int
    period_start: datetime
    flag_key: str

    @property
    def is_throttled(self) -> bool:
        return self.spent_micros >= self.limit_micros


def ai_endpoint_limits(*, now: datetime | None = None) -> list[EndpointLimit]:
    """Every endpoint with an AI cost limit, its spend in the limit's period and today (UTC)."""
    now = now or clock.now()
    limits = list(AiCostLimit.objects.exclude(endpoint="").order_by("endpoint"))
    if not limits:
        return []
    currency = settings.OPSROOM_AI_CURRENCY
    day = period_start(AiCostLimit.Period.DAY, now)
    month = period_start(AiCostLimit.Period.MONTH, now)
    today = ai_cost_per_endpoint(since=day, until=now, currency=currency)
    this_month = (
        ai_cost_per_endpoint(since=month, until=now, currency=currency)
        if any(row.period == AiCostLimit.Period.MONTH for row in limits)
        else {}
    )
    return [
        EndpointLimit(
            endpoint=row.endpoint,
            period=row.period,
            limit_micros=row.amount_micros,
            spent_micros=(this_month if row.period == AiCostLimit.Period.MONTH else today).get(
                row.endpoint, 0
            ),
            spent_today_micros=today.get(row.endpoint, 0),
            period_start=month if row.period == AiCostLimit.Period.MONTH else day,
            flag_key=row.flag_key,
        )
        for row in limits
    ]


def _flag_key_for(endpoint: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", endpoint.lower()).strip("-")[:80] or "endpoint"
    key = FLAG_PREFIX + slug
    taken = AiCostLimit.objects.filter(flag_key=key).exclude(endpoint=endpoint).exists()
    if taken:  # another endpoint has the same slug ("POST /a/b" and "POST /a-b")
        key = f"{key}-{hashlib.sha256(endpoint.encode()).hexdigest()[:8]}"
    return key


def ai_limit_flag_ensure(*, row: AiCostLimit) -> "FeatureFlag":
    """The endpoint's throttle flag, created (off) the first time."""
    if not row.flag_key:
        row.flag_key = _flag_key_for(row.endpoint)
        row.save(update_fields=["flag_key"])
    flag = flag_get(key=row.flag_key)
    if flag is None:
        created = flag_upsert_many(
            rows=[
                {
                    "key": row.flag_key,
                    "name": f"AI cost limit: {row.endpoint}"[:200],
                    "description": (
                        f"On while the AI cost of {row.endpoint} this {row.period} is at or "
                        "over its limit: throttle the endpoint. Set by Opsroom's AI cost "
                        "limits (Analytics → AI cost); changes made here are put back."
                    ),
                    "is_enabled": False,
                    "variants": [{"key": "on", "weight": 1}],
                    "default_variant": "off",
                    "rules": [],
                    "rollout_percent": 100,
                }
            ]
        )
        flag = created.by_key[row.flag_key]
    return flag


@transaction.atomic
def ai_limits_watch(
    *, now: datetime | None = None, audit: AuditContext = WATCH
) -> dict[str, list[str]]:
    """Switch each endpoint's throttle flag to match its spend in the current period; alert
    and audit when a limit is reached, audit when a new period (or a higher limit) lifts it."""
    now = now or clock.now()
    rows = {
        row.endpoint: row
        for row in AiCostLimit.objects.select_for_update().exclude(endpoint="").order_by("pk")
    }
    throttled, reached, lifted = [], [], []
    currency = settings.OPSROOM_AI_CURRENCY.upper()
    for limit in ai_endpoint_limits(now=now):
        row = rows[limit.endpoint]
        flag = ai_limit_flag_ensure(row=row)
        over = limit.is_throttled
        figures = {
            "endpoint": row.endpoint,
            "period": row.period,
            "period_start": limit.period_start.isoformat(),
            "limit_micros": limit.limit_micros,
            "spent_micros": limit.spent_micros,
            "flag": flag.key,
        }
        if over:
            throttled.append(row.endpoint)
        if over and (row.throttled_since is None or row.throttled_since < limit.period_start):
            row.throttled_since = now
            row.save(update_fields=["throttled_since"])
            reached.append(row.endpoint)
            audit_record(audit, action="ai_cost_limit.reached", target=row, params=figures)
            alert_raise(
                kind=Alert.Kind.AI_LIMIT,
                title=(
                    f"{row.endpoint} reached its AI cost limit for the {row.period}: "
                    f"{limit.spent_micros / 1e6:,.2f} of {limit.limit_micros / 1e6:,.2f} "
                    f"{currency}; its flag {flag.key} is on"
                ),
                body=(
                    f"The host app reads the flag {flag.key} (GET /api/v1/flags) and "
                    f"GET /api/v1/ai/limits to throttle the endpoint until the "
                    f"{row.period} ends or the limit is raised."
                ),
                url=reverse("analytics:ai_cost"),
                dedupe_key=f"ai_limit:{row.endpoint}:{limit.period_start:%Y-%m-%d}",
                audit=audit,
            )
        elif not over and row.throttled_since is not None:
            new_period = row.throttled_since < limit.period_start
            row.throttled_since = None
            row.save(update_fields=["throttled_since"])
            lifted.append(row.endpoint)
            reason = "a new period" if new_period else "the limit was raised"
            audit_record(
                audit, action="ai_cost_limit.lifted", target=row, params={**figures, "why": reason}
            )
        if flag.is_enabled != over:
            flag_change(flag=flag, change=FlagChange(is_enabled=over), audit=audit)
    return {"throttled": throttled, "reached": reached, "lifted": lifted}


def ai_limit_flag_off(*, row: AiCostLimit, audit: AuditContext) -> None:
    """Switch a removed limit's flag off (the flag stays, off, for the host app's cache)."""
    flag = flag_get(key=row.flag_key) if row.flag_key else None
    if flag is not None and flag.is_enabled:
        flag_change(flag=flag, change=FlagChange(is_enabled=False), audit=audit)
