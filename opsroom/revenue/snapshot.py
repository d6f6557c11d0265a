"""The billing part of the person snapshot (opsroom.people.snapshot)."""

import calendar
from dataclasses import replace
from datetime import date, datetime, timedelta

from django.conf import settings

from opsroom.people.models import Person
from opsroom.people.snapshot import BILLING, BillingFacts, PaymentFacts
from opsroom.revenue.billing import (
    charge_amount,
    dashboard_url,
    ends_at,
    first_charge_from,
    next_charge_at,
)
from opsroom.revenue.models import BillingCustomer, PaymentAttempt
from opsroom.revenue.selectors import (
    billing_customer_for_person,
    lifetime_value_for_person,
    payment_attempts_for_person,
    subscription_current_for_person,
)

PAYMENT_WINDOW = timedelta(days=30)


def _card_expires(customer: BillingCustomer | None) -> date | None:
    if customer is None or not customer.card_exp_year or not customer.card_exp_month:
        return None
    year, month = customer.card_exp_year, customer.card_exp_month
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        return None
    return date(year, month, calendar.monthrange(year, month)[1])


def _payment(attempt: PaymentAttempt) -> PaymentFacts:
    return PaymentFacts(
        status=attempt.status,
        attempted_at=attempt.attempted_at,
        amount=attempt.amount,
        currency=attempt.currency,
        attempt_number=attempt.attempt_number,
        decline_code=attempt.decline_code or attempt.failure_code,
        failure_message=attempt.failure_message,
        card_brand=attempt.card_brand,
        card_last4=attempt.card_last4,
        next_retry_at=attempt.next_retry_at,
    )


@BILLING.provide
def billing_facts(person: Person, now: datetime) -> BillingFacts:
    """The person's current subscription, card, lifetime value and recent payments."""
    subscription = subscription_current_for_person(person_id=person.pk)
    customer = billing_customer_for_person(person_id=person.pk)
    attempts = payment_attempts_for_person(
        person_id=person.pk, since=now - PAYMENT_WINDOW, limit=50
    )
    failed = sum(attempt.status == PaymentAttempt.Status.FAILED for attempt in attempts)
    facts = BillingFacts(
        status="none",
        subscription_id=None,
        provider_subscription_id="",
        plan_id=None,
        plan_code="",
        plan_name="",
        tier="",
        interval="",
        interval_count=0,
        quantity=0,
        mrr=0,
        currency=settings.OPSROOM_CURRENCY,
        charge_amount=0,
        is_live=False,
        is_complimentary=False,
        discount_percent=0.0,
        discount_ends_at=None,
        trial_end=None,
        cancel_at_period_end=False,
        next_charge_at=None,
        next_charge_amount=None,
        complimentary_until=None,
        next_paid_charge_at=None,
        next_paid_charge_amount=None,
        ends_at=None,
        card_brand=customer.card_brand if customer else "",
        card_last4=customer.card_last4 if customer else "",
        card_expires=_card_expires(customer),
        provider_customer_id=customer.provider_customer_id if customer else "",
        dashboard_url=dashboard_url(
            provider=customer.provider,
            provider_customer_id=customer.provider_customer_id,
            livemode=customer.livemode,
        )
        if customer
        else "",
        lifetime_value=lifetime_value_for_person(person_id=person.pk),
        payments_failed_30d=failed,
        last_payment=_payment(attempts[0]) if attempts else None,
    )
    if subscription is None:
        return facts
    plan = subscription.plan
    next_at = next_charge_at(subscription)
    free_until = subscription.discount_ends_at if subscription.is_complimentary else None
    next_paid = next_at
    if free_until is not None and next_at is not None:
        next_paid = first_charge_from(subscription, start=free_until)
    return replace(
        facts,
        status=subscription.status,
        subscription_id=subscription.pk,
        provider_subscription_id=subscription.provider_subscription_id,
        plan_id=subscription.plan_id,
        plan_code=plan.code if plan else "",
        plan_name=plan.name if plan else "",
        tier=(plan.tier if plan else "") or "",
        interval=subscription.interval,
        interval_count=subscription.interval_count,
        quantity=subscription.quantity,
        mrr=subscription.mrr_amount,
        currency=subscription.currency,
        charge_amount=subscription.amount * subscription.quantity,
        is_live=subscription.is_live,
        is_complimentary=subscription.is_complimentary,
        discount_percent=float(subscription.discount_percent),
        discount_ends_at=subscription.discount_ends_at,
        trial_end=subscription.trial_end,
        cancel_at_period_end=subscription.cancel_at_period_end,
        next_charge_at=next_at,
        next_charge_amount=charge_amount(subscription, at=next_at) if next_at else None,
        complimentary_until=free_until,
        next_paid_charge_at=next_paid,
        next_paid_charge_amount=charge_amount(subscription, at=next_paid) if next_paid else None,
        ends_at=ends_at(subscription),
    )
