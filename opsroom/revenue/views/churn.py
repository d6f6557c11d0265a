"""Churn prevention: the risk bands, the at-risk and manual-review lists, and one customer's
risk with the manual actions (permission-checked, audited)."""

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from opsroom.core import clock
from opsroom.core.errors import DomainError
from opsroom.core.labels import name_label
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.revenue.campaigns.selectors import (
    campaign_sends_today,
    interventions_for_person,
    recommendation_for,
    recommendation_needs,
)
from opsroom.revenue.churn.actions import NOTE_MAX, risk_action_record, risk_call_done
from opsroom.revenue.churn.phrases import factor_phrase
from opsroom.revenue.churn.selectors import (
    at_risk_list,
    band_history_for_person,
    calls_due_for,
    churn_board,
    contacted_recently,
    manual_review_list,
    prediction_for_person,
    recently_improved,
    risk_actions_for_person,
    risk_actions_today,
)
from opsroom.revenue.models import ChurnPrediction, RiskAction, RiskBand
from opsroom.revenue.views.access import perm_require, section


def _reasons(prediction: ChurnPrediction) -> list[str]:
    return [factor_phrase(f, prediction.signals or {}) for f in prediction.factors or []]


@require_http_methods(["GET"])
def churn(request: HttpRequest) -> HttpResponse:
    """The churn-prevention dashboard."""
    perm_require(request, "revenue.view_churnprediction")
    band = request.GET.get("band", "")
    if band not in ("", *RiskBand.values):
        band = ""
    rows = list(at_risk_list(band=band or None)[:100])
    contacted = contacted_recently(person_ids=[p.person_id for p in rows])
    board = churn_board()
    return render(
        request,
        "revenue/churn.html",
        section(
            "churn",
            bands=board.bands,
            computed_at=board.computed_at,
            band=band,
            rows=[(p, _reasons(p)[:2], p.person_id in contacted) for p in rows],
            review=list(manual_review_list()[:20]),
            improved=recently_improved(since=clock.now().date() - timedelta(days=30)),
            factors=[(name_label(name), n) for name, n in board.top_factors],
            actions_today=risk_actions_today(),
            campaign_sends_today=campaign_sends_today(),
            calls=list(calls_due_for(staff_id=request.user.pk or 0)[:20]),
            currency=str(settings.OPSROOM_CURRENCY),
        ),
    )


class ActionForm(forms.Form):
    kind = forms.ChoiceField(choices=RiskAction.Kind.choices)
    note = forms.CharField(required=False, max_length=NOTE_MAX, widget=forms.Textarea)
    subject = forms.CharField(required=False, max_length=200)
    body = forms.CharField(required=False, widget=forms.Textarea, label="Message")
    due_at = forms.DateTimeField(
        required=False,
        label="Call at (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    assignee = forms.ModelChoiceField(
        required=False,
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True),
        label="Who calls",
    )


@require_http_methods(["GET", "POST"])
def churn_person(request: HttpRequest, person_id: int) -> HttpResponse:
    """One customer's churn risk, its reasons, its history and what staff did."""
    perm_require(request, "revenue.view_churnprediction")
    person = get_object_or_404(Person, pk=person_id)
    form = ActionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        perm_require(request, "revenue.act_on_churn_risk")
        audit = AuditContext.from_request(request)
        if "done" in request.POST:
            try:
                risk_call_done(action_id=int(request.POST["done"]), audit=audit)
            except ValueError:
                messages.error(request, "That is not a call.")
            else:
                messages.success(request, "Call marked as made.")
            return redirect("revenue:churn_person", person_id=person.pk)
        if form.is_valid():
            data: dict[str, Any] = form.cleaned_data
            if data["kind"] == RiskAction.Kind.FREE_MONTH:
                perm_require(request, "revenue.grant_complimentary_subscription")
            try:
                risk_action_record(
                    person_id=person.pk,
                    kind=data["kind"],
                    staff=request.user,
                    audit=audit,
                    note=data["note"],
                    subject=data["subject"],
                    body=data["body"],
                    due_at=data["due_at"],
                    assignee_id=data["assignee"].pk if data["assignee"] else None,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                label = RiskAction.Kind(data["kind"]).label
                messages.success(request, f"{label}: recorded.")
                return redirect("revenue:churn_person", person_id=person.pk)
        status = 400
    prediction = prediction_for_person(person_id=person.pk)
    return render(
        request,
        "revenue/churn_person.html",
        section(
            "churn",
            person=person,
            prediction=prediction,
            reasons=_reasons(prediction) if prediction else [],
            signals=[
                (name_label(name), value)
                for name, value in sorted((prediction.signals or {}).items() if prediction else [])
            ],
            history=band_history_for_person(person_id=person.pk),
            timeline=interventions_for_person(person_id=person.pk),
            recommendation=recommendation_for(prediction) if prediction else None,
            recommendation_needs=recommendation_needs(),
            actions=risk_actions_for_person(person_id=person.pk),
            form=form,
            may_act=request.user.has_perm("revenue.act_on_churn_risk"),
            currency=str(settings.OPSROOM_CURRENCY),
        ),
        status=status,
    )
