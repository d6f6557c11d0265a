"""Subscriptions over time: trials, conversions, renewals, dunning, plan changes, cancellations.

Every state change is written as a subscription row carrying `source_updated_at`, in time
order, so the revenue services log the real history (and the MRR chart sums it).
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from opsroom.demo.world import catalog, dunning, mail, payments, support
from opsroom.demo.world.catalog import Coupon, PlanDef
from opsroom.demo.world.events import emit
from opsroom.demo.world.state import InvoiceState, PersonSim, SubState, sigmoid
from opsroom.demo.world.traffic import api_call
from opsroom.revenue.periods import period_end as period_after

if TYPE_CHECKING:
    from opsroom.demo.world.context import World

CANCEL_REASONS = (
    ("too_expensive", 30),
    ("not_using_enough", 34),
    ("kids_eat_anything_now", 6),
    ("switching_app", 8),
    ("missing_features", 10),
    ("technical_problems", 5),
    ("other", 7),
)


def sub_write(world: "World", person: PersonSim, sub: SubState, at: datetime) -> None:
    """Write the subscription's state as of `at`."""
    coupon = sub.coupon
    world.batch.subscriptions.append(
        {
            "provider_subscription_id": sub.sub_id,
            "_person": person.external_id,
            "_plan": sub.plan.price_id,
            "status": sub.status,
            "interval": sub.plan.interval,
            "interval_count": 1,
            "amount": 0 if sub.is_complimentary else sub.plan.amount,
            "currency": "usd",
            "quantity": 1,
            "discount_percent": coupon.percent if coupon else 0,
            "discount_ends_at": sub.discount_ends_at,
            "started_at": sub.started_at,
            "trial_start": sub.trial_start,
            "trial_end": sub.trial_end,
            "current_period_start": sub.period_start,
            "current_period_end": sub.period_end,
            "cancel_at_period_end": sub.cancel_at_period_end,
            "canceled_at": sub.canceled_at,
            "ended_at": sub.ended_at,
            "cancellation_reason": sub.cancellation_reason,
            "is_complimentary": sub.is_complimentary,
            "metadata": {"coupon": coupon.code} if coupon else {},
            "source_updated_at": at,
            "created_at": sub.created_at,
        }
    )


def _new_sub(
    world: "World", person: PersonSim, plan: PlanDef, at: datetime, status: str
) -> SubState:
    payments.customer_ensure(world, person, at)
    person.subs_started += 1
    return SubState(
        sub_id=world.ids.stripe("sub_"),
        plan=plan,
        status=status,
        created_at=at,
        started_at=at,
        period_start=at,
        period_end=period_after(start=at, interval=plan.interval, interval_count=1),
    )


def coupon_apply(sub: SubState, coupon: Coupon | None, at: datetime) -> None:
    sub.coupon = coupon
    sub.discount_ends_at = None
    if coupon is not None and coupon.months is not None:
        sub.discount_ends_at = period_after(
            start=at, interval="month", interval_count=coupon.months
        )


def plan_choice(world: "World", person: PersonSim, at: datetime) -> PlanDef:
    rng = world.rng
    kids = len(person.kids)
    family_share = {1: 0.06, 2: 0.22}.get(kids, 0.55)
    tier = "family" if rng.random() < family_share else "premium"
    return catalog.plan_for(
        tier=tier, annual=rng.random() < 0.22, legacy_price=at < world.legacy_price_until
    )


def trial_start(world: "World", person: PersonSim, at: datetime) -> None:
    """Start the one free trial a person gets (card up front, 14 days)."""
    if person.sub is not None or person.had_trial or person.status != "active":
        return
    if at >= world.horizon:  # decided this week, but the simulation ends first
        return
    plan = plan_choice(world, person, at)
    emit(world, person, "checkout_started", at, {"plan": plan.code})
    api_call(
        world, person, "POST /api/billing/checkout-session", at, request={"price": plan.price_id}
    )
    sub = _new_sub(world, person, plan, at, "trialing")
    sub.trial_start = at
    sub.trial_end = sub.period_end = at + timedelta(days=plan.trial_days)
    coupon = None
    if person.channel == "partner":
        coupon = catalog.COUPON_PARTNER
    elif person.channel == "paid_social" and world.rng.random() < 0.35:
        coupon = catalog.COUPON_WELCOME
    coupon_apply(sub, coupon, at)
    person.sub, person.had_trial = sub, True
    sub_write(world, person, sub, at)
    payments.invoice_new(world, person, sub, at, reason="subscription_create",
                         period_end=sub.period_end, subtotal=0)  # fmt: skip
    emit(world, person, "trial_started", at + timedelta(seconds=3), {"plan": plan.code})
    person.schedule(sub.period_end - timedelta(days=3), "trial_will_end", sub.sub_id)
    person.schedule(sub.period_end, "period_end", sub.sub_id)


def purchase(world: "World", person: PersonSim, at: datetime, *, coupon: Coupon | None) -> None:
    """Subscribe without a trial (a returning customer): Stripe-style, a new subscription."""
    if person.sub is not None or person.status != "active" or at >= world.horizon:
        return
    plan = plan_choice(world, person, at)
    emit(
        world,
        person,
        "checkout_started",
        at,
        {"plan": plan.code, "coupon": coupon.code if coupon else ""},
    )
    sub = _new_sub(world, person, plan, at, "incomplete")
    coupon_apply(sub, coupon, at)
    person.sub = sub
    invoice = payments.invoice_new(world, person, sub, at, reason="subscription_create",
                                   period_end=sub.period_end, subtotal=plan.amount)  # fmt: skip
    decline = payments.decline_for_charge(world, person, at)
    payments.charge(world, person, sub, invoice, at, decline=decline)
    if decline is not None:  # the first payment failed: Stripe expires it after a day
        sub_write(world, person, sub, at)
        sub.status, sub.ended_at = "incomplete_expired", at + timedelta(hours=23)
        sub_write(world, person, sub, sub.ended_at)
        person.sub = None
        return
    sub.status = "active"
    sub_write(world, person, sub, at)
    _receipt(world, person, sub, invoice.total, invoice.number, at)
    emit(world, person, "subscription_started", at + timedelta(seconds=2), {"plan": plan.code})
    person.boost += 0.8
    person.churned_at = None
    mail.finish(world, person, "winback", at, reason="reactivated")
    person.schedule(sub.period_end, "period_end", sub.sub_id)


def complimentary_start(world: "World", person: PersonSim, at: datetime) -> None:
    """A partner or influencer gets a free family plan from the team."""
    payments.customer_ensure(world, person, at)
    sub = _new_sub(world, person, catalog.FAMILY_ANNUAL, at, "active")
    sub.is_complimentary = True
    person.sub = sub
    sub_write(world, person, sub, at)
    person.schedule(sub.period_end, "period_end", sub.sub_id)


def period_end(world: "World", person: PersonSim, at: datetime, sub_id: str) -> None:
    """A billing period (or the trial) is over: convert, renew, or end."""
    sub = person.sub
    if sub is None or sub.sub_id != sub_id or sub.period_end != at:
        return
    if sub.cancel_at_period_end or person.status != "active":
        end(world, person, at, reason=sub.cancellation_reason or "canceled at period end")
        return
    if sub.status == "trialing":
        engaged = person.engagement(at)
        chance = sigmoid(0.7 + 1.4 * (engaged + 0.3) + 0.5 * person.adopted_templates
                         - 0.4 * min(person.frustration, 2))  # fmt: skip
        if world.rng.random() >= chance:
            sub.canceled_at = at
            end(world, person, at, reason="trial ended without converting")
            return
    if sub.status in ("past_due", "unpaid"):  # renewals wait until the dunning is settled
        sub.period_end = at + timedelta(days=2)
        person.schedule(sub.period_end, "period_end", sub.sub_id)
        return
    if sub.coupon is not None and sub.discount_ends_at is not None and at >= sub.discount_ends_at:
        sub.coupon, sub.discount_ends_at = None, None
    sub.period_start = at
    sub.period_end = period_after(start=at, interval=sub.plan.interval, interval_count=1)
    person.schedule(sub.period_end, "period_end", sub.sub_id)
    if sub.is_complimentary:
        sub_write(world, person, sub, at)
        return
    card = person.card_on_file
    if card.is_expired(at) and card.auto_updates:
        dunning.card_replace(world, person, at, keep_number=True)
    invoice = payments.invoice_new(world, person, sub, at, reason="subscription_cycle",
                                   period_end=sub.period_end, subtotal=sub.plan.amount)  # fmt: skip
    _collect(world, person, sub, invoice, at)
    if person.sub is sub:
        sub_write(world, person, sub, at)


def _collect(
    world: "World", person: PersonSim, sub: SubState, invoice: InvoiceState, at: datetime
) -> None:
    decline = payments.decline_for_charge(world, person, at)
    if decline is None:
        payments.charge(world, person, sub, invoice, at, decline=None)
        sub.status = "active"
        _receipt(world, person, sub, invoice.total, invoice.number, at)
        support.after_charge(world, person, sub, at)
        return
    retry_at = None if decline in payments.NO_RETRY else payments.next_retry(at, 1)
    payments.charge(world, person, sub, invoice, at, decline=decline, next_retry_at=retry_at)
    sub.status, sub.invoice, sub.dunning_since = "past_due", invoice, at
    dunning.payment_failed(world, person, sub, at, decline)
    if retry_at is not None:
        person.schedule(retry_at, "retry", sub.sub_id)
    person.schedule(at + timedelta(days=15), "dunning_end", sub.sub_id)


def end(world: "World", person: PersonSim, at: datetime, *, reason: str) -> None:
    """The subscription ends now (immediately or at the end of its period)."""
    sub = person.sub
    if sub is None:
        return
    was_paying = sub.status in ("active", "past_due", "unpaid")
    sub.status, sub.ended_at = "canceled", at
    sub.canceled_at = sub.canceled_at or at
    sub.cancellation_reason = sub.cancellation_reason or reason
    sub_write(world, person, sub, at)
    person.sub = None
    mail.finish(world, person, "dunning", at, reason="subscription ended")
    if was_paying and not sub.is_complimentary and person.status == "active":
        person.churned_at = at
        person.walk -= 0.8
        mail.enroll(world, person, "winback", at)


def cancel(
    world: "World", person: PersonSim, at: datetime, *, immediate: bool, reason: str
) -> None:
    """The customer cancels: now, or (the usual way) at the end of the paid period."""
    sub = person.sub
    if sub is None or not sub.is_live:
        return
    sub.cancellation_reason = reason
    emit(
        world,
        person,
        "subscription_cancel_requested",
        at,
        {"reason": reason, "immediate": immediate},
    )
    if immediate or sub.status in ("past_due", "unpaid"):
        sub.canceled_at = at
        end(world, person, at, reason=reason)
        return
    sub.cancel_at_period_end, sub.canceled_at = True, at
    sub_write(world, person, sub, at)


def cancel_revoke(world: "World", person: PersonSim, at: datetime) -> None:
    sub = person.sub
    if sub is None or not sub.cancel_at_period_end or at >= world.horizon:
        return
    sub.cancel_at_period_end, sub.canceled_at, sub.cancellation_reason = False, None, ""
    emit(world, person, "subscription_resumed", at, {"plan": sub.plan.code})
    sub_write(world, person, sub, at)


def _receipt(
    world: "World", person: PersonSim, sub: SubState, amount: int, number: str, at: datetime
) -> None:
    if amount > 0:
        mail.send(world, person, "payment_receipt", at + timedelta(minutes=1), values={
            "amount": payments.money(amount), "plan": sub.plan.name, "number": number,
            "url": f"https://invoice.stripe.com/i/{number}",
        })  # fmt: skip


def paywall_seen(world: "World", person: PersonSim, at: datetime) -> None:
    """Hitting a premium feature sometimes tips a free family into a trial."""
    if person.sub is None and not person.had_trial and world.rng.random() < 0.05:
        trial_start(world, person, at + timedelta(seconds=30))
