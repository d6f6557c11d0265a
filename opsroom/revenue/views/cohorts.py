"""The cohort page: retention heat-map by first-payment or signup month, and its insights."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.revenue.cohorts.build import MAX_AGE
from opsroom.revenue.cohorts.insights import cohort_insights
from opsroom.revenue.cohorts.selectors import cohort_filters, cohort_table
from opsroom.revenue.models import CohortCell
from opsroom.revenue.views.access import perm_require, section


def heat(value: float | None) -> str:
    """The heat-map class of a retention share: heat-0 (none kept) to heat-10 (all kept)."""
    if value is None:
        return "heat-none"
    return f"heat-{max(0, min(10, round(value * 10)))}"


@require_GET
def cohorts(request: HttpRequest) -> HttpResponse:
    """Customer and MRR retention by cohort, M0..M12, with LTV and the insights."""
    perm_require(request, "revenue.view_cohortcell")
    basis = request.GET.get("basis", CohortCell.Basis.FIRST_PAYMENT)
    if basis not in CohortCell.Basis.values:
        basis = CohortCell.Basis.FIRST_PAYMENT
    measure = "mrr" if request.GET.get("measure") == "mrr" else "customers"
    channels, plans = cohort_filters()
    channel = request.GET.get("channel", "")
    plan = request.GET.get("plan", "")
    channel = channel if channel in channels else ""
    plan = plan if plan in plans else ""
    rows = cohort_table(basis=basis, channel=channel, plan=plan)
    table = [
        (
            row,
            [
                (value, heat(value), kept)
                for value, kept in zip(getattr(row, measure), row.retained, strict=True)
            ],
        )
        for row in rows
    ]
    return render(
        request,
        "revenue/cohorts.html",
        section(
            "cohorts",
            table=list(reversed(table)),
            ages=list(range(MAX_AGE + 1)),
            insights=cohort_insights(rows=rows),
            basis=basis,
            bases=CohortCell.Basis.choices,
            measure=measure,
            channels=channels,
            plans=plans,
            channel=channel,
            plan=plan,
            currency=str(settings.OPSROOM_CURRENCY),
        ),
    )
