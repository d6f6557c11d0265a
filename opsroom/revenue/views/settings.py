"""What operators enter: the growth target, exchange rates and marketing spend (form and CSV)."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from opsroom.core import clock
from opsroom.core.errors import DomainError
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.digest import revenue_digest_recipients_set
from opsroom.revenue.forms import DigestForm, RateForm, SpendForm, SpendImportForm, TargetsForm
from opsroom.revenue.metrics.selectors import ledger_state, revenue_settings_get
from opsroom.revenue.metrics.services import (
    RateRow,
    exchange_rate_record_many,
    revenue_settings_update,
)
from opsroom.revenue.models import ExchangeRate
from opsroom.revenue.selectors import marketing_spend_list
from opsroom.revenue.services import marketing_spend_record_many
from opsroom.revenue.views.access import perm_require, section

PERMISSIONS = {
    "targets": "revenue.change_revenuesettings",
    "rate": "revenue.change_exchangerate",
    "spend": "revenue.change_marketingspend",
    "import": "revenue.change_marketingspend",
    "digest": "revenue.change_revenuesettings",
}


@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Targets, exchange rates and marketing spend; each form checks its own permission."""
    perm_require(request, "revenue.view_marketingspend")
    config = revenue_settings_get()
    chosen = [] if config._state.adding else list(config.digest_recipients.all())
    action = request.POST.get("action", "") if request.method == "POST" else ""
    bound = request.POST if action else None
    forms = {
        "targets": TargetsForm(
            bound if action == "targets" else None,
            initial={
                "growth_target_percent": config.growth_target_percent,
                "ltv_cac_healthy": config.ltv_cac_healthy,
            },
        ),
        "rate": RateForm(bound if action == "rate" else None),
        "spend": SpendForm(bound if action == "spend" else None, initial={"currency": "usd"}),
        "import": SpendImportForm(
            bound if action == "import" else None,
            request.FILES if action == "import" else None,
        ),
        "digest": DigestForm(
            bound if action == "digest" else None,
            initial={"recipients": chosen},
        ),
    }
    status = 200
    if action:
        if action not in forms:
            return HttpResponse("Unknown action.", status=400)
        perm_require(request, PERMISSIONS[action])
        form = forms[action]
        if form.is_valid():
            try:
                message = _apply(action, form.cleaned_data, AuditContext.from_request(request))
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, message)
                return redirect(f"{request.path}#{action}")
        status = 400
    today = clock.now().date()
    return render(
        request,
        "revenue/settings.html",
        section(
            "settings",
            forms=forms,
            config=config,
            rates=ExchangeRate.objects.order_by("-day", "currency")[:50],
            spend=marketing_spend_list(start=today - timedelta(days=400), end=today),
            headline=str(settings.OPSROOM_CURRENCY),
            state=ledger_state(),
            may={key: request.user.has_perm(name) for key, name in PERMISSIONS.items()},
            digest_count=len(chosen),
        ),
        status=status,
    )


def _apply(action: str, data: dict[str, object], audit: AuditContext) -> str:
    if action == "targets":
        revenue_settings_update(
            growth_target_percent=Decimal(str(data["growth_target_percent"])),
            ltv_cac_healthy=Decimal(str(data["ltv_cac_healthy"])),
            audit=audit,
        )
        return "Targets saved."
    if action == "digest":
        chosen = revenue_digest_recipients_set(
            user_ids=[user.pk for user in data["recipients"]],  # type: ignore[attr-defined]
            audit=audit,
        )
        return f"Weekly digest: {len(chosen)} recipients."
    if action == "rate":
        exchange_rate_record_many(
            rows=[
                RateRow(
                    currency=str(data["currency"]),
                    day=data["day"],  # type: ignore[arg-type]
                    rate=Decimal(str(data["rate"])),
                )
            ],
            audit=audit,
        )
        return "Rate saved: the ledger is rebuilt with it at its next run."
    if action == "spend":
        created, updated = marketing_spend_record_many(rows=[data["row"]], audit=audit)  # type: ignore[list-item]
        return "Spend recorded." if created else "Spend updated."
    created, updated = marketing_spend_record_many(rows=data["file"], audit=audit)  # type: ignore[arg-type]
    return f"Imported: {created} new, {updated} updated."
