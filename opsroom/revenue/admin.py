from django.contrib import admin

from opsroom.core.admin import ReadOnlyAdmin
from opsroom.revenue.models import (
    BillingCustomer,
    Invoice,
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionChange,
)


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "code",
        "tier",
        "interval",
        "interval_count",
        "amount",
        "currency",
        "is_active",
    )


@admin.register(BillingCustomer)
class BillingCustomerAdmin(ReadOnlyAdmin):
    list_display = ("provider_customer_id", "person", "card_brand", "card_last4")
    search_fields = ("=provider_customer_id", "=person__external_id")
    list_select_related = ("person",)


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = (
        "provider_subscription_id",
        "person",
        "plan",
        "status",
        "mrr_amount",
        "currency",
        "current_period_end",
    )
    list_filter = ("status", "plan", "provider", "is_complimentary")
    search_fields = ("=provider_subscription_id", "=person__external_id", "person__email")
    list_select_related = ("person", "plan")


@admin.register(SubscriptionChange)
class SubscriptionChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "subscription",
        "kind",
        "from_status",
        "to_status",
        "mrr_before",
        "mrr_after",
    )
    list_filter = ("kind",)
    list_select_related = ("subscription",)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "provider_invoice_id",
        "number",
        "person",
        "status",
        "total",
        "currency",
        "issued_at",
    )
    list_filter = ("status", "billing_reason")
    search_fields = ("=provider_invoice_id", "=number", "=person__external_id")
    list_select_related = ("person",)


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdmin):
    list_display = (
        "provider_attempt_id",
        "person",
        "status",
        "amount",
        "decline_code",
        "attempt_number",
        "attempted_at",
    )
    list_filter = ("status", "failure_code", "decline_code")
    search_fields = ("=provider_attempt_id", "=person__external_id")
    list_select_related = ("person",)
