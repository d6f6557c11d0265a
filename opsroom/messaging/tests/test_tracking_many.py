from datetime import UTC, datetime, timedelta

import pytest

from opsroom.core.errors import InvalidInput
from opsroom.messaging.models import EmailMessage
from opsroom.messaging.services import email_message_upsert_many, email_tracking_apply_many

T = datetime(2026, 6, 1, tzinfo=UTC)


def _sent(message_id):
    email_message_upsert_many(
        rows=[
            {
                "provider_message_id": message_id,
                "to_email": "a@example.com",
                "subject": "Hi",
                "status": "sent",
                "sent_at": T,
            }
        ]
    )


@pytest.mark.django_db
def test_a_batch_of_events_keeps_the_furthest_status_and_earliest_times():
    _sent("m1")
    unknown = email_tracking_apply_many(
        events=[
            ("m1", "clicked", T + timedelta(hours=3)),
            ("m1", "opened", T + timedelta(hours=2)),
            ("m1", "opened", T + timedelta(hours=1)),
            ("m2", "opened", T),
        ]
    )
    assert unknown == {"m2"}
    email = EmailMessage.objects.get()
    assert (email.status, email.opened_at, email.clicked_at) == (
        "clicked",
        T + timedelta(hours=1),
        T + timedelta(hours=3),
    )


@pytest.mark.django_db
def test_a_late_event_does_not_move_an_email_back():
    _sent("m1")
    email_tracking_apply_many(events=[("m1", "opened", T + timedelta(hours=2))])
    email_tracking_apply_many(events=[("m1", "delivered", T + timedelta(hours=1))])
    email = EmailMessage.objects.get()
    assert (email.status, email.delivered_at) == ("opened", T + timedelta(hours=1))


@pytest.mark.django_db
def test_an_unknown_event_is_refused_before_anything_changes():
    _sent("m1")
    with pytest.raises(InvalidInput, match="unknown email event"):
        email_tracking_apply_many(events=[("m1", "opened", T), ("m1", "read", T)])
    assert EmailMessage.objects.get().status == "sent"
