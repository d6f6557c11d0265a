"""Agents' routing profiles: read (any staff or read key), replace (admins), and set one's
availability (admins for anyone; an agent for themselves)."""

from typing import Any

from django.http import HttpRequest
from ninja import Status

from opsroom.core.auth import staff_or_key
from opsroom.core.clock import now
from opsroom.core.refusals import permissions_check
from opsroom.core.schemas import ErrorOut
from opsroom.core.services.audit import AuditContext
from opsroom.support.api.access import ERRORS, WRITE, _require, _staff, router
from opsroom.support.business_hours import Calendar
from opsroom.support.schemas import AgentAvailabilityIn, AgentProfileIn, AgentProfileOut
from opsroom.support.selectors.agents import (
    AgentSettings,
    agent_settings_get,
    agent_settings_list,
)
from opsroom.support.selectors.sla import sla_settings_get
from opsroom.support.services.agents import agent_availability_set, agent_profile_set


def _out(agent: AgentSettings, team: Calendar) -> dict[str, Any]:
    return {
        "user_id": agent.user.pk,
        "username": agent.user.get_username(),
        "roles": list(agent.roles),
        "categories": list(agent.categories),
        "features": list(agent.features),
        "open_limit": agent.open_limit,
        "effective_limit": agent.effective_limit,
        "hours_mode": agent.hours_mode,
        "timezone": agent.timezone,
        "hours": agent.hours_text,
        "is_available": agent.is_available,
        "open_tickets": agent.open_tickets,
        "is_on_shift": agent.is_on_shift(at=now(), team=team),
        "updated_at": agent.updated_at,
        "updated_by": agent.updated_by.get_username() if agent.updated_by else None,
    }


@router.get(
    "/support/agents",
    response={200: list[AgentProfileOut], 403: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_agents_list",
    summary="Every agent's routing profile",
)
def agents_list(request: HttpRequest) -> Status[Any]:
    """Support agents and billing specialists: skills, limit, working hours, availability,
    open tickets and whether they are on shift now."""
    team = sla_settings_get().calendar
    return Status(200, [_out(agent, team) for agent in agent_settings_list()])


@router.get(
    "/support/agents/{user_id}",
    response={200: AgentProfileOut, 403: ErrorOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_agent_get",
    summary="One agent's routing profile",
)
def agent_get(request: HttpRequest, user_id: int) -> Status[Any]:
    """One agent (a staff user holding an agent role)."""
    return Status(200, _out(agent_settings_get(user_id=user_id), sla_settings_get().calendar))


@router.put(
    "/support/agents/{user_id}",
    response={200: AgentProfileOut, **ERRORS},
    auth=WRITE,
    operation_id="support_agent_set",
    summary="Replace an agent's routing profile",
)
def agent_set(request: HttpRequest, user_id: int, data: AgentProfileIn) -> Status[Any]:
    """Skills, own open-ticket limit, working hours and availability (admins; audited)."""
    _require(request, ["support.manage_agent_profiles"])
    agent = agent_profile_set(
        user_id=user_id, audit=AuditContext.from_request(request), **data.dict()
    )
    return Status(200, _out(agent, sla_settings_get().calendar))


@router.put(
    "/support/agents/{user_id}/availability",
    response={200: AgentProfileOut, **ERRORS},
    auth=WRITE,
    operation_id="support_agent_availability_set",
    summary="Mark an agent away or available",
)
def agent_availability(
    request: HttpRequest, user_id: int, data: AgentAvailabilityIn
) -> Status[Any]:
    """Routing skips an agent who is away. Admins set anyone's; an agent their own (audited)."""
    user = _staff(request)
    if (
        user is not None
        and user.pk == user_id
        and not user.has_perm("support.manage_agent_profiles")
    ):
        permissions_check(user, ["support.set_own_availability"])
    else:
        _require(request, ["support.manage_agent_profiles"])
    agent = agent_availability_set(
        user_id=user_id, is_available=data.is_available, audit=AuditContext.from_request(request)
    )
    return Status(200, _out(agent, sla_settings_get().calendar))
