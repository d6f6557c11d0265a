"""A local stand-in for the Stripe API reads of the drift check, and a customer whose Opsroom
records match it (tests change one side to make drift)."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.services import billing_customer_upsert_many, invoice_upsert_many
from opsroom.revenue.tests.factories import PlanFactory, SubscriptionFactory

PERIOD_END = datetime(2026, 7, 20, 12, tzinfo=UTC)
ISSUED = datetime(2026, 6, 20, 12, tzinfo=UTC)


def unix(at: datetime) -> int:
    return int(at.timestamp())


class StripeStandIn:
    """Answers GET /v1/customers/{id}, /v1/subscriptions and /v1/invoices from dicts a test
    sets, as Stripe's API would (lists with `data` and `has_more`, errors in `error`)."""

    def __init__(self) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.subscriptions: list[dict[str, Any]] = []
        self.invoices: list[dict[str, Any]] = []
        self.failure: tuple[int, dict[str, Any]] | None = None
        self.queries: list[tuple[str, dict[str, list[str]]]] = []

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        self.queries.append((parts.path, query))
        if self.failure is not None:
            return self.failure
        if method == "GET" and parts.path.startswith("/v1/customers/"):
            customer = self.customers.get(parts.path.rsplit("/", 1)[-1])
            if customer is None:
                return 404, {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "message": "No such customer",
                    }
                }
            return 200, customer
        if method == "GET" and parts.path in ("/v1/subscriptions", "/v1/invoices"):
            rows = self.subscriptions if parts.path == "/v1/subscriptions" else self.invoices
            wanted = query.get("customer", [""])[0]
            data = [row for row in rows if row["customer"] == wanted]
            return 200, {"object": "list", "data": data, "has_more": False, "url": parts.path}
        return 404, {"error": {"type": "invalid_request_error", "message": "unknown"}}


def stripe_customer(person_email: str = "ana@example.com") -> dict[str, Any]:
    return {
        "id": "cus_ana",
        "object": "customer",
        "email": person_email,
        "livemode": False,
        "invoice_settings": {
            "default_payment_method": {
                "id": "pm_1",
                "object": "payment_method",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
            }
        },
    }


def stripe_subscription(sub_id: str = "sub_ana", price_id: str = "price_premium") -> dict[str, Any]:
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": "cus_ana",
        "status": "active",
        "currency": "usd",
        "created": unix(PERIOD_END - timedelta(days=60)),
        "cancel_at_period_end": False,
        "discount": None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "object": "subscription_item",
                    "quantity": 1,
                    "current_period_end": unix(PERIOD_END),
                    "price": {
                        "id": price_id,
                        "object": "price",
                        "unit_amount": 2900,
                        "currency": "usd",
                        "recurring": {"interval": "month", "interval_count": 1},
                    },
                }
            ],
        },
    }


def stripe_invoice(invoice_id: str = "in_ana1", status: str = "paid") -> dict[str, Any]:
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": "cus_ana",
        "status": status,
        "total": 2900,
        "amount_due": 2900,
        "amount_paid": 2900 if status == "paid" else 0,
    }


def ana_in_opsroom():
    """A Stripe customer in Opsroom: card, one active subscription, one paid invoice."""
    person = PersonFactory(external_id="ana", email="ana@example.com", name="Ana Lima")
    billing_customer_upsert_many(
        rows=[
            {
                "provider_customer_id": "cus_ana",
                "person_id": person.pk,
                "card_brand": "visa",
                "card_last4": "4242",
                "card_exp_month": 12,
                "card_exp_year": 2030,
            }
        ]
    )
    plan = PlanFactory(provider_price_id="price_premium", amount=2900)
    sub = SubscriptionFactory(
        person=person, plan=plan, provider_subscription_id="sub_ana", current_period_end=PERIOD_END
    )
    invoice_upsert_many(
        rows=[
            {
                "provider_invoice_id": "in_ana1",
                "person_id": person.pk,
                "subscription_id": sub.pk,
                "status": "paid",
                "issued_at": ISSUED,
                "total": 2900,
                "amount_due": 2900,
                "amount_paid": 2900,
            }
        ]
    )
    return person


def stripe_in_sync(stripe: StripeStandIn) -> None:
    stripe.customers["cus_ana"] = stripe_customer()
    stripe.subscriptions = [stripe_subscription()]
    stripe.invoices = [stripe_invoice()]
