"""Point-in-time signals: each app's provider answers for many people as of a past moment,
from what happened before it only, in a few queries whatever the number of people."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from opsroom.people.models import ActivityDaily
from opsroom.people.signals import (
    Signal,
    SignalSource,
    signal_catalogue,
    signal_source_register,
    signals_as_of,
)
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.tests.factories import PaymentAttemptFactory
from opsroom.support.models import Ticket
from opsroom.telemetry.models import ErrorEvent

pytestmark = pytest.mark.django_db
AS_OF = datetime(2026, 5, 1, tzinfo=UTC)


def _activity(person, day, name, count=1):
    ActivityDaily.objects.create(person=person, day=day, name=name, count=count)


def test_every_app_offers_its_signals():
    names = set(signal_catalogue())
    assert {"days_since_login", "errors_7d", "tickets_30d", "emails_30d"} <= names
    assert {"payment_failures_30d", "mrr", "days_to_renewal", "cancel_scheduled"} <= names


def test_signals_know_nothing_after_the_moment():
    person = PersonFactory(signed_up_at=AS_OF - timedelta(days=100))
    _activity(person, date(2026, 4, 20), "login", 2)
    _activity(person, date(2026, 4, 28), "meal_plan_created")
    _activity(person, date(2026, 5, 1), "login", 5)  # the day of the moment: not known yet
    _activity(person, date(2026, 3, 15), "app_open")
    for key, at in (("e1", AS_OF - timedelta(days=2)), ("e2", AS_OF + timedelta(hours=1))):
        ErrorEvent.objects.create(
            event_id=key, fingerprint="f", title="boom", person=person, occurred_at=at
        )
    Ticket.objects.create(
        requester=person,
        subject="help",
        created_at=AS_OF - timedelta(days=3),
        resolved_at=AS_OF + timedelta(days=1),
    )
    PaymentAttemptFactory(person=person, status="failed", attempted_at=AS_OF - timedelta(days=5))
    PaymentAttemptFactory(person=person, status="failed", attempted_at=AS_OF + timedelta(days=5))
    signals = signals_as_of(person_ids=[person.pk], as_of=AS_OF)[person.pk]
    assert signals["days_since_login"] == 11  # Apr 20
    assert signals["logins_30d"] == 2
    assert signals["days_since_key_action"] == 3
    assert signals["active_days_30d"] == 2
    assert signals["active_days_prev_30d"] == 1
    assert signals["tenure_days"] == 100
    assert signals["errors_7d"] == 1
    assert signals["tickets_30d"] == 1
    assert signals["tickets_open"] == 1  # resolved only after the moment
    assert signals["payment_failures_30d"] == 1


def test_someone_with_no_data_gets_the_defaults():
    person = PersonFactory()
    signals = signals_as_of(person_ids=[person.pk], as_of=AS_OF)[person.pk]
    assert signals["days_since_login"] == 180
    assert signals["errors_30d"] == 0
    assert signals["days_to_renewal"] == 400


def test_the_queries_do_not_grow_with_the_people(django_assert_max_num_queries):
    people = [PersonFactory() for _ in range(40)]
    with django_assert_max_num_queries(12):
        signals_as_of(person_ids=[p.pk for p in people], as_of=AS_OF)


def test_a_signal_name_taken_by_another_app_is_a_configuration_error():
    clash = SignalSource(
        app="other", signals=(Signal("errors_7d", "again"),), provider=lambda ids, at: {}
    )
    with pytest.raises(ImproperlyConfigured):
        signal_source_register(clash)
