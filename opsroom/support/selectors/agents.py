"""Reads of the agents' routing profiles: who routing may give tickets to, their skills, own
limit, working hours and availability, with the defaults filled in for an agent without one."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from opsroom.core.errors import NotFound
from opsroom.core.models import User
from opsroom.core.roles import BILLING_SPECIALIST, SUPPORT_AGENT
from opsroom.support.business_hours import Calendar, hours_format, hours_parse, is_working_time
from opsroom.support.models import AgentProfile, Ticket

# The roles routing gives tickets to (a queue is served by one of them).
AGENT_ROLES = (SUPPORT_AGENT, BILLING_SPECIALIST)
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class AgentSettings:
    """One agent's routing profile, defaults filled in."""

    user: User
    roles: tuple[str, ...]
    categories: tuple[str, ...]
    features: tuple[str, ...]
    open_limit: int | None  # None: the global limit
    hours_mode: str  # team or own
    calendar: Calendar | None  # own hours; None when they follow the team's
    is_available: bool
    open_tickets: int
    last_given: datetime | None  # the newest ticket they were given (round robin)
    updated_at: datetime | None
    updated_by: User | None

    @property
    def effective_limit(self) -> int:
        limit = self.open_limit
        return int(settings.OPSROOM_SUPPORT_AGENT_LIMIT) if limit is None else limit

    @property
    def hours_text(self) -> list[str]:
        """Own hours, Monday first ('' for a day off); empty when following the team's."""
        if self.calendar is None:
            return []
        return [hours_format(day) for day in self.calendar.hours]

    @property
    def timezone(self) -> str:
        return self.calendar.timezone if self.calendar is not None else ""

    def is_on_shift(self, *, at: datetime, team: Calendar) -> bool:
        """Inside their working hours at `at` (the team's, holidays included, or their own)."""
        return is_working_time(at, self.calendar if self.calendar is not None else team)


def _own_calendar(profile: AgentProfile | None) -> Calendar | None:
    if profile is None or profile.hours_mode != AgentProfile.Hours.OWN:
        return None
    try:
        return Calendar(
            timezone=profile.timezone, hours=tuple(hours_parse(str(h)) for h in profile.hours)
        )
    except (ValueError, KeyError):  # written around the service: follow the team's hours
        return None


def _agents(roles: tuple[str, ...]) -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True,
            is_staff=True,
            pk__in=User.objects.filter(groups__name__in=roles).values("pk"),
        )
        .annotate(
            open_tickets=Count(
                "assigned_tickets", filter=Q(assigned_tickets__status__in=Ticket.OPEN_STATUSES)
            ),
            last_given=Max("assigned_tickets__created_at"),
        )
        .select_related("agent_profile", "agent_profile__updated_by")
        .prefetch_related("groups")
        .order_by("username", "pk")
    )


def _settings(user: User) -> AgentSettings:
    profile: AgentProfile | None = getattr(user, "agent_profile", None)
    return AgentSettings(
        user=user,
        roles=tuple(sorted(g.name for g in user.groups.all() if g.name in AGENT_ROLES)),
        categories=tuple(profile.categories) if profile else (),
        features=tuple(profile.features) if profile else (),
        open_limit=profile.open_limit if profile else None,
        hours_mode=profile.hours_mode if profile else AgentProfile.Hours.TEAM,
        calendar=_own_calendar(profile),
        is_available=profile.is_available if profile else True,
        open_tickets=int(getattr(user, "open_tickets", 0)),
        last_given=getattr(user, "last_given", None),
        updated_at=profile.updated_at if profile else None,
        updated_by=profile.updated_by if profile else None,
    )


def agent_settings_list(*, roles: tuple[str, ...] = AGENT_ROLES) -> list[AgentSettings]:
    """Every active staff agent holding one of `roles`, by username, with their load."""
    return [_settings(user) for user in _agents(roles)]


def agent_settings_get(*, user_id: int) -> AgentSettings:
    """One agent's profile; NotFound for anyone who is not an active staff agent."""
    user = _agents(AGENT_ROLES).filter(pk=user_id).first() if 0 < user_id <= MAX_ID else None
    if user is None:
        raise NotFound(f"No agent #{user_id}.")
    return _settings(user)
