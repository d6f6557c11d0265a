"""Exchange rates into the headline currency, and the revenue settings (targets)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.revenue.metrics.services.recompute import _headline, _overview_refresh
from opsroom.revenue.metrics.services.update import ledger_rebuild_request
from opsroom.revenue.models import (
    ExchangeRate,
    MrrDay,
    RevenueSettings,
)


@dataclass(frozen=True)
class RateRow:
    currency: str
    day: date
    rate: str | Decimal
    source: str = ""


@transaction.atomic
def exchange_rate_record_many(*, rows: Sequence[RateRow], audit: AuditContext | None) -> int:
    """Record exchange rates into the headline currency (a later row for a day replaces it) and
    have the ledger rebuilt with them; return how many were written."""
    headline = _headline()
    for row in rows:
        currency = row.currency.strip().lower()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput(f"'{row.currency}' is not a three-letter currency code.")
        if currency == headline:
            raise InvalidInput(f"{currency.upper()} is the headline currency: its rate is 1.")
        try:
            rate = Decimal(str(row.rate))
        except InvalidOperation:
            raise InvalidInput(f"'{row.rate}' is not a number.") from None
        if not rate.is_finite() or rate <= 0 or rate >= Decimal(10) ** 10:
            raise InvalidInput(f"A rate must be a positive number (got {row.rate}).")
        ExchangeRate.objects.update_or_create(
            currency=currency,
            day=row.day,
            defaults={"rate": rate, "source": row.source[:64], "updated_at": clock.now()},
        )
        if audit is not None:
            audit_record(
                audit,
                action="revenue.exchange_rate_set",
                target_type="revenue.exchangerate",
                target_id=f"{currency}:{row.day}",
                target_label=f"{currency.upper()} on {row.day}",
                params={"currency": currency, "day": f"{row.day}", "rate": str(rate)},
            )
    if rows:
        ledger_rebuild_request()
    return len(rows)


@transaction.atomic
def revenue_settings_update(
    *, growth_target_percent: Decimal, ltv_cac_healthy: Decimal, audit: AuditContext
) -> RevenueSettings:
    """Set the MRR growth target and the healthy LTV:CAC, and audit it."""
    if not Decimal(-100) <= growth_target_percent <= Decimal(1000):
        raise InvalidInput("The growth target is a percentage between -100 and 1000.")
    if not Decimal(0) < ltv_cac_healthy <= Decimal(100):
        raise InvalidInput("A healthy LTV:CAC is a ratio above 0 and at most 100.")
    config, _ = RevenueSettings.objects.get_or_create(pk=1)
    before = {
        "growth_target_percent": str(config.growth_target_percent),
        "ltv_cac_healthy": str(config.ltv_cac_healthy),
    }
    config.growth_target_percent = growth_target_percent.quantize(Decimal("0.01"))
    config.ltv_cac_healthy = ltv_cac_healthy.quantize(Decimal("0.01"))
    config.updated_at = clock.now()
    config.save()
    audit_record(
        audit,
        action="revenue.settings_update",
        target=config,
        params={
            "before": before,
            "growth_target_percent": str(config.growth_target_percent),
            "ltv_cac_healthy": str(config.ltv_cac_healthy),
        },
    )
    overview_day = clock.now().date()
    if MrrDay.objects.exists():
        _overview_refresh(overview_day)
    return config
