"""Routing: the queue a ticket belongs to, and the agent of that queue to give it to.

Money questions go to billing specialists; bugs and account access to the technical queue,
the rest to the general one (both served by support agents). Within a queue:

1. who may get it at all: agents of the queue's role who are available (not away), on shift
   now (their own working hours, or the team's business hours less its holidays) and below
   their open-ticket limit (their own, or OPSROOM_SUPPORT_AGENT_LIMIT);
2. among them, the most skills matching the ticket first (its category; its affected feature
   containing one of their feature words), then the fewest open tickets, then the one given
   a ticket longest ago (round robin).

Skills only order agents who all passed step 1: a skilled agent who is away, off shift or
full never gets the ticket, and nobody is overloaded to honour a skill. With nobody left the
ticket stays unassigned in its queue and the note says why.
"""

from dataclasses import dataclass
from datetime import datetime

from opsroom.core.models import User
from opsroom.core.roles import BILLING_SPECIALIST, SUPPORT_AGENT
from opsroom.support.business_hours import Calendar
from opsroom.support.selectors.agents import AgentSettings, agent_settings_list
from opsroom.support.selectors.sla import sla_settings_get

QUEUE_BY_CATEGORY = {
    "billing": "billing",
    "invoice_request": "billing",
    "cancellation": "billing",
    "bug": "technical",
    "account_access": "technical",
}
ROLE_BY_QUEUE = {
    "billing": BILLING_SPECIALIST,
    "technical": SUPPORT_AGENT,
    "general": SUPPORT_AGENT,
}


def ticket_queue(*, category: str) -> str:
    """billing, technical or general."""
    return QUEUE_BY_CATEGORY.get(category, "general")


@dataclass(frozen=True)
class RoutingChoice:
    agent: User | None  # None: left unassigned in its queue
    note: str  # why, in words, for the ticket page


def skills_matched(agent: AgentSettings, *, category: str, feature: str) -> list[str]:
    """The agent's skills this ticket needs: its category, the feature words within its
    affected feature (case insensitive)."""
    matched = [category] if category and category in agent.categories else []
    lowered = feature.lower()
    if lowered:
        matched += [word for word in agent.features if word.lower() in lowered]
    return matched


def _rank(agent: AgentSettings, matched: list[str]) -> tuple[object, ...]:
    never = agent.last_given is None
    return (-len(matched), agent.open_tickets, not never, agent.last_given or 0, agent.user.pk)


def agent_choose(
    *,
    agents: list[AgentSettings],
    category: str,
    feature: str,
    at: datetime,
    team: Calendar,
    queue: str = "",
) -> RoutingChoice:
    """Apply the rule above to a list of agents (pure: no database)."""
    where = f"the {queue} queue" if queue else "its queue"
    if not agents:
        return RoutingChoice(None, f"Unassigned in {where}: no active agent serves it.")
    away = [a for a in agents if not a.is_available]
    off_shift = [a for a in agents if a.is_available and not a.is_on_shift(at=at, team=team)]
    on_shift = [a for a in agents if a.is_available and a.is_on_shift(at=at, team=team)]
    full = [a for a in on_shift if a.open_tickets >= a.effective_limit]
    free = [a for a in on_shift if a.open_tickets < a.effective_limit]
    if not free:
        if not on_shift:
            reason = "nobody is on shift now"
        else:
            reason = f"every agent on shift is at their limit ({len(full)} full)"
        extra = [f"{len(off_shift)} off shift"] if off_shift else []
        extra += [f"{len(away)} away"] if away else []
        tail = f" ({', '.join(extra)})" if extra and not on_shift else ""
        return RoutingChoice(None, f"Unassigned in {where}: {reason}{tail}.")
    matches = {a.user.pk: skills_matched(a, category=category, feature=feature) for a in free}
    best = min(free, key=lambda a: _rank(a, matches[a.user.pk]))
    skills = matches[best.user.pk]
    why = [f"skills {', '.join(skills)}" if skills else "no skill match among those free"]
    why.append(f"{best.open_tickets} of {best.effective_limit} open tickets")
    return RoutingChoice(
        best.user,
        f"Given to {best.user.get_username()} from {where}: on shift, {'; '.join(why)}"
        f" ({len(free)} on shift with room).",
    )


def queue_agent_choose(
    *, queue: str, category: str = "", feature: str = "", at: datetime
) -> RoutingChoice:
    """The agent of a queue to give a ticket to at `at`, or none, with the reason."""
    return agent_choose(
        agents=agent_settings_list(roles=(ROLE_BY_QUEUE[queue],)),
        category=category,
        feature=feature,
        at=at,
        team=sla_settings_get().calendar,
        queue=queue,
    )
