"""Stripe webhooks: signed test events produce the right subscriptions, invoices and payments."""

import time

import pytest
from django.test import Client

from opsroom.ingest.tests import stripe_events as s
from opsroom.people.models import Person
from opsroom.revenue.models import (
    BillingCustomer,
    Invoice,
    PaymentAttempt,
    Plan,
    Subscription,
    SubscriptionChange,
)
from opsroom.telemetry.models import IntegrationDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = s.SECRET


@pytest.fixture
def client():
    return Client()


def send(client, event_type, obj, *, at, event_id=None):
    event_id = event_id or f"evt_{event_type}_{at}"
    response = s.post(client, s.event(event_type, obj, created=s.T0 + at, event_id=event_id))
    assert response.status_code == 200, response.content
    return IntegrationDelivery.objects.filter(external_id=event_id).latest("id")


def outcomes():
    return list(IntegrationDelivery.objects.order_by("id").values_list("outcome", flat=True))


def test_a_subscription_lifecycle_produces_its_states_invoices_and_payments(client):
    send(client, "customer.created", s.customer(), at=0)
    send(client, "customer.subscription.created", s.subscription("trialing"), at=1)
    sub = Subscription.objects.get()
    assert (sub.status, sub.mrr_amount, sub.person.external_id) == ("trialing", 0, "u1")
    assert Plan.objects.get().provider_price_id == "price_family_monthly"

    send(client, "customer.subscription.updated", s.subscription("active"), at=100)
    send(client, "invoice.finalized", s.invoice("open"), at=101)
    send(client, "charge.failed", s.charge("failed"), at=102)
    send(client, "invoice.payment_failed", s.invoice("open", attempt_count=1), at=103)
    send(client, "customer.subscription.updated", s.subscription("past_due"), at=104)
    send(client, "charge.succeeded", s.charge("succeeded", charge_id="ch_2"), at=200)
    send(client, "invoice.paid", s.invoice("paid", paid_at=s.T0 + 200), at=201)
    send(client, "customer.subscription.updated", s.subscription("active"), at=202)

    sub.refresh_from_db()
    assert (sub.status, sub.mrr_amount) == ("active", 999)
    kinds = list(SubscriptionChange.objects.values_list("kind", flat=True))
    assert kinds == ["trial_started", "converted", "status_changed", "status_changed"]
    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.amount_paid, invoice.subscription_id) == ("paid", 999, sub.pk)
    attempts = dict(PaymentAttempt.objects.values_list("provider_attempt_id", "status"))
    assert attempts == {"ch_1": "failed", "ch_2": "succeeded"}
    failed = PaymentAttempt.objects.get(provider_attempt_id="ch_1")
    assert (failed.failure_code, failed.decline_code) == ("card_declined", "insufficient_funds")
    assert BillingCustomer.objects.get().card_last4 == "4242"
    assert set(outcomes()) == {"processed"}


def test_a_cancellation_and_a_refund(client):
    send(client, "customer.created", s.customer(), at=0)
    send(client, "customer.subscription.created", s.subscription("active"), at=1)
    send(client, "invoice.paid", s.invoice("paid", paid_at=s.T0 + 2), at=2)
    send(client, "charge.succeeded", s.charge("succeeded", invoice="in_1"), at=3)
    send(client, "charge.refunded", s.charge("succeeded", invoice="in_1", refunded=999), at=4)
    ended = s.subscription("canceled", canceled_at=s.T0 + 5, ended_at=s.T0 + 5)
    send(client, "customer.subscription.deleted", ended, at=5)
    sub = Subscription.objects.get()
    assert (sub.status, sub.mrr_amount, sub.ended_at is not None) == ("canceled", 0, True)
    assert SubscriptionChange.objects.last().kind == "canceled"
    assert Invoice.objects.get().amount_refunded == 999
    assert PaymentAttempt.objects.get().amount_refunded == 999


def test_out_of_order_events_end_in_the_newest_state(client):
    send(client, "customer.subscription.updated", s.subscription("active"), at=100)
    send(client, "customer.subscription.created", s.subscription("trialing"), at=1)
    assert Subscription.objects.get().status == "active"
    assert outcomes() == ["processed", "stale"]
    send(client, "invoice.paid", s.invoice("paid", paid_at=s.T0 + 50), at=50)
    send(client, "invoice.finalized", s.invoice("open"), at=10)
    assert Invoice.objects.get().status == "paid"


def test_of_two_states_from_the_same_second_the_further_one_wins(client):
    ended = s.subscription("canceled", canceled_at=s.T0 + 5, ended_at=s.T0 + 5)
    send(client, "customer.subscription.deleted", ended, at=5)
    send(client, "customer.subscription.updated", s.subscription("active"), at=5)
    assert Subscription.objects.get().status == "canceled"
    send(client, "invoice.paid", s.invoice("paid", paid_at=s.T0 + 7), at=7)
    send(client, "invoice.finalized", s.invoice("open"), at=7)
    assert Invoice.objects.get().status == "paid"


def test_a_repeated_event_is_applied_once(client):
    send(client, "customer.subscription.created", s.subscription("active"), at=1, event_id="e1")
    send(client, "customer.subscription.created", s.subscription("active"), at=1, event_id="e1")
    assert SubscriptionChange.objects.count() == 1
    assert outcomes() == ["processed", "duplicate"]


def test_a_subscription_seen_before_its_customer_follows_the_customer_when_named(client):
    send(client, "customer.subscription.created", s.subscription("active"), at=1)
    assert Subscription.objects.get().person.external_id == "stripe:cus_1"
    send(client, "customer.created", s.customer(user_id="u7"), at=2)
    assert Subscription.objects.get().person.external_id == "u7"
    assert BillingCustomer.objects.get().person.external_id == "u7"


def test_a_customer_without_a_user_id_is_matched_by_email(client):
    known = Person.objects.create(external_id="u9", email="ann@example.com")
    send(client, "customer.created", s.customer(user_id=None), at=0)
    assert BillingCustomer.objects.get().person == known


def test_an_unknown_event_type_is_acknowledged_and_logged(client):
    delivery = send(client, "radar.early_fraud_warning.created", {"id": "issfr_1"}, at=1)
    assert (delivery.outcome, delivery.event_type) == (
        "ignored",
        "radar.early_fraud_warning.created",
    )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body: body.replace('"status":"active"', '"status":"canceled"'),
        lambda body: body + " ",
    ],
    ids=["changed-field", "appended-byte"],
)
def test_a_tampered_payload_is_refused_and_changes_nothing(client, tamper):
    payload = s.event(
        "customer.subscription.created", s.subscription("active"), created=s.T0, event_id="e1"
    )
    response = s.post(client, payload, tamper=tamper)
    assert response.status_code == 401
    assert Subscription.objects.count() == 0
    delivery = IntegrationDelivery.objects.get()
    assert (delivery.outcome, delivery.source) == ("rejected", "stripe")
    assert "signature" in delivery.error


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"secret": "whsec_someone_else"}, 401),
        ({"timestamp": int(time.time()) - 3600}, 401),
    ],
    ids=["wrong-secret", "too-old"],
)
def test_a_bad_signature_or_stale_timestamp_is_refused(client, kwargs, status):
    payload = s.event("customer.created", s.customer(), created=s.T0, event_id="e1")
    assert s.post(client, payload, **kwargs).status_code == status
    assert BillingCustomer.objects.count() == 0


def test_an_unsigned_request_is_refused(client):
    response = client.post("/webhooks/stripe/", data="{}", content_type="application/json")
    assert response.status_code == 401
    assert outcomes() == ["rejected"]


def test_without_a_configured_secret_everything_is_refused(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = s.event("customer.created", s.customer(), created=s.T0, event_id="e1")
    assert s.post(client, payload).status_code == 401


def test_a_signed_body_that_is_not_an_event_is_a_400(client):
    response = s.post(client, {"hello": "world"})
    assert response.status_code == 400
    assert outcomes() == ["failed"]
