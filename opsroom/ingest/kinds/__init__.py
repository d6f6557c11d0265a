"""Every kind of record the batch API and the import command accept, in sending order."""

from opsroom.ingest.batch import Kind
from opsroom.ingest.kinds.experiments import exposures_store
from opsroom.ingest.kinds.messaging import email_events_store, emails_store
from opsroom.ingest.kinds.people import (
    events_prepare_items,
    events_store,
    events_store_prepared,
    people_store,
)
from opsroom.ingest.kinds.revenue import (
    invoices_store,
    marketing_spend_store,
    payments_store,
    plans_store,
    subscriptions_store,
)
from opsroom.ingest.kinds.support import ticket_messages_store, tickets_store
from opsroom.ingest.kinds.telemetry import ai_usage_store, api_requests_store, errors_store
from opsroom.ingest.schemas.experiments import ExposureIn
from opsroom.ingest.schemas.messaging import EmailEventIn, EmailIn
from opsroom.ingest.schemas.people import EventIn, PersonIn
from opsroom.ingest.schemas.revenue import (
    InvoiceIn,
    MarketingSpendIn,
    PaymentIn,
    PlanIn,
    SubscriptionIn,
)
from opsroom.ingest.schemas.support import TicketIn, TicketMessageIn
from opsroom.ingest.schemas.telemetry import AiUsageIn, ApiRequestIn, ErrorIn

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("people", PersonIn, people_store, "user_id", "Create or update people"),
        Kind(
            "events",
            EventIn,
            events_store,
            "idempotency_key",
            "Record product events",
            prepare=events_prepare_items,
            store_prepared=events_store_prepared,
        ),
        Kind("plans", PlanIn, plans_store, "price_id", "Create or update plans"),
        Kind(
            "subscriptions",
            SubscriptionIn,
            subscriptions_store,
            "subscription_id",
            "Create or update subscriptions",
        ),
        Kind("invoices", InvoiceIn, invoices_store, "invoice_id", "Create or update invoices"),
        Kind(
            "payments", PaymentIn, payments_store, "payment_id", "Create or update payment attempts"
        ),
        Kind("errors", ErrorIn, errors_store, "event_id", "Record error occurrences"),
        Kind(
            "api-requests",
            ApiRequestIn,
            api_requests_store,
            "request_id",
            "Record API requests the host app served",
        ),
        Kind(
            "ai-usage",
            AiUsageIn,
            ai_usage_store,
            "usage_id",
            "Record AI model calls: tokens and cost",
        ),
        Kind("tickets", TicketIn, tickets_store, "ticket_id", "Create or update support tickets"),
        Kind(
            "ticket-messages",
            TicketMessageIn,
            ticket_messages_store,
            "message_id",
            "Create or update messages on tickets",
        ),
        Kind("emails", EmailIn, emails_store, "message_id", "Record emails the host app sent"),
        Kind(
            "email-events",
            EmailEventIn,
            email_events_store,
            "message_id + event",
            "Apply email tracking events (delivered, opened...)",
        ),
        Kind(
            "exposures",
            ExposureIn,
            exposures_store,
            "user_id + flag + variant",
            "Record feature-flag variants served",
        ),
        Kind(
            "marketing-spend",
            MarketingSpendIn,
            marketing_spend_store,
            "channel + campaign + month + currency",
            "Record marketing spend per channel and month (for CAC)",
        ),
    )
}
