"""Cohort retention and its insights."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router

from opsroom.core.auth import staff_or_key
from opsroom.core.schemas import ErrorOut, Text
from opsroom.revenue.api.access import permission_require
from opsroom.revenue.cohorts.insights import cohort_insights
from opsroom.revenue.cohorts.selectors import cohort_table
from opsroom.revenue.schemas.cohorts import CohortInsightOut, CohortOut, CohortsOut

router = Router()
TEST = "two-proportion z-test against the 6 cohorts before, Benjamini-Hochberg adjusted"


@router.get(
    "/revenue/cohorts",
    response={200: CohortsOut, 400: ErrorOut, 403: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="revenue_cohorts",
    summary="Cohort retention",
)
def cohorts(
    request: HttpRequest, basis: Text = "first_payment", channel: Text = "", plan: Text = ""
) -> Any:
    """Customer and MRR retention by cohort (month of first payment, or of signup), M0..M12,
    with LTV so far per customer, and the cohorts that differ from the trend beyond chance."""
    permission_require(request, "revenue.view_cohortcell")
    rows = cohort_table(basis=basis, channel=channel[:64], plan=plan[:64])
    return CohortsOut(
        basis=basis,
        channel=channel[:64],
        plan=plan[:64],
        currency=str(settings.OPSROOM_CURRENCY),
        cohorts=[
            CohortOut(
                cohort=f"{row.cohort:%Y-%m}",
                size=row.size,
                start_mrr=row.start_mrr,
                customer_retention=row.customers,
                mrr_retention=row.mrr,
                retained=row.retained,
                ltv=row.ltv,
            )
            for row in rows
        ],
        insights=[
            CohortInsightOut(
                cohort=f"{i.cohort:%Y-%m}",
                age=i.age,
                retention=i.retention,
                trend=i.trend,
                difference=i.difference,
                p_value=i.p_value,
                test=TEST,
                size=i.size,
                context=i.context,
                action=i.action,
            )
            for i in cohort_insights(rows=rows)
        ],
    )
