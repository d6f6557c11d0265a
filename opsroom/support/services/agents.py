"""Writes of the agents' routing profiles (audited): the whole profile (admins), and an
agent's availability (admins, or the agent for themselves: the callers check which)."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.support.business_hours import hours_format
from opsroom.support.models import AgentProfile, Ticket
from opsroom.support.selectors.agents import AgentSettings, agent_settings_get
from opsroom.support.services.sla import calendar_parse

MAX_FEATURES = 50
MAX_LIMIT = 10_000


def _features(features: Sequence[Any]) -> list[str]:
    words: list[str] = []
    for feature in features:
        word = " ".join(str(feature).split()).lower()
        if not word or len(word) > 100 or "\x00" in word:
            raise InvalidInput("A feature skill is 1 to 100 characters.")
        if word not in words:
            words.append(word)
    if len(words) > MAX_FEATURES:
        raise InvalidInput(f"At most {MAX_FEATURES} feature skills.")
    return words


def _categories(categories: Sequence[Any]) -> list[str]:
    known = Ticket.Category.values
    chosen = []
    for category in categories:
        if category not in known:
            raise InvalidInput(
                f"'{str(category)[:32]}' is not a ticket category; one of {', '.join(known)}."
            )
        if category not in chosen:
            chosen.append(str(category))
    return chosen


def _params(agent: AgentSettings) -> dict[str, Any]:
    return {
        "categories": list(agent.categories),
        "features": list(agent.features),
        "open_limit": agent.open_limit,
        "hours_mode": agent.hours_mode,
        "timezone": agent.timezone,
        "hours": agent.hours_text,
        "is_available": agent.is_available,
    }


@transaction.atomic
def agent_profile_set(
    *,
    user_id: int,
    categories: Sequence[Any],
    features: Sequence[Any],
    open_limit: int | None,
    hours_mode: str,
    timezone: str,
    hours: Sequence[str],
    is_available: bool,
    audit: AuditContext,
) -> AgentSettings:
    """Replace an agent's routing profile: skills (ticket categories, feature words), their
    own open-ticket limit (None: the global one), working hours (the team's, or their own
    weekday hours in a timezone) and availability. Audited as `support.agent_profile_set`."""
    before = agent_settings_get(user_id=user_id)
    if hours_mode not in AgentProfile.Hours.values:
        raise InvalidInput("hours_mode is 'team' (the business hours) or 'own'.")
    if open_limit is not None and (
        isinstance(open_limit, bool)
        or not isinstance(open_limit, int)
        or not 0 <= open_limit <= MAX_LIMIT
    ):
        raise InvalidInput(f"open_limit is a whole number from 0 to {MAX_LIMIT}, or empty.")
    if not isinstance(is_available, bool):
        raise InvalidInput("is_available is true or false.")
    values: dict[str, Any] = {
        "categories": _categories(categories),
        "features": _features(features),
        "open_limit": open_limit,
        "hours_mode": hours_mode,
        "timezone": "",
        "hours": [],
        "is_available": is_available,
    }
    if hours_mode == AgentProfile.Hours.OWN:
        calendar = calendar_parse(timezone, hours)
        values["timezone"] = calendar.timezone
        values["hours"] = [hours_format(day) for day in calendar.hours]
    AgentProfile.objects.update_or_create(
        user_id=user_id,
        defaults={**values, "updated_by": audit.actor, "updated_at": clock.now()},
    )
    audit_record(
        audit,
        action="support.agent_profile_set",
        target=before.user,
        params={"from": _params(before), "to": values},
    )
    return agent_settings_get(user_id=user_id)


@transaction.atomic
def agent_availability_set(
    *, user_id: int, is_available: bool, audit: AuditContext
) -> AgentSettings:
    """Mark an agent away (routing skips them) or available; audited as
    `support.agent_availability_set`."""
    before = agent_settings_get(user_id=user_id)
    if not isinstance(is_available, bool):
        raise InvalidInput("is_available is true or false.")
    AgentProfile.objects.update_or_create(
        user_id=user_id,
        defaults={
            "is_available": is_available,
            "updated_by": audit.actor,
            "updated_at": clock.now(),
        },
    )
    audit_record(
        audit,
        action="support.agent_availability_set",
        target=before.user,
        params={"from": before.is_available, "to": is_available},
    )
    return agent_settings_get(user_id=user_id)
