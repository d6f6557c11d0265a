"""The agents' routing profiles page: everyone reads who routing gives tickets to; admins
(support.manage_agent_profiles) edit every profile; an agent marks themselves away or
available (support.set_own_availability)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsroom.core import clock
from opsroom.core.auth import request_staff
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.support.business_hours import DAY_NAMES
from opsroom.support.models import Ticket
from opsroom.support.selectors.agents import (
    AgentSettings,
    agent_settings_get,
    agent_settings_list,
)
from opsroom.support.selectors.sla import sla_settings_get
from opsroom.support.services.agents import agent_availability_set, agent_profile_set

_DAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every agent's skills, limit, hours, availability, load and whether on shift now."""
    user = request_staff(request)
    team = sla_settings_get().calendar
    now = clock.now()
    rows = [(agent, agent.is_on_shift(at=now, team=team)) for agent in agent_settings_list()]
    return render(
        request,
        "support/agents.html",
        {
            "rows": rows,
            "can_manage": user.has_perm("support.manage_agent_profiles"),
            "can_set_own": user.has_perm("support.set_own_availability"),
            "me": user.pk,
        },
    )


def _edit_context(agent: AgentSettings, **extra: Any) -> dict[str, Any]:
    own = agent.hours_text or [""] * 7
    return {
        "agent": agent,
        "categories": Ticket.Category.choices,
        "days": list(zip(DAY_NAMES, _DAY_LABELS, own, strict=True)),
        "team": sla_settings_get(),
        **extra,
    }


def _limit(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdecimal() or len(text) > 6:
        raise InvalidInput("The open-ticket limit is a whole number, or empty for the global one.")
    return int(text)


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, user_id: int) -> HttpResponse:
    """An agent's routing profile: the form, and saving it (audited)."""
    permissions_check(request.user, ["support.manage_agent_profiles"])
    agent = agent_settings_get(user_id=user_id)
    if request.method == "GET":
        return render(request, "support/agent_edit.html", _edit_context(agent))
    post = request.POST
    try:
        agent_profile_set(
            user_id=user_id,
            categories=post.getlist("categories"),
            features=[w for w in post.get("features", "").split(",") if w.strip()],
            open_limit=_limit(post.get("open_limit", "")),
            hours_mode=post.get("hours_mode", ""),
            timezone=post.get("timezone", ""),
            hours=[post.get(f"hours-{day}", "") for day in DAY_NAMES],
            is_available=post.get("is_available") == "1",
            audit=AuditContext.from_request(request),
        )
    except InvalidInput as exc:
        return render(
            request, "support/agent_edit.html", _edit_context(agent, error=exc.message), status=400
        )
    messages.success(request, f"Routing profile of {agent.user.get_username()} saved.")
    return redirect("support:agents")


@require_POST
def availability(request: HttpRequest, user_id: int) -> HttpResponse:
    """Mark an agent away or available: admins anyone, an agent themselves (audited)."""
    user = request_staff(request)
    if user.pk == user_id and not user.has_perm("support.manage_agent_profiles"):
        permissions_check(user, ["support.set_own_availability"])
    else:
        permissions_check(user, ["support.manage_agent_profiles"])
    agent = agent_availability_set(
        user_id=user_id,
        is_available=request.POST.get("is_available") == "1",
        audit=AuditContext.from_request(request),
    )
    state = "available" if agent.is_available else "away"
    messages.success(request, f"{agent.user.get_username()} is {state} for routing.")
    return redirect("support:agents")
