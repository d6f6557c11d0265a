"""What a complimentary grant would do, before it is confirmed."""

from dataclasses import dataclass
from datetime import datetime

from opsroom.core.errors import InvalidInput
from opsroom.revenue.billing import (
    charge_dates,
    first_charge_from,
    months_per_charge,
    months_per_charge_of,
)
from opsroom.revenue.models import (
    Subscription,
)
from opsroom.revenue.periods import period_end
from opsroom.revenue.selectors.catalog import plan_get
from opsroom.revenue.selectors.person import LIVE_STATUSES

COMP_MAX_MONTHS = 24


@dataclass(frozen=True)
class CompPreview:
    """What a complimentary grant of some months would do, before it is confirmed.

    A comp makes the person's current subscription free for the months (whatever plan it is
    on); only a person without one is given a new subscription to the chosen plan.
    """

    subscription_id: int | None  # the live subscription made free; None: a new one is made
    plan_id: int | None
    plan_name: str
    months: int
    until: datetime  # the discount runs until then
    currency: str
    charge_amount: int  # what each charge comes to without the comp
    charges_skipped: list[datetime]
    next_paid_at: datetime | None  # None: nothing is charged after it (it ends)
    creates_subscription: bool


def complimentary_preview(
    *, person_id: int, plan_id: int | None, months: int, now: datetime, with_stripe: bool
) -> CompPreview:
    """Check a complimentary grant and say what it would do; InvalidInput when it cannot be."""
    if not 1 <= months <= COMP_MAX_MONTHS:
        raise InvalidInput(f"A complimentary subscription lasts 1 to {COMP_MAX_MONTHS} months.")
    until = period_end(start=now, interval="month", interval_count=months)
    live = (
        Subscription.objects.filter(person_id=person_id, status__in=LIVE_STATUSES)
        .select_related("plan")
        .order_by("-created_at", "-id")
        .first()
    )
    if live is not None:
        current = live.plan.name if live.plan else "a custom price"
        if plan_id is not None and plan_id != live.plan_id:
            chosen = plan_get(plan_id=plan_id)
            raise InvalidInput(
                f"They are on {current}: a comp makes their current subscription free. To give "
                f"them {chosen.name if chosen else 'another plan'}, change their plan first."
            )
        span = months_per_charge(live)
        if span > 1 and months % span:
            raise InvalidInput(
                f"Their subscription is billed every {span} months, so a comp covers whole "
                f"billing periods: give {span}, {2 * span}… months."
            )
        next_paid = None if live.cancel_at_period_end else first_charge_from(live, start=until)
        return CompPreview(
            subscription_id=live.pk,
            plan_id=live.plan_id,
            plan_name=current,
            months=months,
            until=until,
            currency=live.currency,
            charge_amount=live.amount * live.quantity,
            charges_skipped=charge_dates(live, until=until),
            next_paid_at=next_paid,
            creates_subscription=False,
        )
    plan = plan_get(plan_id=plan_id) if plan_id is not None else None
    if plan is None:
        raise InvalidInput("They have no subscription: choose the plan to give them free.")
    if months_per_charge_of(plan.interval, plan.interval_count) > months:
        raise InvalidInput(f"{plan.name} is billed for longer than {months} month(s).")
    skipped, at = [], now
    while at < until:
        skipped.append(at)
        at = period_end(start=at, interval=plan.interval, interval_count=plan.interval_count)
    return CompPreview(
        subscription_id=None,
        plan_id=plan.pk,
        plan_name=plan.name,
        months=months,
        until=until,
        currency=plan.currency,
        charge_amount=plan.amount,
        charges_skipped=skipped if with_stripe else [],
        # Without Stripe nothing bills afterwards: the subscription simply ends.
        next_paid_at=at if with_stripe else None,
        creates_subscription=True,
    )
