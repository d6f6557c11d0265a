"""Auto-resolution: setting each automation's mode, applying it to a new ticket (the action
through Stripe or the host app's signed webhook, the reply by email, the ticket solved, a
review entry), and reopening what it did (a Stripe cancellation is taken back too)."""

from typing import Any

from django.db import transaction
from django.utils.text import slugify

from opsroom.core import clock
from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.outbox.host_webhook import host_webhook_enqueue
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.people.snapshot import person_snapshot_get
from opsroom.support.models import (
    Automation,
    AutomationRun,
    FeatureAccess,
    Ticket,
    TicketAnalysis,
)
from opsroom.support.selectors.automations import automation_decide
from opsroom.support.selectors.features import feature_answer, features_named
from opsroom.support.selectors.replies import customer_variables, template_fill, template_for
from opsroom.support.services.automation_runs import automation_resolve
from opsroom.support.services.automation_stripe import (
    automation_cancel_undo,
    automation_stripe_start,
)
from opsroom.support.services.retention import retention_offer_make, retention_offer_paragraph
from opsroom.support.services.tickets import ticket_update


@transaction.atomic
def automation_set(*, intent: str, mode: str, allow_vip: bool, audit: AuditContext) -> Automation:
    """Set an automation's mode (off, suggest, automatic) and whether it may serve VIPs."""
    if intent not in Automation.Intent.values:
        raise InvalidInput(
            f"intent '{intent[:40]}' is unknown; one of {', '.join(Automation.Intent.values)}."
        )
    if mode not in Automation.Mode.values:
        raise InvalidInput(
            f"mode '{mode[:40]}' is unknown; one of {', '.join(Automation.Mode.values)}."
        )
    automation, _created = Automation.objects.select_for_update().get_or_create(intent=intent)
    before = {"mode": automation.mode, "allow_vip": automation.allow_vip}
    automation.mode, automation.allow_vip = mode, allow_vip
    automation.updated_by, automation.updated_at = audit.actor, clock.now()
    automation.save()
    audit_record(
        audit,
        action="support.automation_set",
        target=automation,
        params={"from": before, "to": {"mode": mode, "allow_vip": allow_vip}},
    )
    return automation


def _reply_body(ticket: Ticket, category: str, extra: str = "") -> str:
    snapshot = person_snapshot_get(person=ticket.requester)
    variables = customer_variables(snapshot=snapshot, ticket=ticket, agent_name="")
    template = template_for(category=category)
    middle = template.body.strip() if template is not None else ""
    if extra:
        middle = f"{middle}\n\n{extra}".strip()
    text = (
        f"Hi {{first_name}},\n\n{middle}\n\nIf this was not what you asked for, just reply "
        "and a person will pick it up.\n\nBest,\n{agent_name}"
    )
    return template_fill(text, variables)


def _feature_reply(ticket: Ticket) -> str:
    """The answer to a feature-availability question, from the person's plan."""
    snapshot = person_snapshot_get(person=ticket.requester)
    variables = customer_variables(snapshot=snapshot, ticket=ticket, agent_name="")
    feature = features_named(text=f"{ticket.subject}\n{ticket.body}")[0]
    answer = feature_answer(feature=feature, billing=snapshot.billing)
    if answer.included:
        middle = f"Yes: {feature.name} is included in your {answer.plan_label} plan."
        if feature.where.strip():
            middle += f" {feature.where.strip()}"
    else:
        plans = ", ".join(str(p) for p in feature.plans)
        middle = (
            f"{feature.name} is not part of your {answer.plan_label} plan; it comes with "
            f"{plans}. You can change your plan at any time from your subscription settings, "
            "and it is there right away."
        )
    text = (
        f"Hi {{first_name}},\n\n{middle}\n\nIf this was not what you asked for, just reply "
        "and a person will pick it up.\n\nBest,\n{agent_name}"
    )
    return template_fill(text, variables)


def automation_apply(*, ticket: Ticket, analysis: TicketAnalysis) -> AutomationRun | None:
    """Decide on a new ticket; in automatic mode, resolve an eligible one end to end. Every
    decision of a mode other than off is kept (the review list); safe to run twice."""
    if AutomationRun.objects.filter(ticket=ticket).exists():
        return None
    decision = automation_decide(
        ticket=ticket, analysis=analysis, snapshot=person_snapshot_get(person=ticket.requester)
    )
    if decision.intent is None or decision.mode == Automation.Mode.OFF:
        return None
    if not decision.acts:
        return AutomationRun.objects.create(
            ticket=ticket,
            intent=decision.intent,
            mode=decision.mode,
            outcome=AutomationRun.Outcome.SUGGESTED
            if decision.eligible
            else AutomationRun.Outcome.REFUSED,
            reasons=decision.reasons,
        )
    audit = AuditContext.system(f"automation {decision.intent}")
    person = ticket.requester
    with transaction.atomic():
        run = AutomationRun.objects.create(
            ticket=ticket,
            intent=decision.intent,
            mode=decision.mode,
            outcome=AutomationRun.Outcome.ACTING,
            action=decision.event,
            via=decision.via,
        )
        if decision.via == AutomationRun.Via.STRIPE:
            # The reply waits for Stripe's answer (it states the end of access, the invoice).
            automation_stripe_start(
                run=run,
                stripe_customer=decision.stripe_customer,
                stripe_subscription=decision.stripe_subscription,
                audit=audit,
            )
            audit_record(
                audit,
                action="ticket.auto_resolve_start",
                target=ticket,
                params={"intent": decision.intent, "action": decision.event, "run": run.pk},
            )
            return run
        if decision.event:
            host_webhook_enqueue(
                event_type=decision.event,
                data={"user_id": person.external_id, "email": person.email, "ticket": ticket.pk},
                idempotency_key=f"automation:{ticket.pk}:{decision.intent}",
                audit=audit,
                target=ticket,
            )
        if decision.intent == Automation.Intent.FEATURE_AVAILABILITY:
            body = _feature_reply(ticket)
        elif decision.intent == Automation.Intent.CANCELLATION:
            offer = retention_offer_make(
                ticket=ticket, run=run, subscription_id="", access_ends_at=None, audit=audit
            )
            extra = retention_offer_paragraph(offer) if offer is not None else ""
            body = _reply_body(ticket, analysis.category, extra)
        else:
            body = _reply_body(ticket, analysis.category)
        automation_resolve(run=run, body=body, audit=audit)
    return run


@transaction.atomic
def automation_run_reopen(*, run: AutomationRun, audit: AuditContext) -> AutomationRun:
    """Reopen a ticket an automation solved (the review list's one click)."""
    locked = AutomationRun.objects.select_for_update().select_related("ticket").get(pk=run.pk)
    if locked.outcome != AutomationRun.Outcome.RESOLVED:
        raise Conflict("Only a ticket the automation resolved can be reopened from here.")
    if locked.reopened_at is not None:
        raise Conflict("This ticket was already reopened.")
    ticket_update(ticket=locked.ticket, audit=audit, status=Ticket.Status.OPEN)
    locked.reopened_at, locked.reopened_by = clock.now(), audit.actor
    locked.save(update_fields=["reopened_at", "reopened_by"])
    if (
        locked.via == AutomationRun.Via.STRIPE
        and locked.intent == Automation.Intent.CANCELLATION
        and locked.details.get("subscription")
    ):
        automation_cancel_undo(run=locked, audit=audit)
    return locked


MAX_FEATURES = 500


def _feature_clean(values: dict[str, Any]) -> dict[str, Any]:
    name = str(values.get("name", "")).strip()[:120]
    if not name or "\x00" in name:
        raise InvalidInput("A feature needs a name.")
    aliases = values.get("aliases", [])
    plans = values.get("plans", [])
    for label, items in (("aliases", aliases), ("plans", plans)):
        if not isinstance(items, list) or not all(
            isinstance(i, str) and 0 < len(i.strip()) <= 80 and "\x00" not in i for i in items
        ):
            raise InvalidInput(f"{label} is a list of words or phrases of at most 80 characters.")
        if len(items) > 30:
            raise InvalidInput(f"At most 30 {label}.")
    where = str(values.get("where", "")).strip()
    if len(where) > 1000 or "\x00" in where:
        raise InvalidInput("where is at most 1000 characters.")
    return {
        "name": name,
        "aliases": sorted({a.strip().lower() for a in aliases}),
        "plans": sorted({p.strip().lower() for p in plans}),
        "where": where,
    }


@transaction.atomic
def feature_access_save(*, key: str, audit: AuditContext, **values: Any) -> FeatureAccess:
    """Add a feature to the availability catalog, or change it (by key)."""
    key = slugify(str(key))[:64]
    if not key:
        raise InvalidInput("key must hold letters or digits.")
    cleaned = _feature_clean(values)
    feature = FeatureAccess.objects.select_for_update().filter(key=key).first()
    creating = feature is None
    if feature is None:
        if FeatureAccess.objects.count() >= MAX_FEATURES:
            raise Conflict(f"The catalog holds at most {MAX_FEATURES} features.")
        feature = FeatureAccess(key=key)
    for name, value in cleaned.items():
        setattr(feature, name, value)
    feature.updated_at = clock.now()
    feature.save()
    audit_record(
        audit,
        action="support.feature_add" if creating else "support.feature_update",
        target=feature,
        params={"key": key, "plans": cleaned["plans"]},
    )
    return feature


@transaction.atomic
def feature_access_delete(*, feature: FeatureAccess, audit: AuditContext) -> None:
    """Take a feature out of the catalog."""
    audit_record(
        audit, action="support.feature_delete", target=feature, params={"key": feature.key}
    )
    feature.delete()


@transaction.atomic
def feature_catalog_load(*, rows: list[dict[str, Any]]) -> int:
    """Load features by key (a data load, like the other imports: validated, not audited one
    by one); returns how many were written."""
    for row in rows:
        values = dict(row)
        key = slugify(str(values.pop("key", "")))[:64]
        if not key:
            raise InvalidInput("Each feature needs a key.")
        cleaned = _feature_clean(values)
        FeatureAccess.objects.update_or_create(
            key=key, defaults={**cleaned, "updated_at": clock.now()}
        )
    return len(rows)
