"""Payment health and recovery."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from opsroom.core.auth import staff_or_key
from opsroom.core.schemas import ErrorOut
from opsroom.revenue.api.access import permission_require
from opsroom.revenue.recovery.selectors import manual_cases, payment_health
from opsroom.revenue.recovery.services import owns_retries, recovery_settings_get
from opsroom.revenue.schemas.recovery import (
    CaseOut,
    DunningStepOut,
    PaymentHealthOut,
    ReasonOut,
    RetryStepOut,
)

router = Router()


@router.get(
    "/revenue/payments/health",
    response={200: PaymentHealthOut, 403: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="revenue_payment_health",
    summary="Payment health and recovery",
)
def health(request: HttpRequest) -> Any:
    """Failed payments of the last 30 days by decline reason and bucket, MRR at risk, recovery
    per retry and its rate, the dunning emails' open and update rates, and the manual cases."""
    permission_require(request, "revenue.view_paymentcase")
    figures = payment_health()
    return PaymentHealthOut(
        since=figures.since,
        failures=figures.failures,
        failed_attempts=figures.failed_attempts,
        reasons=[ReasonOut(**r.__dict__) for r in figures.reasons],
        buckets=figures.buckets,
        open_cases=figures.open_cases,
        mrr_at_risk=figures.mrr_at_risk,
        recovered=figures.recovered,
        lost=figures.lost,
        recovery_rate=figures.recovery_rate,
        recovered_amount=figures.recovered_amount,
        retries=[RetryStepOut(**s.__dict__) for s in figures.steps],
        dunning=[DunningStepOut(**d.__dict__) for d in figures.dunning],
        retry_days=list(recovery_settings_get().retry_days),
        opsroom_retries=owns_retries(),
        manual_cases=[
            CaseOut(
                person_id=case.person_id,
                first_failed_at=case.first_failed_at,
                decline_code=case.decline_code,
                bucket=case.bucket,
                failures=case.failures,
                amount=case.amount,
                mrr=case.mrr,
                currency=case.currency,
            )
            for case in manual_cases()[:100]
        ],
    )
