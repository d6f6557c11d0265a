"""Routing: money to billing specialists, the rest to support agents; least loaded first, then
round robin; nobody above the limit; an agent's ticket is never taken away."""

import pytest

from opsroom.core.models import AuditEntry
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import Ticket
from opsroom.support.services import ticket_analyse
from opsroom.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


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
