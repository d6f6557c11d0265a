import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from opsroom.people.models import Person
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import Subscription
from opsroom.support.models import Ticket, TicketMessage

ROOT = Path(__file__).resolve().parents[3]
TOMORROW = (date.today() + timedelta(days=2)).isoformat()

BAD_ARGUMENTS = [
    ({"people": 0}, "--people must be a positive number"),
    ({"people": -5}, "--people must be a positive number"),
    ({"months": 0}, "--months must be between 1 and 60"),
    ({"months": 61}, "--months must be between 1 and 60"),
    ({"end": "2026-13-01"}, "is not a real date"),
    ({"end": "31/12/2025"}, "--end must be a date as YYYY-MM-DD"),
    ({"end": "yesterday"}, "--end must be a date as YYYY-MM-DD"),
    ({"end": TOMORROW}, "is in the future"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"), BAD_ARGUMENTS, ids=[str(o) for o, _ in BAD_ARGUMENTS]
)
def test_bad_arguments_are_refused_and_nothing_is_written(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("opsroom_demo", verbosity=0, **options)
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_database_with_people_is_left_alone():
    PersonFactory()
    with pytest.raises(CommandError, match="already holds people"):
        call_command("opsroom_demo", people=10, months=1, verbosity=0)
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--people", "many"], "invalid int value"),
        (["--months", "100"], "--months must be between 1 and 60"),
        (["--end", "2026-02-30"], "is not a real date"),
    ],
    ids=["not a number", "too many months", "no such day"],
)
def test_bad_arguments_exit_non_zero_with_a_message(argv, message, tmp_path):
    env = {**os.environ, "OPSROOM_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "opsroom_demo", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
def test_the_command_writes_a_summary_of_what_it_built(tmp_path):
    summary_path = tmp_path / "summary.json"
    out = StringIO()
    call_command(
        "opsroom_demo",
        people=40,
        months=2,
        seed=3,
        end="2026-01-31",
        summary_json=str(summary_path),
        stdout=out,
        verbosity=1,
    )
    figures = json.loads(summary_path.read_text())
    assert figures["people"] == 40
    assert figures["rows"]["people"] == Person.objects.count() == 40
    assert figures["rows"]["subscriptions"] == Subscription.objects.count()
    assert figures["horizon"] == "2026-02-01T00:00:00+00:00"
    assert figures["start"] == "2025-11-30T00:00:00+00:00"
    assert figures["peak_rss_mb"] > 0
    assert figures["story"]["bug_release"] != figures["story"]["fix_release"]
    assert "Built the demo world" in out.getvalue()


@pytest.mark.django_db
def test_tickets_go_to_the_staff_who_work_them(staff_admin, staff_support, staff_billing):
    call_command("opsroom_demo", people=80, months=3, seed=2, end="2026-01-31", verbosity=0)

    assignees = Counter(Ticket.objects.exclude(assignee=None).values_list("assignee", flat=True))
    assert set(assignees) == {staff_support.pk, staff_billing.pk}
    billing = Ticket.objects.filter(category="billing").exclude(assignee=None)
    assert set(billing.values_list("assignee", flat=True)) == {staff_billing.pk}
    agent_messages = TicketMessage.objects.filter(author_kind="agent")
    assert set(agent_messages.values_list("author_user", flat=True)) <= set(assignees)


@pytest.mark.django_db
def test_the_demo_tickets_carry_their_sla():
    call_command("opsroom_demo", people=80, months=3, seed=2, end="2026-01-31", verbosity=0)

    on_clock = Ticket.objects.filter(status__in=("new", "open", "on_hold"))
    assert on_clock.exists()
    assert not on_clock.filter(sla_due_at=None).exists()
    assert not Ticket.objects.filter(status="pending").exclude(sla_due_at=None).exists()
    answered = Ticket.objects.exclude(first_response_at=None)
    assert answered.exists()
    assert not answered.filter(sla_first_reply_met=None).exists()
    solved = Ticket.objects.filter(status__in=("solved", "closed")).exclude(resolved_at=None)
    assert solved.exists()
    assert not solved.filter(sla_resolution_met=None).exists()
    assert not solved.filter(sla_pauses=[]).exists()  # solved: the clock stopped
