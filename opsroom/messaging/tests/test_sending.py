"""Emails go through the outbox: queued in the transaction, sent by a worker after commit with
a Message-ID fixed in advance, and never sent twice by a retry after a crash."""

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction

from opsroom.core import clock
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.services import outbox_entry_cancel, outbox_entry_retry
from opsroom.core.outbox.tasks import outbox_sweep
from opsroom.core.services.audit import AuditContext
from opsroom.core.tests.outbox_worker import (
    WorkerKilled,
    killed_after_perform,
    outbox_tasks_queued,
    outbox_tasks_run,
)
from opsroom.messaging.models import EmailMessage
from opsroom.messaging.sending import INTERRUPTED
from opsroom.messaging.services import email_send
from opsroom.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AFTER_LEASE = T0 + timedelta(seconds=301)


class KilledAfterSendBackend(LocmemBackend):
    """The mail server takes the message, then the worker dies before it hears back."""

    def send_messages(self, email_messages):
        super().send_messages(email_messages)
        raise WorkerKilled


class UnreachableBackend(LocmemBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("[Errno 111] Connection refused")


class RefusingBackend(LocmemBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"jane@example.com": (550, b"No such user")})


@pytest.fixture
def worker_mode(settings):
    settings.OPSROOM_OUTBOX_INLINE = False
    settings.OPSROOM_OUTBOX_LEASE_SECONDS = 300
    settings.OPSROOM_OUTBOX_MAX_ATTEMPTS = 8


@pytest.fixture
def person():
    return PersonFactory(name="Jane Doe", email="jane@example.com")


def _send(person, staff):
    return email_send(
        person=person,
        subject="About your recipes",
        body_text="Fixed now.",
        audit=AuditContext(actor=staff, label=staff.username),
    )


def test_the_email_is_queued_in_the_transaction_and_sent_by_the_worker(
    person, staff_support, worker_mode
):
    message = _send(person, staff_support)
    entry = OutboxEntry.objects.get(kind="email.send")
    assert (message.status, entry.status) == ("queued", "pending")
    assert (entry.target_type, entry.target_id) == ("people.person", str(person.pk))
    assert entry.payload["email_id"] == message.pk
    assert mail.outbox == []
    outbox_tasks_run()
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.sent_at is not None
    assert len(mail.outbox) == 1
    # The Message-ID was fixed when the email was queued, and names the outbox entry.
    header = mail.outbox[0].extra_headers["Message-ID"]
    assert header == entry.payload["message_id"] == message.provider_message_id
    assert header == f"<{entry.idempotency_key.split(':')[1]}.email@opsroom.local>"


def test_a_rolled_back_transaction_sends_nothing(person, staff_support, settings):
    settings.OPSROOM_OUTBOX_INLINE = True

    def caller_fails_after_queueing() -> None:
        with transaction.atomic():
            _send(person, staff_support)
            raise RuntimeError("the caller failed after queueing the email")

    with pytest.raises(RuntimeError):
        caller_fails_after_queueing()
    assert mail.outbox == []
    assert not EmailMessage.objects.exists()
    assert not OutboxEntry.objects.exists()


def test_killed_after_the_smtp_call_and_before_recording_the_retry_does_not_send_twice(
    person, staff_support, worker_mode, settings
):
    with clock.clock_frozen_at(T0):
        message = _send(person, staff_support)
        settings.EMAIL_BACKEND = "opsroom.messaging.tests.test_sending.KilledAfterSendBackend"
        with pytest.raises(WorkerKilled):
            outbox_tasks_run()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert len(mail.outbox) == 1  # the server took it
    message.refresh_from_db()
    entry = OutboxEntry.objects.get(kind="email.send")
    assert (message.status, entry.status) == ("sending", "running")
    with clock.clock_frozen_at(AFTER_LEASE):
        outbox_sweep.call()  # the lease lapsed: the entry is retried
        outbox_tasks_run()
    assert len(mail.outbox) == 1  # not sent again
    entry.refresh_from_db()
    message.refresh_from_db()
    assert (entry.status, entry.attempts, entry.last_error) == ("failed", 2, INTERRUPTED)
    assert (message.status, message.error) == ("sending", INTERRUPTED)


def test_an_operator_may_send_an_interrupted_email_again(
    person, staff_support, staff_admin, worker_mode, settings
):
    with clock.clock_frozen_at(T0):
        _send(person, staff_support)
        settings.EMAIL_BACKEND = "opsroom.messaging.tests.test_sending.KilledAfterSendBackend"
        with pytest.raises(WorkerKilled):
            outbox_tasks_run()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    entry = OutboxEntry.objects.get(kind="email.send")
    with clock.clock_frozen_at(AFTER_LEASE):
        outbox_sweep.call()
        outbox_tasks_run()
        outbox_entry_retry(entry_id=entry.pk, audit=AuditContext(actor=staff_admin, label="ada"))
        outbox_tasks_run()
    assert len(mail.outbox) == 2  # the operator's choice, with the same Message-ID
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == {entry.payload["message_id"]}
    assert EmailMessage.objects.get().status == "sent"


def test_killed_after_recording_sent_the_retry_finishes_without_sending(
    person, staff_support, worker_mode, monkeypatch
):
    with clock.clock_frozen_at(T0):
        message = _send(person, staff_support)
        with killed_after_perform(monkeypatch, "email.send"), pytest.raises(WorkerKilled):
            outbox_tasks_run()
    message.refresh_from_db()
    assert message.status == "sent"
    with clock.clock_frozen_at(AFTER_LEASE):
        outbox_sweep.call()
        outbox_tasks_run()
    entry = OutboxEntry.objects.get(kind="email.send")
    assert (entry.status, entry.outcome["sent_before"]) == ("done", True)
    assert len(mail.outbox) == 1


def test_an_unreachable_server_is_retried_and_the_email_stays_queued(
    person, staff_support, worker_mode, settings
):
    settings.EMAIL_BACKEND = "opsroom.messaging.tests.test_sending.UnreachableBackend"
    with clock.clock_frozen_at(T0):
        message = _send(person, staff_support)
        outbox_tasks_run()
    message.refresh_from_db()
    entry = OutboxEntry.objects.get(kind="email.send")
    assert (message.status, entry.status, entry.attempts) == ("queued", "pending", 1)
    assert "Connection refused" in message.error
    assert entry.next_attempt_at > T0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with clock.clock_frozen_at(entry.next_attempt_at):
        outbox_tasks_run()
    message.refresh_from_db()
    assert (message.status, message.error) == ("sent", "")
    assert len(mail.outbox) == 1


def test_a_refused_recipient_fails_at_once(person, staff_support, worker_mode, settings):
    settings.EMAIL_BACKEND = "opsroom.messaging.tests.test_sending.RefusingBackend"
    message = _send(person, staff_support)
    outbox_tasks_run()
    message.refresh_from_db()
    entry = OutboxEntry.objects.get(kind="email.send")
    assert entry.status == "failed"
    assert entry.last_error.startswith("The mail server refused the email:")
    assert message.status == "failed"
    assert message.error == entry.last_error
    assert outbox_tasks_queued() == []


def test_a_canceled_email_is_marked_failed_and_never_sent(
    person, staff_support, staff_admin, worker_mode
):
    message = _send(person, staff_support)
    entry = OutboxEntry.objects.get(kind="email.send")
    outbox_entry_cancel(entry_id=entry.pk, audit=AuditContext(actor=staff_admin, label="ada"))
    outbox_tasks_run()
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.error == "Canceled before it was sent (Canceled by ada.)"
    assert mail.outbox == []
