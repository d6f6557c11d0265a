"""Writes of the manual churn-prevention actions: a personal email, a call scheduled (and
done), a free month (the complimentary grant: a Stripe coupon when Stripe is configured),
marked as contacted. Each is audited and keeps the risk it
answered."""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.messaging.services import email_send
from opsroom.people.models import Person
from opsroom.revenue.models import ChurnPrediction, RiskAction
from opsroom.revenue.services import subscription_complimentary_request

Kind = RiskAction.Kind
NOTE_MAX = 2000


@transaction.atomic
def risk_action_record(
    *,
    person_id: int,
    kind: str,
    staff: Any,
    audit: AuditContext,
    note: str = "",
    subject: str = "",
    body: str = "",
    due_at: datetime | None = None,
    assignee_id: int | None = None,
) -> RiskAction:
    """Record what a staff member did for an at-risk customer (sending the email for an email)."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFound(f"No person {person_id}.")
    if kind not in Kind.values:
        raise InvalidInput(f"Unknown action {kind!r}: one of {', '.join(Kind.values)}.")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"The note is too long ({len(note)} characters; at most {NOTE_MAX}).")
    email_id = None
    if kind == Kind.EMAIL:
        if not subject.strip() or not body.strip():
            raise InvalidInput("A personal email needs a subject and a message.")
        email_id = email_send(
            person=person, subject=subject.strip(), body_text=body.strip(), audit=audit
        ).pk
        note = note or subject.strip()
    if kind == Kind.CALL:
        if due_at is None:
            raise InvalidInput("A call needs a date and time.")
        if (
            assignee_id is not None
            and not get_user_model()
            .objects.filter(pk=assignee_id, is_staff=True, is_active=True)
            .exists()
        ):
            raise InvalidInput(f"No active staff member {assignee_id} to make the call.")
    grant: dict[str, Any] = {}
    if kind == Kind.FREE_MONTH:
        # The complimentary grant: a 100% discount for a month, through a Stripe coupon (the
        # outbox, after commit) when the customer is in Stripe and Stripe is configured.
        comp = subscription_complimentary_request(
            person=person, plan=None, months=1, audit=audit, reason=note or "churn prevention"
        )
        grant = {
            "subscription_id": comp.subscription.pk if comp.subscription else None,
            "outbox_entry_id": comp.outbox_entry.pk if comp.outbox_entry else None,
        }
        note = note or ("Free month granted" if comp.is_applied else "Free month queued for Stripe")
    prediction = ChurnPrediction.objects.filter(person_id=person_id).first()
    action = RiskAction.objects.create(
        person=person,
        kind=kind,
        staff=staff,
        assignee_id=(assignee_id or staff.pk) if kind == Kind.CALL else None,
        note=note,
        due_at=due_at if kind == Kind.CALL else None,
        done_at=None if kind == Kind.CALL else clock.now(),
        probability=prediction.probability if prediction else None,
    )
    audit_record(
        audit,
        action=f"revenue.risk_{kind}",
        target=person,
        params={
            "action_id": action.pk,
            "note": note[:200],
            "probability": action.probability,
            "email_id": email_id,
            "due_at": due_at.isoformat() if due_at and kind == Kind.CALL else None,
            **grant,
        },
    )
    return action


@transaction.atomic
def risk_call_done(*, action_id: int, audit: AuditContext) -> RiskAction:
    """Mark a scheduled call as made."""
    action = RiskAction.objects.select_for_update().filter(pk=action_id, kind=Kind.CALL).first()
    if action is None:
        raise NotFound(f"No scheduled call {action_id}.")
    if action.done_at is None:
        action.done_at = clock.now()
        action.save(update_fields=["done_at"])
        audit_record(
            audit, action="revenue.risk_call_done", target=action.person, params={"id": action.pk}
        )
    return action
