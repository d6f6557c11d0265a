"""What needs attention today, for the top of the command center: MRR at risk of churn, failed
payments and the MRR they hold, the most common risk factor, and the campaigns' reach today.
Cheap reads (aggregates over the daily predictions and the payment cases)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Sum

from opsroom.core import clock
from opsroom.revenue.campaigns.selectors import campaign_sends_today
from opsroom.revenue.churn.selectors import churn_board
from opsroom.revenue.models import PaymentCase


@dataclass(frozen=True)
class Attention:
    at_risk_customers: int  # high and medium bands
    at_risk_mrr: int  # headline currency, minor units
    high_customers: int
    failed_payments_30d: int  # cases with a first failure in 30 days
    failed_open: int
    failed_open_mrr: dict[str, int]  # per currency
    top_factor: tuple[str, int] | None  # (feature, at-risk customers it pushes)
    campaign_emails_today: int
    scored: bool  # whether any prediction exists


def attention_now(*, now: datetime | None = None) -> Attention:
    now = now or clock.now()
    board = churn_board(factors=1)
    bands = board.bands
    at_risk = [bands["high"], bands["medium"]]
    open_cases = PaymentCase.objects.filter(status=PaymentCase.Status.OPEN)
    open_mrr = {
        row["currency"]: int(row["mrr"] or 0)
        for row in open_cases.values("currency").annotate(mrr=Sum("mrr"), n=Count("id"))
    }
    factors = board.top_factors
    return Attention(
        at_risk_customers=sum(b.customers for b in at_risk),
        at_risk_mrr=sum(b.mrr for b in at_risk),
        high_customers=bands["high"].customers,
        failed_payments_30d=PaymentCase.objects.filter(
            first_failed_at__gte=now - timedelta(days=30), first_failed_at__lte=now
        ).count(),
        failed_open=open_cases.count(),
        failed_open_mrr=open_mrr,
        top_factor=factors[0] if factors else None,
        campaign_emails_today=campaign_sends_today(now=now),
        scored=any(b.customers for b in bands.values()),
    )
