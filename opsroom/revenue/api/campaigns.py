"""Retention campaigns: list, read, create, change, run; a person's interventions with the
campaign that worked best for customers like them."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status

from opsroom.core.auth import staff_or_key
from opsroom.core.errors import NotFound
from opsroom.core.schemas import ErrorOut, Text
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.revenue.api.access import MANAGE, permission_require
from opsroom.revenue.campaigns.effect import Effect
from opsroom.revenue.campaigns.run import campaigns_run_requested
from opsroom.revenue.campaigns.selectors import (
    campaign_figures,
    campaign_get,
    campaign_list,
    interventions_for_person,
    recommendation_for,
)
from opsroom.revenue.campaigns.services import campaign_create, campaign_update
from opsroom.revenue.churn.selectors import prediction_for_person
from opsroom.revenue.models import Campaign
from opsroom.revenue.schemas.campaigns import (
    CampaignCreateIn,
    CampaignIn,
    CampaignOut,
    CampaignRunOut,
    CampaignsOut,
    EffectOut,
    InterventionOut,
    InterventionsOut,
)

router = Router()
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
VIEW = "revenue.view_campaign"
CHANGE = "revenue.manage_campaign"


def _effect(e: Effect) -> EffectOut:
    interval = e.lift_interval
    saved = e.revenue_saved_interval
    return EffectOut(
        treated=e.treated,
        treated_retained=e.treated_retained,
        holdout=e.holdout,
        holdout_retained=e.holdout_retained,
        treated_rate=e.treated_rate,
        holdout_rate=e.holdout_rate,
        lift=e.lift,
        lift_low=interval[0] if interval else None,
        lift_high=interval[1] if interval else None,
        p_value=e.p_value,
        revenue_saved=e.revenue_saved,
        revenue_saved_low=saved[0] if saved else None,
        revenue_saved_high=saved[1] if saved else None,
        measurable=e.is_measurable,
    )


def _out(campaign: Campaign) -> CampaignOut:
    f = campaign_figures(campaign)
    return CampaignOut(
        key=campaign.key,
        name=campaign.name,
        kind=campaign.kind,
        description=campaign.description,
        trigger=campaign.trigger,
        steps=campaign.steps,
        offer=campaign.offer,
        holdout_percent=campaign.holdout_percent,
        reentry_days=campaign.reentry_days,
        measure_days=campaign.measure_days,
        daily_limit=campaign.daily_limit,
        is_active=campaign.is_active,
        triggered=f.triggered,
        treated=f.treated,
        held_out=f.holdout,
        emailed=f.emailed,
        opened=f.opened,
        clicked=f.clicked,
        pending=f.pending,
        effect=_effect(f.effect),
        currency=str(settings.OPSROOM_CURRENCY),
    )


@router.get(
    "/revenue/campaigns",
    response={200: CampaignsOut, **ERRORS},
    auth=staff_or_key("read"),
    operation_id="revenue_campaigns",
    summary="Retention campaigns with their effect against the holdout",
)
def campaigns(request: HttpRequest) -> Any:
    permission_require(request, VIEW)
    return CampaignsOut(campaigns=[_out(c) for c in campaign_list()])


@router.post(
    "/revenue/campaigns",
    response={201: CampaignOut, **ERRORS},
    auth=MANAGE,
    operation_id="revenue_campaign_create",
    summary="Create a retention campaign",
)
def create(request: HttpRequest, data: CampaignCreateIn) -> Any:
    """A new campaign; it is inactive unless `is_active` is true. Audited."""
    permission_require(request, CHANGE)
    values = data.dict(exclude_unset=True, exclude={"key"})
    campaign = campaign_create(
        key=data.key, values=values, audit=AuditContext.from_request(request)
    )
    return Status(201, _out(campaign))


# Before /revenue/campaigns/{key}, which would otherwise take the path.
@router.post(
    "/revenue/campaigns/run",
    response={200: CampaignRunOut, **ERRORS},
    auth=MANAGE,
    operation_id="revenue_campaigns_run",
    summary="Run the campaigns now",
)
def run(request: HttpRequest, campaign: Text = "") -> Any:
    """The daily run (measure, take in, send what is due), or one active campaign's; safe to
    repeat: nobody is taken in or sent a step twice. Audited."""
    permission_require(request, CHANGE)
    result = campaigns_run_requested(
        audit=AuditContext.from_request(request), only=campaign or None
    )
    return CampaignRunOut(
        entered=result.entered,
        held_out=result.held_out,
        sent=result.sent,
        deferred=result.deferred,
        measured=result.measured,
    )


@router.get(
    "/revenue/campaigns/{key}",
    response={200: CampaignOut, **ERRORS},
    auth=staff_or_key("read"),
    operation_id="revenue_campaign",
    summary="One retention campaign",
)
def campaign(request: HttpRequest, key: Text) -> Any:
    permission_require(request, VIEW)
    found = campaign_get(key=key)
    if found is None:
        raise NotFound(f"No campaign {key!r}.")
    return _out(found)


@router.patch(
    "/revenue/campaigns/{key}",
    response={200: CampaignOut, **ERRORS},
    auth=MANAGE,
    operation_id="revenue_campaign_update",
    summary="Change a retention campaign",
)
def update(request: HttpRequest, key: Text, data: CampaignIn) -> Any:
    """Change the fields sent (pause with {"is_active": false}). Audited."""
    permission_require(request, CHANGE)
    changes = data.dict(exclude_unset=True)
    campaign = campaign_update(key=key, changes=changes, audit=AuditContext.from_request(request))
    return _out(campaign)


@router.get(
    "/revenue/people/{person_id}/interventions",
    response={200: InterventionsOut, **ERRORS},
    auth=staff_or_key("read"),
    operation_id="revenue_person_interventions",
    summary="A customer's interventions and the recommended one",
)
def interventions(request: HttpRequest, person_id: int) -> Any:
    permission_require(request, VIEW)
    # Past the database's integer range there is nobody (SQLite refuses to compare).
    if not 0 < person_id < 2**63 or not Person.objects.filter(pk=person_id).exists():
        raise NotFound(f"No person {person_id}.")
    prediction = prediction_for_person(person_id=person_id)
    recommendation = recommendation_for(prediction) if prediction else None
    return InterventionsOut(
        person_id=person_id,
        interventions=[
            InterventionOut(
                campaign=step.campaign.key,
                group=step.entry.group,
                day=step.entry.day,
                state=step.state,
                template=step.template,
                at=step.at,
            )
            for step in interventions_for_person(person_id=person_id)
        ],
        recommendation=_out(recommendation.campaign) if recommendation else None,
        recommendation_effect=_effect(recommendation.effect) if recommendation else None,
    )
