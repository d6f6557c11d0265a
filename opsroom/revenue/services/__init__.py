"""Writes of plans, billing customers, subscriptions (with their change log), invoices, payments.

Rows name related records by id (`person_id`, `plan_id`, `subscription_id`, `invoice_id`);
callers resolve natural keys first (`plan_ids_by_price`, `subscription_ids_by_provider_id`...).
A row carrying `source_updated_at` older than the state held is ignored (reported as stale)."""

from opsroom.revenue.services.comp import (
    COMP_GRANT_KIND,
    CompGrant,
    subscription_complimentary_record,
    subscription_complimentary_request,
)
from opsroom.revenue.services.entries import (
    SpendRow,
    billing_customer_person_move,
    marketing_spend_record_many,
)
from opsroom.revenue.services.retention import (
    subscription_cancel_at_period_end_record,
    subscription_retention_discount_record,
)
from opsroom.revenue.services.sync import (
    billing_customer_upsert_many,
    invoice_ids_by_provider_id,
    invoice_upsert_many,
    payment_attempt_upsert_many,
    plan_ids_by_price,
    plan_upsert_many,
    subscription_ids_by_provider_id,
    subscription_upsert_many,
)

__all__ = [
    "COMP_GRANT_KIND",
    "CompGrant",
    "SpendRow",
    "billing_customer_person_move",
    "billing_customer_upsert_many",
    "invoice_ids_by_provider_id",
    "invoice_upsert_many",
    "marketing_spend_record_many",
    "payment_attempt_upsert_many",
    "plan_ids_by_price",
    "plan_upsert_many",
    "subscription_cancel_at_period_end_record",
    "subscription_complimentary_record",
    "subscription_complimentary_request",
    "subscription_ids_by_provider_id",
    "subscription_retention_discount_record",
    "subscription_upsert_many",
]
