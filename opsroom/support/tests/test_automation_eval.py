"""support_automation_eval: the share of tickets auto-resolved and the precision of those
resolutions, judged by reopenings (agent or customer reply) and ratings of 1-2."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from opsroom.core import clock
from opsroom.support.models import AutomationRun, Ticket, TicketMessage
from opsroom.support.selectors.automation_eval import automation_evaluate
from opsroom.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _resolved(**ticket_fields):
    ticket = TicketFactory(status=Ticket.Status.SOLVED, **ticket_fields)
    run = AutomationRun.objects.create(
        ticket=ticket,
        intent="password_reset",
        mode="automatic",
        outcome=AutomationRun.Outcome.RESOLVED,
        created_at=clock.now() - timedelta(hours=2),
    )
    return ticket, run


def _world():
    _resolved()  # right: nothing happened afterwards
    _resolved(satisfaction_rating=5)  # right and rated well
    _, run = _resolved()
    run.reopened_at = clock.now()  # an agent clicked Reopen
    run.save()
    replied, _ = _resolved()
    TicketMessage.objects.create(ticket=replied, author_kind="customer", body="Still broken")
    _resolved(satisfaction_rating=1)  # wrong: rated 1
    # A run that only suggested, and tickets no automation touched, count in the total only.
    suggested = TicketFactory()
    AutomationRun.objects.create(
        ticket=suggested, intent="cancellation", mode="suggest", outcome="suggested"
    )
    TicketFactory.create_batch(5)


def test_share_and_precision_count_reopens_and_bad_ratings():
    _world()
    result = automation_evaluate()
    assert result.tickets == 11
    assert result.auto_resolved == 5
    assert result.share == pytest.approx(5 / 11)
    assert result.reopened == 2
    assert result.negative_csat == 1
    assert result.rated == 2
    assert result.precision == pytest.approx(2 / 5)
    assert 0 < result.precision_lower < result.precision


def test_a_customer_message_before_the_run_is_not_a_reopening():
    ticket, run = _resolved()
    TicketMessage.objects.create(
        ticket=ticket,
        author_kind="customer",
        body="the original request",
        created_at=run.created_at - timedelta(minutes=5),
    )
    assert automation_evaluate().precision == 1.0


def test_command_json_and_text_and_empty_database():
    out = StringIO()
    call_command("support_automation_eval", "--json", stdout=out)
    empty = json.loads(out.getvalue())
    assert empty["tickets"] == 0
    assert empty["share"] is None
    assert empty["precision"] is None
    _world()
    out = StringIO()
    call_command("support_automation_eval", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["auto_resolved"] == 5
    assert figures["precision"] == pytest.approx(0.4)
    out = StringIO()
    call_command("support_automation_eval", stdout=out)
    assert "Auto-resolved: 5 (45.5% of tickets)" in out.getvalue()
    assert "Precision: 40.0%" in out.getvalue()


def test_days_window_and_bad_days():
    old = TicketFactory(created_at=clock.now() - timedelta(days=40))
    AutomationRun.objects.create(
        ticket=old, intent="invoice_request", mode="automatic", outcome="resolved"
    )
    TicketFactory()
    out = StringIO()
    call_command("support_automation_eval", "--json", "--days", "30", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["tickets"] == 1
    assert figures["auto_resolved"] == 0
    with pytest.raises(CommandError, match="--days"):
        call_command("support_automation_eval", "--days", "-1")
