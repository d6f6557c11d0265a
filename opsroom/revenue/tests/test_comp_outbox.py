"""Complimentary grants for Stripe customers go through the outbox: queued with the decision,
applied in Stripe after commit with idempotency keys, recorded here once Stripe answered."""

from datetime import UTC, datetime, timedelta

import pytest

from opsroom.core import clock
from opsroom.core.models import AuditEntry, OutboxEntry
from opsroom.core.outbox.tasks import outbox_sweep
from opsroom.core.services.audit import AuditContext
from opsroom.core.tests.http_stub import http_stub
from opsroom.core.tests.outbox_worker import (
    WorkerKilled,
    killed_after_perform,
    outbox_tasks_run,
)
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import Subscription
from opsroom.revenue.services import (
    billing_customer_upsert_many,
    subscription_complimentary_request,
)
from opsroom.revenue.tests.factories import PlanFactory, SubscriptionFactory
from opsroom.revenue.tests.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AFTER_LEASE = T0 + timedelta(seconds=301)


@pytest.fixture
def person():
    person = PersonFactory(name="Jane Doe", email="jane@example.com")
    billing_customer_upsert_many(
        rows=[{"provider_customer_id": "cus_jane", "person_id": person.pk}]
    )
    return person


@pytest.fixture
def plan():
    return PlanFactory(code="premium", name="Premium", provider_price_id="price_premium")


@pytest.fixture
def stripe(settings):
    settings.OPSROOM_OUTBOX_INLINE = False
    settings.OPSROOM_OUTBOX_LEASE_SECONDS = 300
    fake = FakeStripe()
    with http_stub(fake.handle) as stub:
        fake.stub = stub
        settings.STRIPE_API_KEY = "sk_test_local"
        settings.STRIPE_API_BASE = stub.url
        yield fake


def _grant(person, plan, staff, **kwargs):
    return subscription_complimentary_request(
        person=person,
        plan=plan,
        months=3,
        audit=AuditContext(actor=staff, label=staff.username),
        reason="Apology for the outage",
        **kwargs,
    )


def test_killed_after_stripe_answered_and_before_recording_the_retry_creates_nothing_twice(
    person, plan, staff_billing, stripe, monkeypatch
):
    with clock.clock_frozen_at(T0):
        grant = _grant(person, plan, staff_billing)
        assert not grant.is_applied
        with (
            killed_after_perform(monkeypatch, "stripe.comp_grant") as lost,
            pytest.raises(WorkerKilled),
        ):
            outbox_tasks_run()
    # Stripe made the coupon and the subscription; Opsroom recorded neither.
    assert (len(stripe.coupons), len(stripe.subscriptions)) == (1, 1)
    assert not Subscription.objects.filter(is_complimentary=True).exists()
    assert not AuditEntry.objects.filter(action="subscription.comp_grant").exists()
    with clock.clock_frozen_at(AFTER_LEASE):
        outbox_sweep.call()  # the lease lapsed: the entry is retried
        outbox_tasks_run()
    entry = OutboxEntry.objects.get(kind="stripe.comp_grant")
    requests = stripe.stub.requests
    keys = [request["headers"]["Idempotency-Key"] for request in requests]
    key = entry.idempotency_key
    assert keys == [f"{key}:coupon", f"{key}:subscription"] * 2  # the retry reused them
    assert stripe.replayed == 2
    assert (len(stripe.coupons), len(stripe.subscriptions)) == (1, 1)  # nothing twice
    assert (entry.status, entry.attempts) == ("done", 2)
    assert (
        entry.outcome
        == lost[0]
        == {
            "coupon": "co_1",
            "subscription": "sub_1",
            "recorded_subscription": "sub_1",
        }
    )
    subscription = Subscription.objects.get(is_complimentary=True)
    assert (subscription.provider_subscription_id, subscription.person) == ("sub_1", person)
    assert (subscription.provider, subscription.mrr_amount) == ("stripe", 0)
    audit = AuditEntry.objects.get(action="subscription.comp_grant")
    assert (audit.actor, audit.target_id) == (staff_billing, str(person.pk))
    assert audit.params["stripe_coupon"] == "co_1"
    assert audit.params["outbox_entry"] == entry.pk


def test_a_live_stripe_subscription_is_discounted_once_stripe_confirms(
    person, plan, staff_billing, stripe
):
    SubscriptionFactory(
        person=person, plan=plan, provider="stripe", provider_subscription_id="sub_jane"
    )
    _grant(person, plan, staff_billing)
    assert Subscription.objects.get(provider_subscription_id="sub_jane").mrr_amount == 2900
    outbox_tasks_run()
    assert stripe.subscriptions["sub_jane"]["coupon"] == "co_1"
    jane = Subscription.objects.get(provider_subscription_id="sub_jane")
    assert (jane.is_complimentary, jane.mrr_amount) == (True, 0)
    assert jane.metadata["complimentary"]["stripe_coupon"] == "co_1"


def test_while_it_waits_for_stripe_the_grant_is_its_pending_entry(
    person, plan, staff_billing, stripe
):
    grant = subscription_complimentary_request(
        person=person,
        plan=plan,
        months=3,
        audit=AuditContext(actor=staff_billing, label="bea"),
    )
    assert grant.subscription is None
    assert grant.outbox_entry.status == "pending"
    assert OutboxEntry.objects.get(kind="stripe.comp_grant").status == "pending"
    assert stripe.stub.requests == []  # nothing left before a worker picked it up


def test_stripe_rate_limiting_is_retried_later_with_the_same_keys(
    person, plan, staff_billing, stripe
):
    stripe.rate_limited = True
    with clock.clock_frozen_at(T0):
        _grant(person, plan, staff_billing)
        outbox_tasks_run()
    entry = OutboxEntry.objects.get(kind="stripe.comp_grant")
    assert (entry.status, entry.attempts) == ("pending", 1)
    assert entry.last_error == "RuntimeError: Stripe did not answer: Too many requests"
    stripe.rate_limited = False
    with clock.clock_frozen_at(entry.next_attempt_at):
        outbox_tasks_run()
    entry.refresh_from_db()
    assert entry.status == "done"
    keys = [request["headers"]["Idempotency-Key"] for request in stripe.stub.requests]
    key = entry.idempotency_key
    assert keys == [f"{key}:coupon", f"{key}:coupon", f"{key}:subscription"]
    assert Subscription.objects.filter(is_complimentary=True).count() == 1


def test_without_stripe_the_comp_is_recorded_at_once_and_nothing_is_queued(
    person, plan, staff_billing, settings
):
    settings.STRIPE_API_KEY = ""
    settings.OPSROOM_OUTBOX_INLINE = False
    grant = _grant(person, plan, staff_billing)
    assert grant.is_applied
    assert grant.outbox_entry is None
    assert grant.subscription.provider == "opsroom"
    assert not OutboxEntry.objects.exists()
    assert AuditEntry.objects.get(action="subscription.comp_grant").params["applied_via"] == (
        "opsroom"
    )
