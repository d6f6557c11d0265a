"""Sending a queued email: the outbox's "email.send" performer (registered in apps.py).

Each send goes: queued -> sending (committed before the mail server is called) -> the call ->
sent (committed right after it). Every message carries a Message-ID fixed when it was queued.

What this guarantees, honestly:
- A message is not sent twice by retries: a retry that finds "sending" (a worker died during
  the call or just after it, before recording "sent") does not send again. The entry fails
  with an explanation, the message stays "Sending (unconfirmed)" until the provider's
  tracking says more, and an operator who checked may retry it, which sends it again with the
  same Message-ID. So after a crash in that window the email went out at most once.
- One window is at least once instead: when the server accepts the message but the
  connection breaks before its answer arrives, the send raises, the message goes back to
  "queued" and the retry sends a second copy (same Message-ID, which many receivers fold).
  SMTP has no idempotency key, so no sender can close both windows.
"""

import smtplib

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from django.core.mail import EmailMessage as DjangoEmail

from opsroom.core import clock
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.registry import OutboxPermanentError, Outcome, Performer
from opsroom.messaging.models import EmailMessage

Status = EmailMessage.Status

INTERRUPTED = (
    "An earlier attempt handed this email to the mail server and stopped before recording "
    "the answer, so it may have been sent. It is not sent again automatically; retry it to "
    "send it again (with the same Message-ID)."
)


def _is_refusal(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress)


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _provider_message_id(email: DjangoEmail) -> str | None:
    # django-anymail reports the ESP's id for tracking webhooks to match against.
    status = getattr(email, "anymail_status", None)
    return getattr(status, "message_id", None) if status is not None else None


def _already(email_id: int) -> Outcome:
    message = EmailMessage.objects.filter(pk=email_id).first()
    if message is None:
        raise OutboxPermanentError("The email's record was deleted; nothing was sent.")
    if message.status == Status.SENDING:
        raise OutboxPermanentError(INTERRUPTED)
    if message.status == Status.FAILED:
        raise OutboxPermanentError("The email is marked failed; retry the entry to send it.")
    # Sent before (this entry's earlier attempt recorded it): not sent again.
    return {"email_id": email_id, "status": message.status, "sent_before": True}


def email_send_perform(entry: OutboxEntry) -> Outcome:
    """Send a queued email once; see the module docstring for what "once" can promise."""
    email_id = int(entry.payload["email_id"])
    claimed = EmailMessage.objects.filter(pk=email_id, status=Status.QUEUED).update(
        status=Status.SENDING, error=""
    )
    if not claimed:
        return _already(email_id)
    message = EmailMessage.objects.get(pk=email_id)
    header_id = str(entry.payload["message_id"])
    email = DjangoEmail(
        subject=message.subject,
        body=message.body_text,
        to=[message.to_email],
        headers={"Message-ID": header_id},
    )
    try:
        email.send()
    except Exception as exc:
        # No answer or a refusal: the server did not take it, so it may be sent again.
        EmailMessage.objects.filter(pk=email_id, status=Status.SENDING).update(
            status=Status.QUEUED, error=_error_text(exc)
        )
        if _is_refusal(exc):
            raise OutboxPermanentError(f"The mail server refused the email: {exc}") from exc
        raise
    sent_at = clock.now()
    provider_id = _provider_message_id(email) or header_id
    EmailMessage.objects.filter(pk=email_id, status=Status.SENDING).update(
        status=Status.SENT, sent_at=sent_at, provider_message_id=provider_id
    )
    return {
        "email_id": email_id,
        "message_id": header_id,
        "provider_message_id": provider_id,
        "sent_at": sent_at.isoformat(),
    }


def email_send_failed(entry: OutboxEntry) -> None:
    """Record on the message that its entry failed, gave up or was canceled."""
    email_id = int(entry.payload["email_id"])
    if entry.status == OutboxEntry.Status.CANCELED:
        error = f"Canceled before it was sent ({entry.last_error})"
    else:
        error = entry.last_error
    EmailMessage.objects.filter(pk=email_id, status=Status.QUEUED).update(
        status=Status.FAILED, error=error[:2000]
    )
    # An interrupted send stays "Sending (unconfirmed)": whether it left is not known.
    EmailMessage.objects.filter(pk=email_id, status=Status.SENDING).update(error=error[:2000])


def email_send_retried(entry: OutboxEntry) -> None:
    """An operator asked to send it again: queue the message again, even after an
    interrupted send (they accept that it may arrive twice)."""
    email_id = int(entry.payload["email_id"])
    EmailMessage.objects.filter(
        pk=email_id, status__in=[Status.FAILED, Status.SENDING, Status.QUEUED]
    ).update(status=Status.QUEUED, error="")


EMAIL_SEND = Performer(
    kind="email.send",
    label="Send an email",
    perform=email_send_perform,
    on_failed=email_send_failed,
    on_retry=email_send_retried,
)
