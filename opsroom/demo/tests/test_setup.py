"""`make run`'s first step: an empty database gets the demo staff logins and a demo world."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from opsroom.core.models import User
from opsroom.demo.management.commands.opsroom_setup import DEMO_PASSWORD, DEMO_STAFF
from opsroom.people.models import Person
from opsroom.revenue.models import Campaign, ChurnPrediction, MrrMovement, Subscription
from opsroom.user360.models import PersonHealth

pytestmark = pytest.mark.django_db(transaction=True)


def test_setup_on_an_empty_database_creates_the_logins_and_the_world():
    out = StringIO()
    call_command("opsroom_setup", people=25, months=2, seed=3, stdout=out)
    assert "Created the demo staff logins." in out.getvalue()
    for username, role in DEMO_STAFF:
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert user.groups.filter(name=role).exists()
    assert Person.objects.count() >= 25
    assert Subscription.objects.exists()
    # Scored at once (not only by the nightly job), with history for the sparkline.
    assert PersonHealth.objects.count() == Person.objects.count()
    histories = PersonHealth.objects.values_list("history", flat=True)
    assert max(len([s for s in h["scores"] if s is not None]) for h in histories) > 1
    assert "people scored" in out.getvalue()
    # The revenue command center works at once too: the ledger, the predictions, and the
    # brief's campaigns (paused) on the demo's email templates.
    assert "Churn predictions:" in out.getvalue()
    assert MrrMovement.objects.exists()
    assert ChurnPrediction.objects.exists()
    assert set(Campaign.objects.values_list("key", flat=True)) == {
        "win-back-high-risk",
        "adoption-nudge",
        "annual-upsell",
    }
    assert not Campaign.objects.filter(is_active=True).exists()

    people = Person.objects.count()
    again = StringIO()
    call_command("opsroom_setup", people=25, months=2, seed=3, stdout=again)
    assert "the demo world is left as it is" in again.getvalue()
    assert Person.objects.count() == people
    assert User.objects.count() == len(DEMO_STAFF)
