"""Nothing in the demo world happens at or after its horizon (the simulated "now")."""

from datetime import UTC, datetime

import pytest

from opsroom.core import clock
from opsroom.demo.services import demo_world_build
from opsroom.experiments.models import Exposure
from opsroom.messaging.models import EmailMessage
from opsroom.people.models import Event, Person
from opsroom.revenue.models import Invoice, PaymentAttempt, Subscription, SubscriptionChange
from opsroom.support.models import Ticket, TicketMessage
from opsroom.telemetry.models import ApiRequest, ErrorEvent, IntegrationDelivery


def late_records(horizon: datetime) -> dict[str, int]:
    """Records of things that happened at or after a time, counted by model and field."""
    happened = [
        (Event, "occurred_at"),
        (Person, "last_seen_at"),
        (Person, "signed_up_at"),
        (ApiRequest, "occurred_at"),
        (ErrorEvent, "occurred_at"),
        (Ticket, "created_at"),
        (Ticket, "resolved_at"),
        (TicketMessage, "created_at"),
        (PaymentAttempt, "attempted_at"),
        (Invoice, "created_at"),
        (SubscriptionChange, "occurred_at"),
        (Subscription, "started_at"),
        (Subscription, "canceled_at"),
        (Exposure, "last_exposed_at"),
        (EmailMessage, "sent_at"),
        (IntegrationDelivery, "received_at"),
    ]
    return {
        f"{model.__name__}.{field}": n
        for model, field in happened
        if (n := model._default_manager.filter(**{f"{field}__gte": horizon}).count())
    }


@pytest.mark.django_db
def test_nothing_happens_after_a_mid_day_horizon():
    # Without --end the world ends at the current hour: sessions, weekly decisions and tickets
    # started shortly before it must not leave records after it.
    with clock.clock_frozen_at(datetime(2026, 6, 30, 11, 20, tzinfo=UTC)):
        summary = demo_world_build(people=500, months=2, seed=4, progress=False)
    assert summary.horizon == datetime(2026, 6, 30, 11, tzinfo=UTC)
    assert late_records(summary.horizon) == {}
