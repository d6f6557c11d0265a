from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.models import EmailMessage, SequenceEnrollment
from opsroom.messaging.services import (
    email_message_upsert_many,
    email_send,
    email_tracking_apply,
    enrollment_record_many,
    sequence_upsert_many,
    template_render,
    template_upsert_many,
)
from opsroom.people.tests.factories import PersonFactory

T = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_sending_goes_through_django_mail_and_is_audited(staff_support):
    person = PersonFactory(name="Jane Doe", email="jane@example.com")
    message = email_send(
        person=person,
        subject="Hello",
        body_text="Hi Jane",
        audit=AuditContext(actor=staff_support, label="sam"),
    )
    assert [m.to for m in mail.outbox] == [["jane@example.com"]]
    assert mail.outbox[0].extra_headers["Message-ID"] == message.provider_message_id
    assert message.status == "sent"
    assert AuditEntry.objects.get(action="person.email_send").params["email_id"] == message.pk


@pytest.mark.django_db
def test_a_banned_person_is_not_emailed(staff_support):
    person = PersonFactory(status="banned")
    with pytest.raises(Conflict, match="banned"):
        email_send(
            person=person, subject="x", body_text="y", audit=AuditContext(actor=staff_support)
        )
    assert not mail.outbox
    assert not EmailMessage.objects.exists()


@pytest.mark.django_db
def test_tracking_never_moves_a_message_backwards():
    person = PersonFactory()
    email_message_upsert_many(
        rows=[
            {
                "provider_message_id": "m1",
                "person_id": person.pk,
                "to_email": person.email,
                "subject": "s",
                "status": "sent",
            }
        ]
    )
    email_tracking_apply(provider_message_id="m1", event="opened", at=T + timedelta(hours=2))
    email_tracking_apply(provider_message_id="m1", event="delivered", at=T + timedelta(hours=1))
    message = EmailMessage.objects.get()
    assert (message.status, message.delivered_at, message.opened_at) == (
        "opened",
        T + timedelta(hours=1),
        T + timedelta(hours=2),
    )
    assert email_tracking_apply(provider_message_id="unknown", event="opened", at=T) is None


@pytest.mark.django_db
def test_templates_render_for_a_person_and_bad_syntax_is_refused():
    person = PersonFactory(name="Jane Doe")
    assert template_render("Hi {{ first_name }} & co", person=person) == "Hi Jane & co"
    with pytest.raises(InvalidInput, match="template error"):
        template_upsert_many(
            rows=[
                {
                    "key": "bad",
                    "name": "b",
                    "category": "lifecycle",
                    "subject": "{% if %}",
                    "body_text": "x",
                }
            ]
        )


@pytest.mark.django_db
def test_enrolments_are_recorded_as_they_stand():
    person = PersonFactory()
    sequence = sequence_upsert_many(rows=[{"key": "dunning", "name": "Dunning", "steps": []}])
    sequence_id = sequence.by_key["dunning"].pk
    enrollment_record_many(
        rows=[
            {
                "person_id": person.pk,
                "sequence_id": sequence_id,
                "status": "exited",
                "steps_sent": 2,
                "enrolled_at": T,
                "finished_at": T + timedelta(days=4),
                "exit_reason": "payment recovered",
            },
            {"person_id": person.pk, "sequence_id": sequence_id, "enrolled_at": T},
        ]
    )
    assert sorted(SequenceEnrollment.objects.values_list("status", "steps_sent")) == [
        ("active", 0),
        ("exited", 2),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"status": "paused"}, "unknown enrolment status"),
        ({"colour": "red"}, "unknown enrolment fields"),
    ],
    ids=["bad status", "unknown field"],
)
def test_a_bad_enrolment_row_is_refused(row, message):
    person = PersonFactory()
    with pytest.raises(InvalidInput, match=message):
        enrollment_record_many(rows=[{"person_id": person.pk, "enrolled_at": T, **row}])
    assert not SequenceEnrollment.objects.exists()
