"""Weekly decisions of a family, driven by its latent engagement.

Churn follows engagement probabilistically: low engagement raises the weekly hazard of
canceling, payment trouble and errors raise it further, and using meal plan templates
lowers it, which is the retention effect the insights are meant to find.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from opsroom.demo.world import billing, catalog, dunning, feature_questions, mail, payments, support
from opsroom.demo.world.events import emit
from opsroom.demo.world.state import PersonSim, sigmoid
from opsroom.revenue.periods import period_end as period_after

if TYPE_CHECKING:
    from opsroom.demo.world.context import World

_REASONS = [name for name, _ in billing.CANCEL_REASONS]
_REASON_WEIGHTS = [weight for _, weight in billing.CANCEL_REASONS]
TEMPLATE_RETENTION = 0.55  # hazard multiplier for families who use meal plan templates


def weekly(world: "World", person: PersonSim, at: datetime) -> None:
    """Drift the latent engagement, then let the family decide what to do about the app."""
    rng = world.rng
    person.walk += person.trend + rng.gauss(0, 0.22)
    person.boost *= 0.6
    person.frustration *= 0.5
    person.pay_trouble *= 0.7
    engaged = person.engagement(at)
    sub = person.sub
    if person.status != "active":
        person.gone = sub is None and not person.agenda
        return
    support.weekly(world, person, at)
    feature_questions.weekly(world, person, at)
    _card_upkeep(world, person, at)
    if sub is None:
        _free_week(world, person, at, engaged)
    elif sub.status == "trialing":
        if not sub.cancel_at_period_end and rng.random() < 0.05 * (1 - sigmoid(engaged + 1)):
            sub.cancel_at_period_end, sub.canceled_at = True, at
            sub.cancellation_reason = "canceled during trial"
            billing.sub_write(world, person, sub, at)
    elif not sub.is_complimentary:
        _subscriber_week(world, person, at, engaged)
    if rng.random() < 0.0025 and len(person.kids) < 5:
        _kid_added(world, person, at)


def churn_hazard(person: PersonSim, engaged: float) -> float:
    """The weekly chance that a paying family decides to cancel."""
    hazard = sigmoid(
        -4.1 - 1.05 * (engaged + 0.5) + 0.8 * min(person.pay_trouble, 2.0)
        + 0.3 * min(person.frustration, 3.0)
    )  # fmt: skip
    if person.adopted_templates:
        hazard *= TEMPLATE_RETENTION
    if person.sub is not None and person.sub.plan.is_annual:
        hazard *= 0.6
    return hazard


def _subscriber_week(world: "World", person: PersonSim, at: datetime, engaged: float) -> None:
    rng = world.rng
    sub = person.subscription
    if sub.cancel_at_period_end:
        if rng.random() < 0.06 * sigmoid(engaged + 0.5):
            billing.cancel_revoke(world, person, at + timedelta(hours=rng.uniform(0, 48)))
        return
    if sub.status != "active":
        return
    if rng.random() < churn_hazard(person, engaged):
        when = at + timedelta(hours=rng.uniform(0, 150))
        reason = rng.choices(_REASONS, weights=_REASON_WEIGHTS)[0]
        if person.frustration > 1 and rng.random() < 0.5:
            reason = "technical_problems"
        if rng.random() < 0.2:
            support.cancellation_ticket(world, person, when, reason)
        else:
            immediate = not sub.plan.is_annual and rng.random() < 0.12
            person.schedule(when, "cancel", (sub.sub_id, reason, immediate))
        return
    months = (at - sub.started_at).days / 30
    roll = rng.random()
    if sub.plan.tier == "premium" and len(person.kids) >= 2 and roll < 0.006 * sigmoid(engaged) * 2:
        plan_change(world, person, at, tier="family", annual=sub.plan.is_annual)
    elif sub.plan.tier == "family" and engaged < -1.5 and roll < 0.006:
        plan_change(world, person, at, tier="premium", annual=sub.plan.is_annual)
    elif not sub.plan.is_annual and months >= 2 and engaged > -0.5 and roll < 0.005:
        plan_change(world, person, at, tier=sub.plan.tier, annual=True)


def plan_change(
    world: "World", person: PersonSim, at: datetime, *, tier: str, annual: bool
) -> None:
    """Switch plans now: prorate the rest of the period, charge the difference if any."""
    sub = person.subscription
    old = sub.plan
    new = catalog.plan_for(tier=tier, annual=annual, legacy_price=False)
    if new == old:
        return
    total = (sub.period_end - sub.period_start).total_seconds()
    left = max(0.0, (sub.period_end - at).total_seconds()) / total if total else 0.0
    credit = round(old.amount * left)
    emit(world, person, "plan_changed", at, {"from": old.code, "to": new.code})
    sub.plan = new
    if new.interval != old.interval:
        sub.period_start = at
        sub.period_end = period_after(start=at, interval=new.interval, interval_count=1)
        person.schedule(sub.period_end, "period_end", sub.sub_id)
        amount = max(0, new.amount - credit)
    else:
        amount = max(0, round(new.amount * left) - credit)
    if amount > 0:
        invoice = payments.invoice_new(world, person, sub, at, reason="subscription_update",
                                       period_end=sub.period_end, subtotal=amount)  # fmt: skip
        payments.charge(world, person, sub, invoice, at, decline=None)
    billing.sub_write(world, person, sub, at)


def _free_week(world: "World", person: PersonSim, at: datetime, engaged: float) -> None:
    rng = world.rng
    weeks = (at - person.signup_at).days / 7
    if not person.had_trial:
        chance = (0.05 if weeks < 6 else 0.01) * 2 * sigmoid(engaged)
        if rng.random() < chance:
            billing.trial_start(world, person, at + timedelta(hours=rng.uniform(0, 150)))
            return
    elif person.churned_at is not None and at - person.churned_at < timedelta(days=150):
        clicked = person.winback_clicked_at
        chance = 0.003 + (0.07 if clicked and at - clicked < timedelta(days=10) else 0.0)
        if rng.random() < chance:
            coupon = catalog.COUPON_WINBACK if clicked else None
            billing.purchase(
                world, person, at + timedelta(hours=rng.uniform(0, 100)), coupon=coupon
            )
            return
    recent = person.last_active is not None and at - person.last_active < timedelta(days=21)
    if engaged < -4.2 and not recent and not person.agenda and weeks > 4:
        person.gone = True


def _card_upkeep(world: "World", person: PersonSim, at: datetime) -> None:
    """Cards expire; the email warns a month before; some families update in time."""
    card, sub = person.card, person.sub
    if card is None or sub is None or not sub.is_paying:
        return
    ahead = at + timedelta(days=30)
    if (card.exp_year, card.exp_month) == (ahead.year, ahead.month) and at.day <= 7:
        mail.send(
            world, person, "card_expiring", at, values={"last4": card.last4, "plan": sub.plan.name}
        )
    ahead = at + timedelta(days=45)
    if card.is_expired(ahead) and not card.auto_updates and world.rng.random() < 0.08:
        dunning.card_replace(
            world, person, at + timedelta(hours=world.rng.uniform(1, 100)), keep_number=False
        )


def _kid_added(world: "World", person: PersonSim, at: datetime) -> None:
    name = world.rng.choice(person.country.kid_names)
    kid = {"name": name, "age": world.rng.choice((0, 1, 1, 2)), "picky": False}
    person.kids.append(kid)
    emit(world, person, "kid_profile_added", at, {"kid_name": name, "age": kid["age"]})
    world.batch.person(person.external_id, attributes={"kids": list(person.kids)})
