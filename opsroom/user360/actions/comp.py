"""Grant complimentary months: the person's current subscription is free until then (or, for
someone without one, a new subscription to the chosen plan). Applied in Stripe when it is set
up. docs/people.md says what a comp is."""

from datetime import datetime

from django.utils import timezone

from opsroom.core import clock
from opsroom.core.errors import ServiceFailed
from opsroom.core.models import User
from opsroom.core.money import money_format
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.revenue.selectors import (
    CompPreview,
    billing_customer_for_person,
    complimentary_preview,
    plan_get,
    plan_list,
    subscription_current_for_person,
)
from opsroom.revenue.services import subscription_complimentary_request
from opsroom.revenue.stripe_api import stripe_client
from opsroom.user360.actions.base import ActionOutcome, Data, QuickAction
from opsroom.user360.forms import CompActionForm
from opsroom.user360.schemas import ActionIn


def _current_plan(person: Person) -> str:
    """The plan of the person's live subscription ('' when they have none)."""
    subscription = subscription_current_for_person(person_id=person.pk)
    if subscription is None or not subscription.is_live:
        return ""
    return subscription.plan.name if subscription.plan else "a custom price"


def _form(data: Data | None, person: Person, initial: Data) -> CompActionForm:
    plans = [(plan.pk, f"{plan.name} ({plan.code})") for plan in plan_list()]
    return CompActionForm(data, plans=plans, current=_current_plan(person), initial=initial)


def _with_stripe(person: Person) -> bool:
    customer = billing_customer_for_person(person_id=person.pk)
    return stripe_client() is not None and customer is not None and customer.provider == "stripe"


def _preview_of(person: Person, data: Data) -> CompPreview:
    return complimentary_preview(
        person_id=person.pk,
        plan_id=data.get("plan") or None,
        months=data["months"],
        now=clock.now(),
        with_stripe=_with_stripe(person),
    )


def _day(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%b %-d, %Y}" if moment else ""


def _preview(person: Person, data: Data, audit: AuditContext) -> list[tuple[str, str]]:
    preview = _preview_of(person, data)
    amount = money_format(preview.charge_amount, preview.currency)
    skipped = ", ".join(_day(at) for at in preview.charges_skipped[:12]) or "none"
    if len(preview.charges_skipped) > 12:
        skipped += f" and {len(preview.charges_skipped) - 12} more"
    if preview.creates_subscription:
        what = f"A new {preview.plan_name} subscription (they have none)"
    else:
        what = f"Their current subscription: {preview.plan_name}"
    if preview.next_paid_at is None:
        after = "Nothing: the subscription ends then"
    else:
        after = f"{_day(preview.next_paid_at)} · {amount}"
    return [
        ("Made free", what),
        ("Free until", f"{_day(preview.until)} ({data['months']} month(s))"),
        ("Charges waived", f"{skipped} ({amount} each)" if preview.charges_skipped else "none"),
        ("Next paid charge", after),
        (
            "How",
            "applied in Stripe (a 100% coupon), then recorded here"
            if _with_stripe(person)
            else "recorded in Opsroom (Stripe is not set up for them)",
        ),
        ("Reason", data["reason"]),
    ]


def _run(person: Person, data: Data, audit: AuditContext, staff: User | None) -> ActionOutcome:
    preview = _preview_of(person, data)
    plan = plan_get(plan_id=preview.plan_id) if preview.plan_id is not None else None
    grant = subscription_complimentary_request(
        person=person, plan=plan, months=data["months"], audit=audit, reason=data["reason"]
    )
    what = f"{preview.plan_name} is free until {_day(preview.until)}"
    if grant.subscription is not None:
        return ActionOutcome(
            f"{what} ({grant.subscription.provider_subscription_id}).",
            "complimentary subscription granted",
            grant.subscription.provider_subscription_id,
        )
    entry = grant.outbox_entry
    if entry is not None and entry.status in ("failed", "dead"):
        raise ServiceFailed(f"{entry.last_error} (outbox entry #{entry.pk})")
    number = entry.pk if entry is not None else "?"
    return ActionOutcome(
        f"{what} once Stripe confirms it: queued as outbox entry #{number}.",
        f"queued for Stripe (outbox entry {number})",
    )


def _from_api(data: ActionIn) -> Data:
    return {"plan": data.plan_id or "", "months": data.months, "reason": data.reason}


COMP = QuickAction(
    key="comp",
    label="Grant complimentary subscription",
    permissions=("revenue.grant_complimentary_subscription",),
    form=_form,
    preview=_preview,
    run=_run,
    from_api=_from_api,
)
