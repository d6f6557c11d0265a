"""The data-flow tracer: everything that happened around one person (or one request) across
the system, in time order: webhooks received and how they were handled, API calls, errors,
side effects queued and performed (emails, Stripe calls, webhooks to the host app) with their
attempts and failures, emails and their events, subscription changes, payments, tickets and
staff actions. Each source is read through its owning app's selectors."""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from opsroom.core.outbox.selectors import outbox_entries_for_target
from opsroom.core.selectors import audit_entries_for_target
from opsroom.messaging.selectors import emails_for_person
from opsroom.revenue.selectors import payment_attempts_for_person, subscription_changes_for_person
from opsroom.support.selectors import tickets_for_person
from opsroom.telemetry.selectors import (
    api_requests_for_person,
    deliveries_for_person,
    errors_for_person,
)

PER_SOURCE = 200
FAILED = {"failed", "dead", "rejected", "bounced", "complained", "error", "fatal"}


@dataclass(frozen=True)
class TraceItem:
    at: datetime
    kind: str  # webhook, api call, error, side effect, email, subscription, payment...
    title: str
    detail: str = ""
    outcome: str = ""  # the status or outcome as recorded
    url: str = ""

    @property
    def is_failure(self) -> bool:
        return self.outcome in FAILED or self.outcome.startswith("5")


def _email_items(person_id: int) -> list[TraceItem]:
    items = []
    for email in emails_for_person(person_id=person_id, limit=PER_SOURCE):
        items.append(TraceItem(email.created_at, "email", email.subject, email.error, email.status))
        for field, word in (
            ("sent_at", "sent"),
            ("delivered_at", "delivered"),
            ("opened_at", "opened"),
            ("clicked_at", "clicked"),
            ("bounced_at", "bounced"),
            ("complained_at", "complained"),
        ):
            at = getattr(email, field)
            if at is not None:
                items.append(TraceItem(at, "email event", f"{word}: {email.subject}", "", word))
    return items


def person_trace(*, person_id: int, since: datetime, until: datetime) -> list[TraceItem]:
    """What happened around a person in [since, until], oldest first."""
    items: list[TraceItem] = []
    for delivery in deliveries_for_person(person_id=person_id, limit=PER_SOURCE):
        items.append(
            TraceItem(
                delivery.received_at,
                "webhook received",
                f"{delivery.source} {delivery.event_type}".strip(),
                delivery.error[:300],
                delivery.outcome,
                reverse("telemetry:delivery_detail", args=[delivery.pk]),
            )
        )
    for call in api_requests_for_person(person_id=person_id, since=since, limit=PER_SOURCE):
        items.append(
            TraceItem(
                call.occurred_at,
                "API call",
                f"{call.method} {call.path or call.route}",
                f"{call.duration_ms:.0f} ms"
                + (f", release {call.release}" if call.release else ""),
                str(call.status),
                reverse("telemetry:request_detail", args=[call.pk]),
            )
        )
    for error in errors_for_person(person_id=person_id, since=since, limit=PER_SOURCE):
        items.append(
            TraceItem(
                error.occurred_at,
                "error",
                error.title,
                error.endpoint,
                error.level,
                reverse("analytics:error_detail", args=[error.fingerprint])
                if error.fingerprint
                else "",
            )
        )
    for entry in outbox_entries_for_target(
        target_type="people.person", target_id=str(person_id), limit=PER_SOURCE
    ):
        attempts = f"{entry.attempts} attempt{'s' if entry.attempts != 1 else ''}"
        items.append(
            TraceItem(
                entry.created_at,
                "side effect",
                entry.kind,
                f"{attempts}; {entry.last_error[:300]}" if entry.last_error else attempts,
                entry.status,
                reverse("outbox_detail", args=[entry.pk]),
            )
        )
    items += _email_items(person_id)
    for change in subscription_changes_for_person(person_id=person_id, limit=PER_SOURCE):
        moved = f"{change.from_status or '—'} → {change.to_status or '—'}"
        items.append(TraceItem(change.occurred_at, "subscription", change.kind, moved))
    for attempt in payment_attempts_for_person(person_id=person_id, limit=PER_SOURCE):
        items.append(
            TraceItem(
                attempt.attempted_at,
                "payment",
                f"{attempt.amount / 100:.2f} {attempt.currency.upper()}",
                attempt.failure_message or attempt.failure_code,
                attempt.status,
            )
        )
    for ticket in tickets_for_person(person_id=person_id, limit=PER_SOURCE):
        items.append(TraceItem(ticket.created_at, "ticket", f"#{ticket.pk} {ticket.subject}"))
    for audit in audit_entries_for_target(
        target_type="people.person", target_id=str(person_id), limit=PER_SOURCE
    ):
        items.append(
            TraceItem(audit.occurred_at, "staff action", audit.action, f"by {audit.actor_label}")
        )
    return sorted(
        (item for item in items if since <= item.at <= until),
        key=lambda item: (item.at, item.kind),
    )
