"""Grant complimentary months of a plan (applied in Stripe when Stripe is set up)."""

from typing import TYPE_CHECKING

from opsroom.core.errors import InvalidInput, ServiceFailed
from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.revenue.selectors import plan_get, plan_list
from opsroom.revenue.services import subscription_complimentary_request
from opsroom.revenue.stripe_api import stripe_client
from opsroom.user360.actions.base import ActionOutcome, Data, QuickAction
from opsroom.user360.forms import CompActionForm
from opsroom.user360.schemas import ActionIn

if TYPE_CHECKING:
    from opsroom.revenue.models import Plan


def _form(data: Data | None, person: Person, initial: Data) -> CompActionForm:
    plans = [(plan.pk, f"{plan.name} ({plan.code})") for plan in plan_list()]
    return CompActionForm(data, plans=plans, initial=initial)


def _plan(data: Data) -> "Plan":
    plan = plan_get(plan_id=data["plan"]) if data.get("plan") else None
    if plan is None:
        raise InvalidInput("Give the plan to grant: that plan does not exist.")
    return plan


def _preview(person: Person, data: Data, audit: AuditContext) -> list[tuple[str, str]]:
    where = (
        "applied in Stripe and recorded"
        if stripe_client()
        else "recorded in Opsroom (Stripe is not configured)"
    )
    return [
        ("Plan", _plan(data).name),
        ("Free for", f"{data['months']} month(s)"),
        ("How", where),
        ("Reason", data["reason"]),
    ]


def _run(person: Person, data: Data, audit: AuditContext, staff: User | None) -> ActionOutcome:
    plan = _plan(data)
    grant = subscription_complimentary_request(
        person=person, plan=plan, months=data["months"], audit=audit, reason=data["reason"]
    )
    if grant.subscription is not None:
        return ActionOutcome(
            f"{plan.name} is free for {data['months']} month(s) "
            f"({grant.subscription.provider_subscription_id}).",
            "complimentary subscription granted",
            grant.subscription.provider_subscription_id,
        )
    entry = grant.outbox_entry
    if entry is not None and entry.status in ("failed", "dead"):
        raise ServiceFailed(f"{entry.last_error} (outbox entry #{entry.pk})")
    number = entry.pk if entry is not None else "?"
    return ActionOutcome(
        f"{plan.name} for {data['months']} month(s) is queued for Stripe (outbox entry "
        f"#{number}); it is recorded here once Stripe confirms it.",
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
