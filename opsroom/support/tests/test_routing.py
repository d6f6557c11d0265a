"""Routing: money to billing specialists, the rest to support agents; among the available
agents on shift below their limit, skills first, then least loaded, then round robin; an
agent's ticket is never taken away; nobody on shift leaves it unassigned, and says why."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group

from opsroom.core import clock
from opsroom.core.models import AuditEntry, User
from opsroom.core.services.audit import AuditContext
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.business_hours import Calendar
from opsroom.support.models import AgentProfile, Holiday, Ticket, TicketAnalysis
from opsroom.support.selectors.agents import AgentSettings
from opsroom.support.selectors.routing import agent_choose
from opsroom.support.services import ticket_analyse
from opsroom.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
SUNDAY_10 = datetime(2026, 3, 8, 10, 0, tzinfo=UTC)
TEAM = Calendar(timezone="UTC", hours=(*[(9 * 60, 17 * 60)] * 5, None, None))
NIGHTS = Calendar(timezone="UTC", hours=((0, 480),) * 7)  # 00:00-08:00 every day


@pytest.fixture(autouse=True)
def _weekday_office_hours():
    """Inside the team's default business hours (Mon-Fri 09:00-17:00 UTC) unless a test moves."""
    with clock.clock_frozen_at(TUESDAY_10):
        yield


def _new(subject, body, **fields):
    return TicketFactory(
        requester=PersonFactory(), subject=subject, body=body, category="", **fields
    )


def test_billing_goes_to_billing_specialists_and_bugs_to_support_agents(
    staff_support, staff_billing
):
    billing = _new("Refund", "You charged my card twice, please refund the payment.")
    bug = _new("Crash", "The app crashes with an error when I open the planner.")
    assert ticket_analyse(ticket=billing).queue == "billing"
    assert ticket_analyse(ticket=bug).queue == "technical"
    assert Ticket.objects.get(pk=billing.pk).assignee == staff_billing
    assert Ticket.objects.get(pk=bug.pk).assignee == staff_support
    entry = AuditEntry.objects.get(action="ticket.route", target_id=str(billing.pk))
    assert entry.params == {"queue": "billing", "assignee": "bea"}


def test_least_loaded_first_then_round_robin(staff_support, django_user_model):
    from django.contrib.auth.models import Group

    other = django_user_model.objects.create_user(username="tom", is_staff=True)
    other.groups.set([Group.objects.get(name="Support agent")])
    TicketFactory(assignee=staff_support)  # sam has one open ticket already
    first = _new("Question", "How do I add a second child profile?")
    ticket_analyse(ticket=first)
    assert Ticket.objects.get(pk=first.pk).assignee == other
    second = _new("Question", "How do I print a shopping list?")
    ticket_analyse(ticket=second)
    # Both hold one open ticket now: the one given a ticket longest ago gets it.
    assert Ticket.objects.get(pk=second.pk).assignee == staff_support


def test_nobody_above_the_limit_and_assigned_tickets_stay(staff_support, settings):
    settings.OPSROOM_SUPPORT_AGENT_LIMIT = 1
    TicketFactory(assignee=staff_support)
    ticket = _new("Question", "How do I add a recipe?")
    ticket_analyse(ticket=ticket)
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    settings.OPSROOM_SUPPORT_AGENT_LIMIT = 25
    taken = _new("Question", "How do I add a recipe?", assignee=None)
    taken.assignee = None
    taken.first_response_at = taken.created_at
    taken.save()
    ticket_analyse(ticket=taken)
    assert Ticket.objects.get(pk=taken.pk).assignee is None  # an agent answered it already


def test_routing_can_be_switched_off(staff_support, settings):
    settings.OPSROOM_SUPPORT_ROUTING = False
    ticket = _new("Question", "How do I add a recipe?")
    ticket_analyse(ticket=ticket)
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


# The rule, on hand-built agents (no database): who passes the capacity rules, then skills,
# then load, then round robin.


def agent(
    pk,
    *,
    open_tickets=0,
    categories=(),
    features=(),
    limit=None,
    calendar=None,
    available=True,
    last_given=None,
):
    return AgentSettings(
        user=User(pk=pk, username=f"agent{pk}"),
        roles=("Support agent",),
        categories=tuple(categories),
        features=tuple(features),
        open_limit=limit,
        hours_mode="own" if calendar else "team",
        calendar=calendar,
        is_available=available,
        open_tickets=open_tickets,
        last_given=last_given,
        updated_at=None,
        updated_by=None,
    )


def choose(agents, category="bug", feature="", at=TUESDAY_10):
    return agent_choose(agents=agents, category=category, feature=feature, at=at, team=TEAM)


def test_a_skill_match_beats_a_lighter_load():
    skilled = agent(1, open_tickets=5, categories=["bug"])
    idle = agent(2, open_tickets=0)
    assert choose([idle, skilled]).agent.pk == 1


def test_a_skill_never_overrides_the_limit_the_shift_or_being_away():
    idle = agent(9, open_tickets=3)
    full = agent(1, open_tickets=5, limit=5, categories=["bug"])
    off_shift = agent(2, categories=["bug"], calendar=NIGHTS)
    away = agent(3, categories=["bug"], available=False)
    choice = choose([full, off_shift, away, idle])
    assert choice.agent.pk == 9
    assert "no skill match" in choice.note


def test_more_matching_skills_first_and_feature_words_match_inside_the_feature():
    category_only = agent(1, categories=["bug"])
    both = agent(2, open_tickets=4, categories=["bug"], features=["meal plan"])
    choice = choose([category_only, both], feature="POST /api/Meal-Plans/export Meal Plan export")
    assert choice.agent.pk == 2
    assert "skills bug, meal plan" in choice.note


def test_equal_skills_go_to_the_least_loaded_then_round_robin():
    earlier = datetime(2026, 3, 1, tzinfo=UTC)
    later = datetime(2026, 3, 2, tzinfo=UTC)
    busy = agent(1, open_tickets=2)
    assert choose([busy, agent(2, open_tickets=1, last_given=later)]).agent.pk == 2
    # Same load: never given a ticket first, then the one given one longest ago.
    tied = [
        agent(3, open_tickets=1, last_given=later),
        agent(4, open_tickets=1, last_given=earlier),
    ]
    assert choose(tied).agent.pk == 4
    assert choose([*tied, agent(5, open_tickets=1)]).agent.pk == 5


def test_the_personal_limit_replaces_the_global_one(settings):
    settings.OPSROOM_SUPPORT_AGENT_LIMIT = 2
    assert choose([agent(1, open_tickets=2)]).agent is None
    assert choose([agent(1, open_tickets=2, limit=3)]).agent.pk == 1
    assert choose([agent(1, open_tickets=0, limit=0)]).agent is None  # a limit of 0: no new ones


def test_nobody_on_shift_leaves_the_ticket_unassigned_and_says_why():
    choice = choose([agent(1), agent(2, available=False)], at=SUNDAY_10)
    assert choice.agent is None
    assert choice.note == "Unassigned in its queue: nobody is on shift now (1 off shift, 1 away)."
    full = choose([agent(1, open_tickets=1, limit=1)])
    assert full.note == "Unassigned in its queue: every agent on shift is at their limit (1 full)."
    assert choose([]).note == "Unassigned in its queue: no active agent serves it."


def test_own_hours_put_an_agent_on_shift_outside_the_teams():
    night = agent(1, calendar=NIGHTS, open_tickets=9)
    day = agent(2)
    assert choose([night, day], at=datetime(2026, 3, 3, 3, 0, tzinfo=UTC)).agent.pk == 1
    assert choose([night, day]).agent.pk == 2


# Through triage, with stored profiles.


def _tom():
    tom = User.objects.create_user(username="tom", is_staff=True)
    tom.groups.set([Group.objects.get(name="Support agent")])
    return tom


def test_triage_prefers_the_skilled_agent_and_notes_why(staff_support):
    tom = _tom()
    AgentProfile.objects.create(user=tom, categories=["bug"])
    TicketFactory(assignee=tom)  # tom is busier than sam
    ticket = _new("Crash", "The app crashes with an error when I open the planner.")
    ticket_analyse(ticket=ticket)
    assert Ticket.objects.get(pk=ticket.pk).assignee == tom
    note = TicketAnalysis.objects.get(ticket=ticket).routing_note
    assert note.startswith("Given to tom from the technical queue: on shift, skills bug; 1 of 25")


def test_off_hours_the_ticket_waits_in_its_queue_and_the_page_says_so(staff_support):
    with clock.clock_frozen_at(SUNDAY_10):
        ticket = _new("Question", "How do I add a second child profile?")
        ticket_analyse(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    analysis = TicketAnalysis.objects.get(ticket=ticket)
    assert analysis.queue == "general"
    assert analysis.routing_note == (
        "Unassigned in the general queue: nobody is on shift now (1 off shift)."
    )
    page = signed_in(staff_support).get(f"/support/tickets/{ticket.pk}/copilot/")
    assert "nobody is on shift now" in page.content.decode()


def test_a_holiday_takes_the_team_off_shift_but_not_an_agent_with_own_hours(staff_support):
    Holiday.objects.create(date=date(2026, 3, 3), name="Founders' day")
    first = _new("Question", "How do I add a second child profile?")
    ticket_analyse(ticket=first)
    assert Ticket.objects.get(pk=first.pk).assignee is None
    tom = _tom()
    AgentProfile.objects.create(
        user=tom, hours_mode="own", timezone="UTC", hours=["08:00-18:00"] * 7
    )
    second = _new("Question", "How do I print a shopping list?")
    ticket_analyse(ticket=second)
    assert Ticket.objects.get(pk=second.pk).assignee == tom


def test_an_away_agent_is_skipped(staff_support):
    from opsroom.support.services.agents import agent_availability_set

    agent_availability_set(
        user_id=staff_support.pk, is_available=False, audit=AuditContext(actor=staff_support)
    )
    ticket = _new("Question", "How do I add a recipe?")
    ticket_analyse(ticket=ticket)
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    assert "(1 away)" in TicketAnalysis.objects.get(ticket=ticket).routing_note


def signed_in(user):
    from conftest import signed_in as client_for

    return client_for(user)
