"""Attribution: signups, trials, customers, MRR, spend and CAC by channel, campaign and landing
page, under first- or last-touch credit, for a period of signup months."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.analytics.services.attribution import (
    attribution_period,
    attribution_report,
    attribution_totals,
)
from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_needed
from opsroom.revenue.selectors import headline_currency

BY = (("channel", "Channel"), ("campaign", "Campaign"), ("content", "Landing page"))


@require_GET
@permissions_needed("analytics.view_attributioncell")
def attribution(request: HttpRequest) -> HttpResponse:
    """The attribution tables of a period (signup months), by channel, campaign or page."""
    params = {name: request.GET.get(name) or None for name in ("start", "end", "by", "model")}
    for name, value in params.items():
        if value is not None and ("\x00" in value or len(value) > 20):
            raise InvalidInput(f"{name} is too long or holds a NUL character.")
    start, end = attribution_period(
        start=params["start"], end=params["end"], today=clock.now().date()
    )
    by, model = params["by"] or "channel", params["model"] or "last"
    report = attribution_report(start=start, end=end, by=by, model=model)
    rows = [
        {
            "row": row,
            "credited": row.credited,
            "cac": round(row.cac) if row.cac is not None else None,
        }
        for row in report.rows
    ]
    return render(
        request,
        "analytics/attribution.html",
        {
            "report": report,
            "rows": rows,
            "totals": attribution_totals(report.rows),
            "currency": headline_currency(),
            "by_choices": BY,
            "start": f"{start:%Y-%m}",
            "end": f"{end:%Y-%m}",
        },
    )
