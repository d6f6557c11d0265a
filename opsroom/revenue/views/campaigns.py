"""Retention campaigns: the list with each one's numbers against its holdout, one campaign's
page (funnel, effect with its interval, entrants), and the form to create or change one.
Changing and running need revenue.manage_campaign; every change is audited."""

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from opsroom.core.errors import DomainError, NotFound
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.selectors import template_list
from opsroom.revenue.campaigns.rules import TRIGGER_KEYS
from opsroom.revenue.campaigns.run import campaigns_run_requested
from opsroom.revenue.campaigns.selectors import (
    campaign_entrants,
    campaign_figures,
    campaign_get,
    campaign_list,
)
from opsroom.revenue.campaigns.services import campaign_create, campaign_update
from opsroom.revenue.models import Campaign
from opsroom.revenue.views.access import perm_require, section

MANAGE = "revenue.manage_campaign"


class JsonField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}.") from exc

    def prepare_value(self, value: Any) -> Any:
        return value if isinstance(value, str) else json.dumps(value, indent=1)


class CampaignForm(forms.Form):
    key = forms.SlugField(max_length=60, help_text="letters, digits, - and _; fixed once saved")
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Campaign.Kind.choices)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    trigger = JsonField(
        required=False,
        help_text='e.g. {"bands": ["high"], "min_mrr": 1000}; keys: '
        + ", ".join(sorted(TRIGGER_KEYS)),
    )
    steps = JsonField(help_text='e.g. [{"template": "winback_miss_you", "day": 0}]')
    offer = forms.ChoiceField(choices=Campaign.Offer.choices, required=False)
    holdout_percent = forms.IntegerField(min_value=1, max_value=50, initial=10)
    reentry_days = forms.IntegerField(min_value=1, max_value=3650, initial=90)
    measure_days = forms.IntegerField(min_value=1, max_value=365, initial=30)
    daily_limit = forms.IntegerField(min_value=1, max_value=100_000, initial=200)
    is_active = forms.BooleanField(required=False, label="Active (the daily run takes people in)")


@require_http_methods(["GET", "POST"])
def campaigns(request: HttpRequest) -> HttpResponse:
    """Every campaign with its numbers; the daily run can be started from here."""
    perm_require(request, "revenue.view_campaign")
    if request.method == "POST":
        perm_require(request, MANAGE)
        run = campaigns_run_requested(audit=AuditContext.from_request(request))
        messages.success(
            request,
            f"Campaigns run: {sum(run.entered.values())} taken in, {run.sent} emails sent, "
            f"{run.deferred} held back (quiet hours or frequency cap), {run.measured} measured.",
        )
        return redirect("revenue:campaigns")
    return render(
        request,
        "revenue/campaigns.html",
        section(
            "campaigns",
            rows=[campaign_figures(c) for c in campaign_list()],
            may_manage=request.user.has_perm(MANAGE),
            currency=str(settings.OPSROOM_CURRENCY),
            quiet=settings.OPSROOM_CAMPAIGN_QUIET_HOURS,
            cap_hours=settings.OPSROOM_CAMPAIGN_CAP_HOURS,
        ),
    )


@require_http_methods(["GET"])
def campaign(request: HttpRequest, key: str) -> HttpResponse:
    perm_require(request, "revenue.view_campaign")
    found = campaign_get(key=key)
    if found is None:
        raise NotFound(f"No campaign {key!r}.")
    return render(
        request,
        "revenue/campaign.html",
        section(
            "campaigns",
            figures=campaign_figures(found),
            entrants=campaign_entrants(found),
            may_manage=request.user.has_perm(MANAGE),
            currency=str(settings.OPSROOM_CURRENCY),
        ),
    )


@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, key: str = "") -> HttpResponse:
    """Create a campaign (no key) or change one."""
    perm_require(request, MANAGE)
    existing = campaign_get(key=key) if key else None
    if key and existing is None:
        raise NotFound(f"No campaign {key!r}.")
    initial = {}
    if existing is not None:
        initial = {name: getattr(existing, name) for name in CampaignForm.base_fields}
    form = CampaignForm(request.POST or None, initial=initial)
    if existing is not None:
        form.fields["key"].disabled = True
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = dict(form.cleaned_data)
            values.pop("key")
            values["trigger"] = values["trigger"] or {}
            values["offer"] = values["offer"] or ""
            audit = AuditContext.from_request(request)
            try:
                if existing is None:
                    saved = campaign_create(
                        key=form.cleaned_data["key"], values=values, audit=audit
                    )
                else:
                    saved = campaign_update(key=existing.key, changes=values, audit=audit)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Campaign {saved.name!r} saved.")
                return redirect("revenue:campaign", key=saved.key)
        status = 400
    return render(
        request,
        "revenue/campaign_edit.html",
        section(
            "campaigns",
            form=form,
            existing=existing,
            templates=template_list(),
        ),
        status=status,
    )
