"""A local stand-in for the parts of Stripe's API a complimentary grant uses."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from opsroom.core.tests.http_stub import Stub


@dataclass
class FakeStripe:
    """Enough of Stripe's API for comps, including its idempotency: a request with a key seen
    before gets the first answer back and creates nothing."""

    stub: Stub | None = None
    coupons: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)
    replayed: int = 0
    rate_limited: bool = False
    invoice_decline: str = ""  # a decline code makes invoice payments fail with it
    invoices_paid: list[str] = field(default_factory=list)

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        assert self.stub is not None
        key = self.stub.requests[-1]["headers"].get("Idempotency-Key", "")
        if key in self.answers:
            self.replayed += 1
            return self.answers[key]
        if self.rate_limited:
            return 429, {"error": {"type": "rate_limit_error", "message": "Too many requests"}}
        form = parse_qs(body.decode())
        if (method, path) == ("POST", "/v1/coupons"):
            coupon_id = f"co_{len(self.coupons) + 1}"
            coupon = {"id": coupon_id, "object": "coupon", "percent_off": 100}
            self.coupons[coupon_id] = coupon
            answer: tuple[int, Any] = (200, coupon)
        elif (method, path) == ("POST", "/v1/subscriptions"):
            sub = {"id": f"sub_{len(self.subscriptions) + 1}", "object": "subscription"}
            self.subscriptions[sub["id"]] = {**sub, "coupon": form["discounts[0][coupon]"][0]}
            answer = (200, {**sub, "status": "active"})
        elif method == "POST" and path.startswith("/v1/subscriptions/"):
            sub_id = path.rsplit("/", 1)[-1]
            self.subscriptions[sub_id] = {"id": sub_id, "coupon": form["discounts[0][coupon]"][0]}
            answer = (200, {"id": sub_id, "object": "subscription", "status": "active"})
        elif method == "POST" and path.startswith("/v1/invoices/") and path.endswith("/pay"):
            invoice_id = path.split("/")[3]
            if self.invoice_decline:
                answer = (
                    402,
                    {
                        "error": {
                            "type": "card_error",
                            "code": self.invoice_decline,
                            "message": "Your card was declined.",
                        }
                    },
                )
            else:
                self.invoices_paid.append(invoice_id)
                answer = (200, {"id": invoice_id, "object": "invoice", "status": "paid"})
        else:
            answer = (404, {"error": {"type": "invalid_request_error", "message": "unknown"}})
        if key:
            self.answers[key] = answer
        return answer
