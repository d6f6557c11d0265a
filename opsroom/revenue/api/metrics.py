"""MRR per period, the overview cards, movements and the subscriptions behind them, segments,
marketing spend, exchange rates, the ledger's rebuild and the operators' settings."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Router

from opsroom.core import clock
from opsroom.core.auth import staff_or_key
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.schemas import ErrorOut, Text
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.api.access import MANAGE, month_parse, permission_require
from opsroom.revenue.metrics.selectors import (
    PERIOD_INTERVALS,
    ledger_state,
    movements_list,
    movements_total,
    mrr_periods,
    overview_latest,
    revenue_settings_get,
    segments_for_month,
)
from opsroom.revenue.metrics.services import (
    RateRow,
    exchange_rate_record_many,
    mrr_ledger_rebuild,
    revenue_settings_update,
)
from opsroom.revenue.models import ExchangeRate, MrrMovement
from opsroom.revenue.schemas.metrics import (
    LedgerRunOut,
    MovementOut,
    MovementPage,
    MrrOut,
    MrrPeriodOut,
    OverviewOut,
    RateIn,
    RateOut,
    RatesWriteOut,
    SegmentOut,
    SegmentsOut,
    SettingsIn,
    SettingsOut,
    SpendIn,
    SpendOut,
    SpendWriteOut,
)
from opsroom.revenue.selectors import marketing_spend_list
from opsroom.revenue.services import SpendRow, marketing_spend_record_many

router = Router()
PAGE_SIZE = 50
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _range(start: str, end: str) -> tuple[date, date]:
    """From a start month (or day) to an end month's last day (or a day); a year by default."""
    last = month_parse(end, "end", last_day=True) if end else clock.now().date()
    first = month_parse(start, "start") if start else (last - timedelta(days=365)).replace(day=1)
    return first, last


@router.get(
    "/revenue/mrr",
    response={200: MrrOut, **ERRORS},
    auth=staff_or_key("read"),
    operation_id="revenue_mrr",
)
def mrr(request: HttpRequest, start: Text = "", end: Text = "", interval: Text = "month") -> Any:
    """MRR at the end of each period and its movements (new, expansion, contraction, churn,
    reactivation; integer minor units, contraction and churn negative), with paying customers."""
    permission_require(request, "revenue.view_mrrday")
    if interval not in PERIOD_INTERVALS:
        raise InvalidInput(f"interval must be one of {', '.join(PERIOD_INTERVALS)}.")
    first, last = _range(start, end)
    periods = mrr_periods(start=first, end=last, interval=interval)
    state = ledger_state()
    return MrrOut(
        currency=periods[0].currency if periods else "",
        interval=interval,
        built_through=state.built_through if state else None,
        periods=[MrrPeriodOut(**period.__dict__) for period in periods],
    )


@router.get(
    "/revenue/overview",
    response={200: OverviewOut, **ERRORS},
    auth=staff_or_key("read"),
    operation_id="revenue_overview",
)
def overview(request: HttpRequest) -> Any:
    """The overview cards as of the last ledger update (docs/revenue.md defines each)."""
    permission_require(request, "revenue.view_revenueoverview")
    latest = overview_latest()
    if latest is None:
        raise NotFound("The ledger has not been built yet (manage.py revenue_ledger --rebuild).")
    return OverviewOut(
        day=latest.day,
        currency=latest.currency,
        computed_at=latest.computed_at.isoformat(),
        figures=latest.figures,
    )


def _movement_out(row: MrrMovement) -> MovementOut:
    return MovementOut(
        day=row.day,
        kind=row.kind,
        amount=row.amount,
        native_amount=row.native_amount,
        currency=row.currency,
        customer_mrr_before=row.customer_mrr_before,
        customer_mrr_after=row.customer_mrr_after,
        person_id=row.person_id,
        person_external_id=row.person.external_id,
        person_name=row.person.name,
        person_email=row.person.email,
        subscription_id=row.subscription_id,
        provider_subscription_id=row.subscription.provider_subscription_id,
        plan_code=row.plan_code,
        interval=row.interval,
        channel=row.channel,
        country=row.country,
    )


@router.get(
    "/revenue/movements",
    response={200: MovementPage, **ERRORS},
    auth=staff_or_key("read"),
    operation_id="revenue_movements",
)
def movements(
    request: HttpRequest,
    kind: Text = "",
    start: Text = "",
    end: Text = "",
    dimension: Text = "",
    key: Text = "",
    page: int = 1,
) -> Any:
    """The movements of a kind (all when empty) between two months or days, newest first,
    each with the customer and the subscription behind it."""
    permission_require(request, "revenue.view_mrrmovement")
    first, last = _range(start, end)
    rows = movements_list(
        kind=kind or None,
        start=first,
        end=last,
        dimension=dimension or None,
        key=key if dimension else None,
    )
    total = movements_total(rows)
    paginator = Paginator(rows, PAGE_SIZE)
    if page < 1 or page > max(paginator.num_pages, 1):
        raise InvalidInput(f"page must be between 1 and {max(paginator.num_pages, 1)}.")
    current = paginator.get_page(page)
    return MovementPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        total=total,
        results=[_movement_out(row) for row in current.object_list],
    )


@router.get(
    "/revenue/segments",
    response={200: SegmentsOut, **ERRORS},
    auth=staff_or_key("read"),
    operation_id="revenue_segments",
)
def segments(request: HttpRequest, dimension: Text = "plan", month: Text = "") -> Any:
    """MRR and subscriptions (plan, interval) or customers (channel, country) at a month's
    end, with the month's movements, largest first."""
    permission_require(request, "revenue.view_mrrsegmentmonth")
    day = month_parse(month, "month") if month else clock.now().date()
    rows = segments_for_month(month=day, dimension=dimension)
    return SegmentsOut(
        month=f"{day:%Y-%m}",
        dimension=dimension,
        currency=str(settings.OPSROOM_CURRENCY),
        segments=[SegmentOut(**row.__dict__) for row in rows],
    )


@router.get(
    "/revenue/marketing-spend",
    response={200: list[SpendOut], **ERRORS},
    auth=staff_or_key("read"),
    operation_id="revenue_marketing_spend_list",
)
def spend_list(request: HttpRequest, start: Text = "", end: Text = "") -> Any:
    """Marketing spend per channel, campaign and month."""
    permission_require(request, "revenue.view_marketingspend")
    first, last = _range(start, end)
    return [
        SpendOut(
            channel=row.channel,
            campaign=row.campaign,
            month=f"{row.month:%Y-%m}",
            amount=row.amount,
            currency=row.currency,
            note=row.note,
        )
        for row in marketing_spend_list(start=first, end=last)
    ]


@router.post(
    "/revenue/marketing-spend",
    response={200: SpendWriteOut, **ERRORS},
    auth=MANAGE,
    operation_id="revenue_marketing_spend_record",
)
def spend_record(request: HttpRequest, data: list[SpendIn]) -> Any:
    """Record spend per channel, campaign and month (a later entry replaces it); audited."""
    permission_require(request, "revenue.change_marketingspend")
    if not data or len(data) > 1000:
        raise InvalidInput("Send 1 to 1000 entries.")
    rows = [
        SpendRow(
            channel=item.channel,
            campaign=item.campaign,
            month=month_parse(item.month, "month"),
            amount=item.amount,
            currency=item.currency,
            note=item.note,
        )
        for item in data
    ]
    created, updated = marketing_spend_record_many(
        rows=rows, audit=AuditContext.from_request(request)
    )
    return SpendWriteOut(created=created, updated=updated)


@router.get(
    "/revenue/exchange-rates",
    response={200: list[RateOut], **ERRORS},
    auth=staff_or_key("read"),
    operation_id="revenue_exchange_rates_list",
)
def rates_list(request: HttpRequest, currency: Text = "") -> Any:
    """Exchange rates into the headline currency, newest first."""
    permission_require(request, "revenue.view_exchangerate")
    rows = ExchangeRate.objects.order_by("-day", "currency")
    if currency:
        rows = rows.filter(currency=currency.lower()[:3])
    return [
        RateOut(currency=row.currency, day=row.day, rate=str(row.rate), source=row.source)
        for row in rows[:1000]
    ]


@router.post(
    "/revenue/exchange-rates",
    response={200: RatesWriteOut, **ERRORS},
    auth=MANAGE,
    operation_id="revenue_exchange_rates_record",
)
def rates_record(request: HttpRequest, data: list[RateIn]) -> Any:
    """Record rates (1 unit of the currency in the headline currency, from a day on); the
    ledger is rebuilt with them at its next run. Audited."""
    permission_require(request, "revenue.change_exchangerate")
    if not data or len(data) > 1000:
        raise InvalidInput("Send 1 to 1000 rates.")
    written = exchange_rate_record_many(
        rows=[
            RateRow(currency=item.currency, day=item.day, rate=item.rate, source=item.source)
            for item in data
        ],
        audit=AuditContext.from_request(request),
    )
    return RatesWriteOut(written=written, rebuild_pending=True)


@router.post(
    "/revenue/ledger/rebuild",
    response={200: LedgerRunOut, **ERRORS},
    auth=MANAGE,
    operation_id="revenue_ledger_rebuild",
)
def ledger_rebuild(request: HttpRequest) -> Any:
    """Rebuild the MRR ledger, snapshots and segments from the change log now."""
    permission_require(request, "revenue.rebuild_ledger")
    run = mrr_ledger_rebuild(audit=AuditContext.from_request(request))
    return LedgerRunOut(**run.__dict__)


@router.get(
    "/revenue/settings",
    response={200: SettingsOut, **ERRORS},
    auth=staff_or_key("read"),
    operation_id="revenue_settings_get",
)
def settings_get(request: HttpRequest) -> Any:
    """The MRR growth target and the healthy LTV:CAC."""
    config = revenue_settings_get()
    return SettingsOut(
        growth_target_percent=float(config.growth_target_percent),
        ltv_cac_healthy=float(config.ltv_cac_healthy),
    )


@router.put(
    "/revenue/settings",
    response={200: SettingsOut, **ERRORS},
    auth=MANAGE,
    operation_id="revenue_settings_update",
)
def settings_update(request: HttpRequest, data: SettingsIn) -> Any:
    """Set the MRR growth target and the healthy LTV:CAC; audited."""
    permission_require(request, "revenue.change_revenuesettings")
    config = revenue_settings_update(
        growth_target_percent=Decimal(str(data.growth_target_percent)),
        ltv_cac_healthy=Decimal(str(data.ltv_cac_healthy)),
        audit=AuditContext.from_request(request),
    )
    return SettingsOut(
        growth_target_percent=float(config.growth_target_percent),
        ltv_cac_healthy=float(config.ltv_cac_healthy),
    )
