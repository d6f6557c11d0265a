"""Webhooks under attack and misuse: refused cheaply before reading, every signed call recorded,
malformed provider payloads a 400 with a reason (never a 500), bounded records of refusals."""

import base64
import hashlib
import hmac
import io
import json
import time

import pytest
import stripe
from django.test import Client, RequestFactory

from opsroom.ingest.tests import stripe_events as s
from opsroom.ingest.webhooks.email.views import email_inbound_webhook
from opsroom.ingest.webhooks.sentry.views import sentry_webhook
from opsroom.ingest.webhooks.stripe.views import stripe_webhook
from opsroom.people.models import Person
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import BillingCustomer, Subscription
from opsroom.telemetry.models import ErrorEvent, IntegrationDelivery

pytestmark = pytest.mark.django_db
SENTRY_SECRET = "sentry-client-secret-0123456789"
THIRTY_MB = 30 * 1024 * 1024


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.STRIPE_WEBHOOK_SECRET = s.SECRET
    settings.SENTRY_CLIENT_SECRET = SENTRY_SECRET
    settings.OPSROOM_EMAIL_ESP = "postmark"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "esp:correct-horse"}


class CountingStream(io.RawIOBase):
    """A request body that counts how much of it the server read."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"{" * n
        self.read_bytes += n
        return n


def huge_request(path: str, **headers):
    """A POST declaring a 30 MB body, whose bytes are counted as they are read."""
    stream = CountingStream(THIRTY_MB)
    request = RequestFactory().post(path, data=b"", content_type="application/json", **headers)
    request.META["CONTENT_LENGTH"] = str(THIRTY_MB)
    request.META["wsgi.input"] = stream
    from django.core.handlers.wsgi import LimitedStream

    request._stream = LimitedStream(stream, THIRTY_MB)  # type: ignore[arg-type,assignment]
    return request, stream


def signed_stripe(body: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(
        body, s.SECRET, timestamp=timestamp or int(time.time())
    )


def post_stripe(body: str, header: str | None = None):
    return Client().post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header or signed_stripe(body),
    )


def post_sentry(body: bytes, resource="error"):
    signature = hmac.new(SENTRY_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return Client().post(
        "/webhooks/sentry/",
        data=body,
        content_type="application/json",
        HTTP_SENTRY_HOOK_RESOURCE=resource,
        HTTP_SENTRY_HOOK_SIGNATURE=signature,
    )


# 1. A large anonymous body costs nothing: refused from its headers, unread, barely recorded.


@pytest.mark.parametrize(
    ("view", "path", "headers"),
    [
        (stripe_webhook, "/webhooks/stripe/", {"HTTP_STRIPE_SIGNATURE": "t=1,v1=junk"}),
        (
            stripe_webhook,
            "/webhooks/stripe/",
            {"HTTP_STRIPE_SIGNATURE": f"t={int(time.time())},v1=junk"},
        ),
        (sentry_webhook, "/webhooks/sentry/", {"HTTP_SENTRY_HOOK_SIGNATURE": "0" * 64}),
        (sentry_webhook, "/webhooks/sentry/", {}),
        (email_inbound_webhook, "/webhooks/email/inbound/", {}),
    ],
    ids=["stripe-stale-junk", "stripe-fresh-junk", "sentry-junk", "sentry-unsigned", "email"],
)
def test_a_large_unsigned_body_is_refused_without_being_read(view, path, headers):
    request, stream = huge_request(path, **headers)
    response = view(request)
    assert response.status_code in (401, 413)
    assert stream.read_bytes == 0
    delivery = IntegrationDelivery.objects.get()
    assert delivery.outcome == "rejected"
    assert len(json.dumps(delivery.payload)) < 200


def test_a_refused_body_is_not_parsed_nor_stored(client):
    body = json.dumps({"password": "hunter2", "padding": "x" * 100_000})
    response = post_stripe(body, header=f"t={int(time.time())},v1={'0' * 64}")
    assert response.status_code == 401
    delivery = IntegrationDelivery.objects.get()
    assert set(delivery.payload) == {"bytes", "content_type", "ip"}
    assert delivery.payload["bytes"] == len(body)


def test_refused_deliveries_are_rate_limited_and_capped(settings):
    settings.OPSROOM_REFUSED_DELIVERIES_PER_MINUTE = 5
    for _ in range(12):
        assert post_sentry(b"{}").status_code in (200, 400)  # signed: recorded in full
        Client().post("/webhooks/sentry/", data=b"{}", content_type="application/json")
    assert IntegrationDelivery.objects.filter(outcome="rejected").count() == 5
    settings.OPSROOM_REFUSED_DELIVERIES_PER_MINUTE = 1000
    settings.OPSROOM_REFUSED_DELIVERIES_KEPT = 3
    for _ in range(6):
        Client().post("/webhooks/stripe/", data=b"{}", content_type="application/json")
    assert IntegrationDelivery.objects.filter(source="stripe", outcome="rejected").count() == 3
    # Signed deliveries are never dropped by the cap.
    assert IntegrationDelivery.objects.filter(source="sentry").exclude(outcome="rejected").count()


def test_a_signed_body_over_the_endpoint_limit_is_a_413(settings):
    settings.OPSROOM_STRIPE_WEBHOOK_MAX_BYTES = 1000
    body = json.dumps(s.event("customer.created", s.customer(), created=s.T0, event_id="e1"))
    response = post_stripe(body + " " * 1000)
    assert response.status_code == 413
    assert "at most 1,000 bytes" in response.json()["detail"]


def test_email_webhooks_check_basic_auth_before_reading():
    request, stream = huge_request(
        "/webhooks/email/inbound/",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"esp:wrong").decode(),
    )
    assert email_inbound_webhook(request).status_code == 401
    assert stream.read_bytes == 0


# 10. Signed but malformed provider payloads: a 400 with the field, and always a record.


def _subscription_event(**changes):
    sub = s.subscription("active")
    sub.update(changes)
    return s.event("customer.subscription.updated", sub, created=s.T0, event_id="evt_bad")


def _price_event(**price_changes):
    sub = s.subscription("active")
    sub["items"]["data"][0]["price"].update(price_changes)
    return s.event("customer.subscription.updated", sub, created=s.T0, event_id="evt_bad")


def _item_event(**changes):
    sub = s.subscription("active")
    sub["items"]["data"][0].update(changes)
    return s.event("customer.subscription.updated", sub, created=s.T0, event_id="evt_bad")


def _charge_event(**changes):
    charge = s.charge("failed")
    charge.update(changes)
    return s.event("charge.failed", charge, created=s.T0, event_id="evt_bad")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([1, 2, 3], "not a JSON object"),
        ({**s.event("customer.created", s.customer(), created=s.T0, event_id="e")}, None),
        (
            {**s.event("customer.created", s.customer(), created=0, event_id="e"), "created": 1e20},
            "created",
        ),
        (_price_event(unit_amount="lots"), "price.unit_amount"),
        (_subscription_event(current_period_end=1e20), "current_period_end"),
        (_charge_event(amount=1e30), "amount"),
        (_subscription_event(status="bogus"), "status"),
        (_item_event(quantity=-5), "quantity"),
        (_subscription_event(customer={"no": "id"}), "customer.id"),
        (
            s.event(
                "customer.created",
                s.customer(),
                created=int(time.time()) + 86400 * 365,
                event_id="e",
            ),
            "future",
        ),
    ],
    ids=[
        "list-body",
        "valid-control",
        "created-1e20",
        "unit-amount-text",
        "period-end-1e20",
        "amount-1e30",
        "status-bogus",
        "negative-quantity",
        "customer-without-id",
        "created-in-a-year",
    ],
)
def test_a_malformed_signed_stripe_event_is_a_400_with_a_record(body, field):
    text = json.dumps(body, separators=(",", ":"))
    response = post_stripe(text)
    delivery = IntegrationDelivery.objects.get()
    if field is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.content
    assert field in response.json()["detail"]
    assert delivery.outcome == "failed"
    assert field in delivery.error
    assert not Subscription.objects.filter(status="bogus").exists()


def test_a_deeply_nested_signed_stripe_event_is_a_400():
    deep = "[" * 5000 + "]" * 5000
    body = '{"id":"e","type":"customer.created","created":1,"data":{"object":' + deep + "}}"
    response = post_stripe(body)
    assert response.status_code == 400
    assert IntegrationDelivery.objects.get().outcome == "failed"


def test_a_signature_timestamp_in_the_future_is_refused():
    body = json.dumps(s.event("customer.created", s.customer(), created=s.T0, event_id="e1"))
    response = post_stripe(body, header=signed_stripe(body, timestamp=int(time.time()) + 3600))
    assert response.status_code == 401
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"datetime": 1e300, "timestamp": None},
        {"datetime": "9999-01-01T00:00:00Z", "timestamp": None},
        {"datetime": "2090-01-01T00:00:00Z", "timestamp": None},
        {"event_id": {"nested": 1}},
        {"user": ["not", "an", "object"]},
        {"tags": "not-a-list"},
    ],
    ids=["datetime-1e300", "year-9999", "far-future", "event-id-object", "user-list", "tags-text"],
)
def test_a_malformed_signed_sentry_event_is_a_400_with_a_record(change):
    from opsroom.ingest.tests.test_webhook_sentry import error_payload

    payload = error_payload()
    payload["data"]["error"].update(change)
    response = post_sentry(json.dumps(payload).encode())
    assert response.status_code in (200, 400), response.content
    delivery = IntegrationDelivery.objects.get()
    if response.status_code == 400:
        assert delivery.outcome == "failed"
    else:  # tolerated (a tag list that is not pairs is no tags)
        assert delivery.outcome == "processed"
    assert not ErrorEvent.objects.filter(occurred_at__year__gt=2080).exists()


def test_a_signed_sentry_body_that_is_not_an_object_is_recorded():
    response = post_sentry(b"[1, 2]")
    assert response.status_code == 400
    assert IntegrationDelivery.objects.get().outcome == "failed"


# 11. What happened to a customer is said on its delivery.


def test_a_customer_without_a_user_id_is_flagged_on_its_delivery():
    body = json.dumps(
        s.event(
            "customer.created",
            s.customer(user_id=None, email="x@nowhere"),
            created=s.T0,
            event_id="e1",
        )
    )
    assert post_stripe(body).status_code == 200
    delivery = IntegrationDelivery.objects.get()
    assert delivery.outcome == "processed"
    assert "placeholder person stripe:cus_1" in delivery.error
    assert Person.objects.get().external_id == "stripe:cus_1"


def test_a_customer_update_naming_a_user_with_another_customer_is_not_processed():
    ann = PersonFactory(external_id="u1")
    BillingCustomer.objects.create(person=ann, provider_customer_id="cus_ann")
    body = json.dumps(
        s.event("customer.created", s.customer("cus_2", user_id=None), created=s.T0, event_id="e1")
    )
    post_stripe(body)
    body = json.dumps(
        s.event(
            "customer.updated", s.customer("cus_2", user_id="u1"), created=s.T0 + 1, event_id="e2"
        )
    )
    response = post_stripe(body)
    assert response.status_code == 200
    delivery = IntegrationDelivery.objects.get(external_id="e2")
    assert delivery.outcome == "failed"
    assert "Not applied" in delivery.error
