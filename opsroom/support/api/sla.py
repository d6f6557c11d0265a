"""SLA policies per priority and the business hours: read, and replace (admin only)."""

from typing import Any

from django.http import HttpRequest
from ninja import Status

from opsroom.core.auth import staff_or_key
from opsroom.core.errors import InvalidInput
from opsroom.core.schemas import ErrorOut
from opsroom.core.services.audit import AuditContext
from opsroom.support.api.access import ERRORS, WRITE, _require, router
from opsroom.support.schemas import SlaSettingsIO, SlaSettingsOut
from opsroom.support.selectors.sla import SlaSettings, sla_settings_get
from opsroom.support.services.sla import sla_settings_set


def _out(settings: SlaSettings) -> dict[str, Any]:
    return {
        "policies": [
            {
                "priority": priority,
                "first_reply_minutes": policy.first_reply_minutes,
                "next_reply_minutes": policy.next_reply_minutes,
                "resolution_minutes": policy.resolution_minutes,
                "business_hours": policy.business_hours,
            }
            for priority, policy in settings.policies.items()
        ],
        "business_hours": {
            "timezone": settings.calendar.timezone,
            "hours": settings.hours_text,
            "holidays": [{"date": day, "name": name} for day, name in settings.holidays],
        },
        "updated_at": settings.updated_at,
        "updated_by": settings.updated_by.get_username() if settings.updated_by else None,
    }


@router.get(
    "/support/sla-policies",
    response={200: SlaSettingsOut, 403: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_sla_policies_get",
    summary="The SLA policies and business hours",
)
def sla_policies_get(request: HttpRequest) -> Status[Any]:
    """First reply, next reply and resolution targets (minutes) per priority, whether each
    counts business hours, and the business hours (per weekday, in a timezone, with the
    holidays on which they do not run)."""
    return Status(200, _out(sla_settings_get()))


@router.put(
    "/support/sla-policies",
    response={200: SlaSettingsOut, **ERRORS},
    auth=WRITE,
    operation_id="support_sla_policies_set",
    summary="Replace the SLA policies and business hours",
)
def sla_policies_set(request: HttpRequest, data: SlaSettingsIO) -> Status[Any]:
    """Set every priority's targets and the business hours, and the holidays when given
    (audited); open tickets' due times are recomputed in the background."""
    _require(request, ["support.manage_sla"])
    policies: dict[str, dict[str, Any]] = {}
    for policy in data.policies:
        if policy.priority in policies:
            raise InvalidInput(f"{policy.priority} is given twice.")
        policies[policy.priority] = policy.model_dump(exclude={"priority"})
    settings = sla_settings_set(
        policies=policies,
        timezone=data.business_hours.timezone,
        hours=data.business_hours.hours,
        holidays=None
        if data.business_hours.holidays is None
        else [(h.date, h.name) for h in data.business_hours.holidays],
        audit=AuditContext.from_request(request),
    )
    return Status(200, _out(settings))
