from datetime import timedelta
from typing import Any

import factory

from opsroom.core import clock
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import Invoice, PaymentAttempt, Plan, Subscription
from opsroom.revenue.services import subscription_upsert_many


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("provider_price_id",)

    provider_price_id = factory.Sequence(lambda n: f"price_{n}")
    code = "premium"
    name = "Premium monthly"
    tier = "premium"
    interval = "month"
    interval_count = 1
    amount = 2900
    currency = "usd"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """Subscriptions are written through the revenue service, so MRR and changes are real."""

    class Meta:
        model = Subscription

    provider_subscription_id = factory.Sequence(lambda n: f"sub_{n}")
    person = factory.SubFactory(PersonFactory)
    plan = factory.SubFactory(PlanFactory)
    status = "active"
    interval = factory.LazyAttribute(lambda s: s.plan.interval)
    interval_count = factory.LazyAttribute(lambda s: s.plan.interval_count)
    amount = factory.LazyAttribute(lambda s: s.plan.amount)
    currency = factory.LazyAttribute(lambda s: s.plan.currency)
    started_at = factory.LazyFunction(lambda: clock.now() - timedelta(days=40))
    current_period_start = factory.LazyFunction(lambda: clock.now() - timedelta(days=10))
    current_period_end = factory.LazyFunction(lambda: clock.now() + timedelta(days=20))

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Subscription:
        row = dict(kwargs)
        row["person_id"] = row.pop("person").pk
        plan = row.pop("plan")
        row["plan_id"] = plan.pk if plan else None
        result = subscription_upsert_many(rows=[row])
        return result.by_key[row["provider_subscription_id"]]


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    provider_invoice_id = factory.Sequence(lambda n: f"in_{n}")
    person = factory.SubFactory(PersonFactory)
    status = "paid"
    currency = "usd"
    subtotal = 2900
    total = 2900
    amount_due = 2900
    amount_paid = 2900
    issued_at = factory.LazyFunction(lambda: clock.now() - timedelta(days=10))
    paid_at = factory.LazyAttribute(lambda i: i.issued_at if i.status == "paid" else None)


class PaymentAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentAttempt

    provider_attempt_id = factory.Sequence(lambda n: f"ch_{n}")
    person = factory.SubFactory(PersonFactory)
    amount = 2900
    currency = "usd"
    status = "succeeded"
    attempted_at = factory.LazyFunction(lambda: clock.now() - timedelta(days=10))
    card_brand = "visa"
    card_last4 = "4242"
