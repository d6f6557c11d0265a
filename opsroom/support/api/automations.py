"""The cancellation automation's retention offer: its setting and how often it is accepted."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema, Status

from opsroom.core.auth import staff_or_key
from opsroom.core.services.audit import AuditContext
from opsroom.support.api.access import ERRORS, WRITE, _require, router
from opsroom.support.models import Automation
from opsroom.support.selectors.automations import retention_offer_figures
from opsroom.support.services.retention import MAX_OFFER_MONTHS, retention_offer_set


class RetentionOfferIn(Schema):
    percent_off: int = Field(..., description="0 (no offer) to 100 (free)")
    months: int = Field(
        1, description=f"how many months the discount lasts, 1 to {MAX_OFFER_MONTHS}"
    )


class RetentionOfferOut(Schema):
    percent_off: int
    months: int
    is_on: bool
    offered: int
    accepted: int
    applied: int
    acceptance_rate: float | None


def _out() -> RetentionOfferOut:
    automation = Automation.objects.filter(intent=Automation.Intent.CANCELLATION).first()
    figures = retention_offer_figures()
    percent = automation.offer_percent_off if automation else 0
    return RetentionOfferOut(
        percent_off=percent,
        months=automation.offer_months if automation else 1,
        is_on=percent > 0,
        offered=figures.offered,
        accepted=figures.accepted,
        applied=figures.applied,
        acceptance_rate=figures.acceptance_rate,
    )


@router.get(
    "/support/automations/retention-offer",
    response=RetentionOfferOut,
    auth=staff_or_key("read"),
    operation_id="support_retention_offer_get",
    summary="The retention offer made in cancellation replies, and its acceptance",
)
def retention_offer_get(request: HttpRequest) -> RetentionOfferOut:
    """The offer (percent off for some months; 0: none) and how often it was accepted."""
    return _out()


@router.put(
    "/support/automations/retention-offer",
    response={200: RetentionOfferOut, **ERRORS},
    auth=WRITE,
    operation_id="support_retention_offer_put",
    summary="Set the retention offer made in cancellation replies",
)
def retention_offer_put(request: HttpRequest, data: RetentionOfferIn) -> Status[Any]:
    """Set the offer: percent_off 0 turns it off."""
    _require(request, ["support.manage_automations"])
    retention_offer_set(
        percent_off=data.percent_off, months=data.months, audit=AuditContext.from_request(request)
    )
    return Status(200, _out())
