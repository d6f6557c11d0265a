"""A local stand-in for the parts of Stripe's API the support automations use: subscriptions
(cancel at period end, discounts), coupons and the paid-invoice list, with Stripe's
idempotency: a key seen before gets the first answer back, failures included, and changes
nothing."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from opsroom.core.tests.http_stub import Stub


def _error(status: int, kind: str, message: str, code: str = "") -> tuple[int, Any]:
    error = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return status, {"error": error}


@dataclass
class FakeStripe:
    stub: Stub | None = None
    # id -> {"id", "customer", "cancel_at_period_end", "current_period_end", "coupon"}
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    coupons: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)
    replayed: int = 0
    refuse: tuple[int, Any] | None = None  # every call answers this
    subscription_updates_failing: int = 0  # so many subscription updates answer 500 first

    def subscription_add(self, sub_id: str, *, customer: str, period_end: int) -> None:
        self.subscriptions[sub_id] = {
            "id": sub_id,
            "customer": customer,
            "cancel_at_period_end": False,
            "current_period_end": period_end,
            "coupon": "",
        }

    def invoice_add(self, invoice_id: str, *, customer: str, created: int, number: str) -> None:
        self.invoices.append(
            {
                "id": invoice_id,
                "object": "invoice",
                "customer": customer,
                "status": "paid",
                "number": number,
                "created": created,
                "amount_paid": 1299,
                "currency": "eur",
                "hosted_invoice_url": f"https://invoice.stripe.com/i/{invoice_id}",
                "invoice_pdf": f"https://pay.stripe.com/invoice/{invoice_id}/pdf",
            }
        )

    def _subscription(self, sub: dict[str, Any]) -> dict[str, Any]:
        # The API version of the library: the period lives on the items; cancel_at once set.
        return {
            "id": sub["id"],
            "object": "subscription",
            "status": "active",
            "customer": sub["customer"],
            "cancel_at_period_end": sub["cancel_at_period_end"],
            "cancel_at": sub["current_period_end"] if sub["cancel_at_period_end"] else None,
            "items": {
                "object": "list",
                "data": [{"id": "si_1", "current_period_end": sub["current_period_end"]}],
            },
        }

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        assert self.stub is not None
        key = self.stub.requests[-1]["headers"].get("Idempotency-Key", "")
        if method == "POST" and key in self.answers:
            self.replayed += 1
            return self.answers[key]
        answer = self.refuse or self._answer(method, path, body)
        if method == "POST" and key:
            self.answers[key] = answer
        return answer

    def _answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        url = urlparse(path)
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if (method, url.path) == ("POST", "/v1/coupons"):
            coupon_id = form.get("id") or f"co_{len(self.coupons) + 1}"
            if coupon_id in self.coupons:
                return _error(
                    400,
                    "invalid_request_error",
                    "Coupon already exists.",
                    "resource_already_exists",
                )
            coupon: dict[str, Any] = {
                "id": coupon_id,
                "object": "coupon",
                "percent_off": int(form["percent_off"]),
                "duration": form["duration"],
                "duration_in_months": int(form["duration_in_months"]),
            }
            self.coupons[coupon_id] = coupon
            return 200, coupon
        if method == "GET" and url.path.startswith("/v1/coupons/"):
            held = self.coupons.get(url.path.rsplit("/", 1)[-1])
            if held is None:
                return _error(404, "invalid_request_error", "No such coupon", "resource_missing")
            return 200, held
        if method == "POST" and url.path.startswith("/v1/subscriptions/"):
            sub = self.subscriptions.get(url.path.rsplit("/", 1)[-1])
            if sub is None:
                return _error(
                    404, "invalid_request_error", "No such subscription", "resource_missing"
                )
            if self.subscription_updates_failing:
                self.subscription_updates_failing -= 1
                return _error(500, "api_error", "Something went wrong on Stripe's end.")
            if "cancel_at_period_end" in form:
                sub["cancel_at_period_end"] = form["cancel_at_period_end"] == "true"
            if "discounts[0][coupon]" in form:
                sub["coupon"] = form["discounts[0][coupon]"]
            return 200, self._subscription(sub)
        if (method, url.path) == ("GET", "/v1/invoices"):
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            data = [
                i
                for i in self.invoices
                if i["customer"] == query.get("customer") and i["status"] == query.get("status")
            ]
            data.sort(key=lambda i: i["created"], reverse=True)
            return 200, {"object": "list", "data": data, "has_more": False, "url": "/v1/invoices"}
        return _error(404, "invalid_request_error", "unknown")
