"""Payment health and recovery: failures by reason and bucket, MRR at risk, recovery per
retry, the dunning emails, the manual cases, and the retry schedule."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from opsroom.core.errors import DomainError
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.recovery.selectors import manual_cases, payment_health
from opsroom.revenue.recovery.services import (
    owns_retries,
    recovery_settings_get,
    recovery_settings_update,
)
from opsroom.revenue.stripe_api import stripe_client
from opsroom.revenue.views.access import perm_require, section


class ScheduleForm(forms.Form):
    retry_days = forms.CharField(
        label="Retry on days after the failure", help_text="e.g. 3, 7, 14", max_length=60
    )
    expiry_days = forms.CharField(
        label="Card-expiry notices, days before", help_text="e.g. 30, 14, 7", max_length=60
    )

    def _days(self, name: str) -> list[int]:
        text = self.cleaned_data[name].replace(" ", "")
        try:
            return [int(part) for part in text.split(",") if part]
        except ValueError:
            raise forms.ValidationError("Whole numbers separated by commas.") from None

    def clean_retry_days(self) -> list[int]:
        return self._days("retry_days")

    def clean_expiry_days(self) -> list[int]:
        return self._days("expiry_days")


@require_http_methods(["GET", "POST"])
def payments(request: HttpRequest) -> HttpResponse:
    """The payment health monitor."""
    perm_require(request, "revenue.view_paymentcase")
    config = recovery_settings_get()
    form = ScheduleForm(
        request.POST or None,
        initial={
            "retry_days": ", ".join(str(d) for d in config.retry_days),
            "expiry_days": ", ".join(str(d) for d in config.expiry_days),
        },
    )
    status = 200
    if request.method == "POST":
        perm_require(request, "revenue.manage_payment_recovery")
        if form.is_valid():
            try:
                recovery_settings_update(
                    retry_days=form.cleaned_data["retry_days"],
                    expiry_days=form.cleaned_data["expiry_days"],
                    audit=AuditContext.from_request(request),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Retry schedule saved.")
                return redirect("revenue:payments")
        status = 400
    figures = payment_health()
    return render(
        request,
        "revenue/payments.html",
        section(
            "payments",
            figures=figures,
            cases=manual_cases()[:50],
            config=config,
            form=form,
            owns=owns_retries(),
            stripe=stripe_client() is not None,
            may_change=request.user.has_perm("revenue.manage_payment_recovery"),
            currency=str(settings.OPSROOM_CURRENCY),
        ),
        status=status,
    )
