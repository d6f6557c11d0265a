"""The webhook deliveries of the demo world: what Stripe, Sentry and the email provider sent.

Little Bites connected its webhooks WEBHOOK_DAYS before the world's end (the history before came
in by import), so every Stripe, Sentry and email event of the last 30 days reached Opsroom as a
delivery, recorded the way the webhook views record them. As in life, a few were refused and
retried:

- Stripe's signing secret was rolled in Stripe at 09:00, 9 days before the end, and updated
  in Opsroom 6 hours later (or, in a quiet world, once 3 events had been refused): Stripe
  events in between were refused (bad signature, 401), and Stripe retried each an hour later;
- the email provider's webhook password was changed at 18:00, 4 days before the end, and
  Opsroom learnt it 90 minutes later (or once 3 events had been refused): tracking events in
  between were refused, and the provider retried them half an hour later;
- about 1 Stripe event in 200 failed while being applied (the database was busy) and Stripe
  retried it minutes later; about 1 in 100 came twice (a retry after a slow answer), and the
  second was a duplicate;
- the email provider also reports events Opsroom does not track (deferred deliveries), and
  Sentry reports issue changes (assigned, resolved): both are acknowledged and ignored.

Each choice comes from a hash of the event's own id, not the world's random stream, so the
deliveries leave the rest of the world exactly as it was.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsroom.demo.world.records import Batch, Row

WEBHOOK_DAYS = 30
SECRET_ROLLED_DAYS_BEFORE_END = 9
SECRET_STALE = timedelta(hours=6)
EMAIL_PASSWORD_CHANGED_DAYS_BEFORE_END = 4
EMAIL_PASSWORD_STALE = timedelta(minutes=90)
EMAIL_RETRY = timedelta(minutes=30)
MIN_REFUSED = 3
STRIPE_RETRY = timedelta(hours=1)
FAILED_SHARE, DUPLICATE_SHARE = 0.005, 0.01
DEFERRED_SHARE, SENTRY_NOTICE_SHARE = 0.03, 0.04
BAD_SIGNATURE = "Bad signature: No signatures found matching the expected signature for payload"
BUSY = "Could not apply the event: OperationalError('database is locked')"
BAD_AUTH = "Bad webhook credentials (basic auth)."
# Anymail's tracking events, in the order they happen, and the email field that dates each.
EMAIL_EVENTS = (
    ("delivered", "delivered_at"),
    ("opened", "opened_at"),
    ("clicked", "clicked_at"),
    ("bounced", "bounced_at"),
    ("complained", "complained_at"),
)


def _share(key: str) -> float:
    """A stable number in [0, 1) for a key: the same event always gets the same fate."""
    return int(hashlib.blake2b(key.encode(), digest_size=8).hexdigest(), 16) / 2**64


def _ms(key: str) -> float:
    return round(3 + _share(key + "ms") * 45, 1)


@dataclass
class Stale:
    """A credential out of date in Opsroom: from when, for how long at least, and how many
    refusals it takes before someone notices (at most a few days)."""

    since: datetime
    least: timedelta
    refused: int = 0

    def refuses(self, at: datetime) -> bool:
        if at < self.since or at >= self.since + timedelta(days=3):
            return False
        if at < self.since + self.least or self.refused < MIN_REFUSED:
            self.refused += 1
            return True
        return False


@dataclass
class Window:
    """When webhooks were connected, the world's end, and the credentials gone stale."""

    start: datetime
    horizon: datetime
    stripe_secret: Stale
    email_password: Stale

    @classmethod
    def before(cls, horizon: datetime) -> "Window":
        def day(days_before: int, hour: int) -> datetime:
            moment = horizon - timedelta(days=days_before)
            return moment.replace(hour=hour, minute=0, second=0, microsecond=0)

        return cls(
            start=horizon - timedelta(days=WEBHOOK_DAYS),
            horizon=horizon,
            stripe_secret=Stale(day(SECRET_ROLLED_DAYS_BEFORE_END, 9), SECRET_STALE),
            email_password=Stale(
                day(EMAIL_PASSWORD_CHANGED_DAYS_BEFORE_END, 18), EMAIL_PASSWORD_STALE
            ),
        )

    def holds(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.horizon


PersonOf = Callable[[str | None], int | None]


def _stripe(
    window: Window, event_id: str, event_type: str, at: datetime, obj: Row, person_id: int | None
) -> list[Row]:
    """One Stripe event as it arrived: refused and retried, failed and retried, or twice."""
    payload = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": int(at.timestamp()),
        "livemode": False,
        "data": {"object": obj},
    }
    received = at + timedelta(seconds=1 + int(_share(event_id + "delay") * 4))
    done: Row = {
        "source": "stripe",
        "outcome": "processed",
        "event_type": event_type,
        "external_id": event_id,
        "payload": payload,
        "person_id": person_id,
        "processing_ms": _ms(event_id),
    }
    rows: list[Row] = []
    fate = _share(event_id)
    if window.stripe_secret.refuses(received):
        refused = {"source": "stripe", "outcome": "rejected", "payload": payload}
        rows.append(
            {**refused, "error": BAD_SIGNATURE, "processing_ms": 0.4, "received_at": received}
        )
        received += STRIPE_RETRY
    elif fate < FAILED_SHARE:
        failed = {**done, "outcome": "failed", "error": BUSY, "processing_ms": 5000.0}
        rows.append({**failed, "received_at": received})
        received += timedelta(minutes=5 + int(_share(event_id + "retry") * 20))
    if received >= window.horizon:
        return rows  # Stripe will retry after the world's end
    rows.append({**done, "received_at": received})
    if FAILED_SHARE <= fate < FAILED_SHARE + DUPLICATE_SHARE:
        again = received + timedelta(seconds=20 + int(_share(event_id + "dup") * 60))
        if again < window.horizon:
            rows.append({**done, "outcome": "duplicate", "received_at": again})
    return rows


def stripe_deliveries(batch: Batch, window: Window, person_of: PersonOf) -> list[Row]:
    """The Stripe events behind a week's subscriptions, invoices and charges, in time order."""
    events: list[tuple[datetime, str, str, Row, int | None]] = []
    for sub in batch.subscriptions:
        at = sub["source_updated_at"]
        if not window.holds(at):
            continue
        if sub["status"] in ("canceled", "incomplete_expired"):
            kind = "customer.subscription.deleted"
        elif sub["started_at"] == at:
            kind = "customer.subscription.created"
        else:
            kind = "customer.subscription.updated"
        sub_id = sub["provider_subscription_id"]
        obj = {
            "id": sub_id,
            "object": "subscription",
            "status": sub["status"],
            "cancel_at_period_end": sub["cancel_at_period_end"],
            "plan": {"id": sub["_plan"], "amount": sub["amount"], "interval": sub["interval"]},
            "metadata": {"user_id": sub["_person"]},
        }
        event_id = "evt_" + hashlib.blake2b(f"{sub_id}{at}".encode(), digest_size=12).hexdigest()
        events.append((at, event_id, kind, obj, person_of(sub["_person"])))
    for invoice in batch.invoices.values():
        at = invoice["paid_at"] if invoice["status"] == "paid" else invoice["source_updated_at"]
        if not window.holds(at) or invoice["status"] not in ("paid", "open"):
            continue
        kind = "invoice.paid" if invoice["status"] == "paid" else "invoice.payment_failed"
        if kind == "invoice.payment_failed" and not invoice["attempt_count"]:
            kind = "invoice.finalized"
        obj = {
            "id": invoice["provider_invoice_id"],
            "object": "invoice",
            "status": invoice["status"],
            "amount_due": invoice["amount_due"],
            "amount_paid": invoice["amount_paid"],
            "attempt_count": invoice["attempt_count"],
            "subscription": invoice["_subscription"],
        }
        key = f"{invoice['provider_invoice_id']}{invoice['status']}{at}"
        event_id = "evt_" + hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
        events.append((at, event_id, kind, obj, person_of(invoice["_person"])))
    for attempt in batch.attempts:
        at = attempt["attempted_at"]
        if not window.holds(at):
            continue
        succeeded = attempt["status"] == "succeeded"
        obj = {
            "id": attempt["provider_attempt_id"],
            "object": "charge",
            "status": attempt["status"],
            "amount": attempt["amount"],
            "failure_code": attempt.get("failure_code"),
            "outcome": {"reason": attempt.get("decline_code")},
            "payment_method_details": {
                "card": {"brand": attempt["card_brand"], "last4": attempt["card_last4"]}
            },
        }
        key = f"{attempt['provider_attempt_id']}{attempt['status']}"
        event_id = "evt_" + hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
        kind = "charge.succeeded" if succeeded else "charge.failed"
        events.append((at, event_id, kind, obj, person_of(attempt["_person"])))
    rows: list[Row] = []
    for at, event_id, kind, obj, person_id in sorted(events, key=lambda e: (e[0], e[1])):
        rows += _stripe(window, event_id, kind, at, obj, person_id)
    return rows


def sentry_deliveries(errors: list[Row], window: Window, person_of: PersonOf) -> list[Row]:
    """Sentry's error webhooks for a day's errors, and the issue changes it also sends."""
    rows: list[Row] = []
    for error in errors:
        at = error["received_at"]
        if not window.holds(at):
            continue
        person_id = person_of(error.get("_person"))
        payload = {
            "action": "created",
            "data": {
                "error": {
                    "event_id": error["event_id"],
                    "issue_id": error["issue_id"],
                    "title": error["title"],
                    "level": error["level"],
                    "release": error["release"],
                    "user": {"id": error.get("_person")},
                }
            },
        }
        rows.append(
            {
                "source": "sentry",
                "outcome": "processed",
                "event_type": "error.created",
                "external_id": error["event_id"],
                "payload": payload,
                "person_id": person_id,
                "processing_ms": _ms(error["event_id"]),
                "received_at": at,
            }
        )
        if _share(error["event_id"] + "issue") < SENTRY_NOTICE_SHARE:
            action = "assigned" if _share(error["event_id"] + "action") < 0.6 else "resolved"
            later = at + timedelta(minutes=10 + int(_share(error["event_id"] + "t") * 240))
            if later < window.horizon:
                rows.append(
                    {
                        "source": "sentry",
                        "outcome": "ignored",
                        "event_type": f"issue.{action}",
                        "external_id": f"req-{error['event_id'][:24]}",
                        "payload": {"action": action, "data": {"issue": {"id": error["issue_id"]}}},
                        "error": f"resource 'issue' with action '{action}' is not used",
                        "processing_ms": 0.8,
                        "received_at": later,
                    }
                )
    return rows


def email_deliveries(emails: list[Row], window: Window, person_of: PersonOf) -> list[Row]:
    """The email provider's tracking events for a week's emails, in time order."""
    rows: list[Row] = []
    events: list[tuple[datetime, str, str, Row]] = []
    for email in emails:
        message_id = email["provider_message_id"]
        if window.holds(email["sent_at"]) and _share(message_id + "deferred") < DEFERRED_SHARE:
            at = email["sent_at"] + timedelta(seconds=30)
            if at < window.horizon:
                person_id = person_of(email.get("_person"))
                rows.append(_email_row("deferred", message_id, email, at, person_id, tracked=False))
        for event, field in EMAIL_EVENTS:
            at = email.get(field)
            if at is not None and window.holds(at):
                events.append((at, message_id, event, email))
    for at, message_id, event, email in sorted(events, key=lambda e: (e[0], e[1], e[2])):
        person_id = person_of(email.get("_person"))
        rows += _email_rows(event, message_id, email, at, person_id, window)
    return rows


def _email_rows(
    event: str, message_id: str, email: Row, at: datetime, person_id: int | None, window: Window
) -> list[Row]:
    """A tracking event as it arrived: refused while Opsroom had the old password, then
    retried by the provider."""
    row = _email_row(event, message_id, email, at, person_id, tracked=True)
    if not window.email_password.refuses(row["received_at"]):
        return [row]
    refused = {
        "source": "email",
        "outcome": "rejected",
        "payload": row["payload"],
        "error": BAD_AUTH,
        "processing_ms": 0.3,
        "received_at": row["received_at"],
    }
    retried = row["received_at"] + EMAIL_RETRY
    return [refused, {**row, "received_at": retried}] if retried < window.horizon else [refused]


def _email_row(
    event: str, message_id: str, email: Row, at: datetime, person_id: int | None, *, tracked: bool
) -> Row:
    key = f"{message_id}{event}"
    return {
        "source": "email",
        "outcome": "processed" if tracked else "ignored",
        "event_type": f"tracking.{event}",
        "external_id": "ev_" + hashlib.blake2b(key.encode(), digest_size=10).hexdigest(),
        "payload": {
            "event": event,
            "message-id": message_id,
            "recipient": email["to_email"],
            "timestamp": int(at.timestamp()),
            "tags": [email.get("_template") or "manual"],
        },
        "error": "" if tracked else f"mailgun event '{event}' is not tracked",
        "person_id": person_id,
        "processing_ms": _ms(key),
        "received_at": at + timedelta(seconds=2),
    }
