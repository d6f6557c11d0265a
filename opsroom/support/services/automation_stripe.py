"""The automations' actions in Stripe, performed by the outbox after commit.

- "stripe.support_cancel": set the requester's subscription to cancel at its period's end;
  then the reply (with the exact end of access and the retention offer) and the ticket solved.
- "stripe.support_invoices": list the requester's paid invoices; then the reply with the one
  for the month asked (else the latest), its hosted page and PDF.
- "stripe.support_uncancel": take a cancellation back when its ticket is reopened from the
  review list.
- "stripe.retention_offer": apply an accepted retention offer (coupon, cancellation taken back).

A customer is waiting on the first two, so any failure there (a refusal, a card error, no
answer after the library's own retry with the same idempotency key) hands the ticket to a
person at once: an internal note says what failed, the run is marked failed, nothing is sent.
The other two retry what may pass (no answer, rate limits, Stripe's own errors) with the
outbox's backoff, and note on the ticket when they give up.

Idempotency keys: a first attempt uses its entry's key ("stripe.support_cancel:<ticket>"),
which the library reuses when it retries a request that got no answer, so Stripe acts once.
Stripe keeps the answer to a key for 24 hours, failures included, so a later attempt (the
outbox's retry, an operator's) would only get the same failure back: it gets a key of its own
("...:r<round>a<attempt>"). That is safe because each call sets a state (cancel or not, this
coupon on the subscription) rather than adding one, and the offer's coupon has a fixed id.
"""

import hashlib
from datetime import datetime
from typing import Any

from django.db import transaction

from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.registry import OutboxPermanentError, Outcome, Performer
from opsroom.core.outbox.services import outbox_enqueue, outbox_entry_audit_context
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.revenue.services import (
    subscription_cancel_at_period_end_record,
    subscription_retention_discount_record,
)
from opsroom.revenue.stripe_subscriptions import (
    StripeCallFailed,
    stripe_invoices_paid,
    stripe_retention_discount_apply,
    stripe_subscription_cancel_set,
)
from opsroom.support.models import (
    Automation,
    AutomationRun,
    RetentionOffer,
    Ticket,
    TicketMessage,
)
from opsroom.support.selectors.invoices import (
    MonthAsked,
    invoice_month_asked,
    invoices_for_request,
)
from opsroom.support.services.automation_runs import (
    automation_fail,
    automation_reply_text,
    automation_resolve,
)
from opsroom.support.services.retention import (
    RETENTION_OFFER_KIND,
    retention_offer_make,
    retention_offer_paragraph,
)
from opsroom.support.services.tickets import ticket_reply, ticket_update

CANCEL_KIND = "stripe.support_cancel"
INVOICES_KIND = "stripe.support_invoices"
UNCANCEL_KIND = "stripe.support_uncancel"
_OPEN = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING, Ticket.Status.ON_HOLD)
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _key(entry: OutboxEntry) -> str:
    """This attempt's idempotency key (see the module's docstring)."""
    rounds = int(entry.payload.get("round", 0))
    if (rounds, entry.attempts) == (0, 1):
        return entry.idempotency_key
    return f"{entry.idempotency_key}:r{rounds}a{entry.attempts}"


def _next_round(entry: OutboxEntry) -> None:
    # An operator's retry: its attempts count from 1 again, so their keys need a new round.
    payload = {**entry.payload, "round": int(entry.payload.get("round", 0)) + 1}
    OutboxEntry.objects.filter(pk=entry.pk).update(payload=payload)
    entry.payload = payload


def _metadata(entry: OutboxEntry) -> dict[str, str]:
    return {
        "opsroom_ticket": str(entry.target_id),
        "opsroom_outbox_key": entry.idempotency_key,
    }


def automation_stripe_start(
    *, run: AutomationRun, stripe_customer: str, stripe_subscription: str, audit: AuditContext
) -> OutboxEntry:
    """Queue an automation's Stripe action (performed after commit); the run waits for it."""
    ticket = run.ticket
    if run.intent == Automation.Intent.CANCELLATION:
        kind: str = CANCEL_KIND
        payload: dict[str, Any] = {"run_id": run.pk, "subscription": stripe_subscription}
    else:
        kind = INVOICES_KIND
        asked = invoice_month_asked(text=f"{ticket.subject}\n{ticket.body}")
        payload = {
            "run_id": run.pk,
            "customer": stripe_customer,
            "month": asked.month if asked else None,
            "year": asked.year if asked else None,
        }
    entry = outbox_enqueue(
        kind=kind,
        payload=payload,
        idempotency_key=f"{kind}:{ticket.pk}",
        audit=audit,
        target=ticket,
    )
    run.details = {**run.details, "outbox_entry": entry.pk}
    run.save(update_fields=["details"])
    return entry


def _run(entry: OutboxEntry) -> AutomationRun:
    return AutomationRun.objects.select_related("ticket", "ticket__requester").get(
        pk=entry.payload["run_id"]
    )


def _person_took_over(run: AutomationRun) -> bool:
    # An operator retried a failed entry after a person had dealt with the ticket.
    return run.outcome != AutomationRun.Outcome.ACTING and run.ticket.status not in _OPEN


def _note(ticket: Ticket, body: str, audit: AuditContext) -> None:
    ticket_reply(
        ticket=ticket,
        body=body,
        author_kind=TicketMessage.Author.SYSTEM,
        is_internal=True,
        audit=audit,
    )


def _automation_failed(entry: OutboxEntry) -> None:
    run = _run(entry)
    if run.outcome == AutomationRun.Outcome.ACTING:
        automation_fail(run=run, error=entry.last_error, audit=outbox_entry_audit_context(entry))


# Cancellation


def _cancel_perform(entry: OutboxEntry) -> Outcome:
    try:
        state = stripe_subscription_cancel_set(
            subscription_id=str(entry.payload["subscription"]),
            cancel_at_period_end=True,
            idempotency_key=_key(entry),
            metadata=_metadata(entry),
        )
    except StripeCallFailed as exc:
        raise OutboxPermanentError(exc.message) from exc
    return {
        "subscription": state.subscription_id,
        "cancel_at_period_end": state.cancel_at_period_end,
        "access_ends_at": state.access_ends_at.isoformat() if state.access_ends_at else "",
    }


def _cancel_done(entry: OutboxEntry) -> None:
    run = _run(entry)
    audit = outbox_entry_audit_context(entry)
    ends_text = str(entry.outcome.get("access_ends_at", ""))
    ends = datetime.fromisoformat(ends_text) if ends_text else None
    subscription = str(entry.outcome["subscription"])
    subscription_cancel_at_period_end_record(
        provider_subscription_id=subscription,
        cancel_at_period_end=True,
        access_ends_at=ends,
        audit=audit,
        reason=f"ticket #{run.ticket_id}",
    )
    details: dict[str, Any] = {"subscription": subscription, "access_ends_at": ends_text}
    if _person_took_over(run):
        _note(run.ticket, "Stripe has now set the subscription to cancel.", audit)
        return
    if ends is None:
        # Stripe did the cancellation but gave no date: a person tells the customer.
        run.details = {**run.details, **details}
        automation_fail(
            run=run,
            error="Stripe set the subscription to cancel at its period's end but gave no end "
            "date, so the customer was not told when access ends.",
            audit=audit,
        )
        return
    middle = (
        "Your subscription is set to cancel at the end of the current billing period. You "
        f"keep full access until {ends:%-d %B %Y}, and nothing more will be charged."
    )
    offer = retention_offer_make(
        ticket=run.ticket, run=run, subscription_id=subscription, access_ends_at=ends, audit=audit
    )
    if offer is not None:
        middle += "\n\n" + retention_offer_paragraph(offer)
        details["offer"] = offer.pk
    body = automation_reply_text(ticket=run.ticket, middle=middle)
    automation_resolve(run=run, body=body, audit=audit, details=details)


CANCEL = Performer(
    kind=CANCEL_KIND,
    label="Cancel a subscription at its period's end in Stripe (support automation)",
    perform=_cancel_perform,
    on_done=_cancel_done,
    on_failed=_automation_failed,
    on_retry=_next_round,
)


# Invoices


def _invoices_perform(entry: OutboxEntry) -> Outcome:
    try:
        invoices = stripe_invoices_paid(customer_id=str(entry.payload["customer"]))
    except StripeCallFailed as exc:
        raise OutboxPermanentError(exc.message) from exc
    return {
        "invoices": [
            {
                "id": i.invoice_id,
                "number": i.number,
                "created": i.created.isoformat(),
                "amount_paid": i.amount_paid,
                "currency": i.currency,
                "hosted_invoice_url": i.hosted_invoice_url,
                "invoice_pdf": i.invoice_pdf,
            }
            for i in invoices
        ]
    }


def _invoice_lines(invoice: dict[str, Any]) -> str:
    created = datetime.fromisoformat(invoice["created"])
    amount = f"{invoice['amount_paid'] / 100:.2f} {invoice['currency']}".strip()
    name = f"Invoice {invoice['number']}" if invoice["number"] else "Invoice"
    lines = [f"{name} of {created:%-d %B %Y} ({amount}, paid):"]
    if invoice["hosted_invoice_url"]:
        lines.append(f"- view and download: {invoice['hosted_invoice_url']}")
    if invoice["invoice_pdf"]:
        lines.append(f"- PDF: {invoice['invoice_pdf']}")
    return "\n".join(lines)


def _invoices_done(entry: OutboxEntry) -> None:
    run = _run(entry)
    audit = outbox_entry_audit_context(entry)
    if _person_took_over(run):
        return
    month = entry.payload.get("month")
    asked = MonthAsked(int(month), entry.payload.get("year")) if month else None
    chosen = [
        i
        for i in invoices_for_request(entry.outcome.get("invoices", []), asked=asked)
        if i["hosted_invoice_url"] or i["invoice_pdf"]
    ]
    if not chosen:
        wanted = (
            f" for {_MONTH_NAMES[asked.month - 1]}{f' {asked.year}' if asked.year else ''}"
            if asked
            else ""
        )
        automation_fail(
            run=run,
            error=f"Stripe holds no paid invoice{wanted} with a link for this customer.",
            audit=audit,
        )
        return
    intro = "Here is the invoice you asked for." if len(chosen) == 1 else "Here are your invoices."
    if asked is None:
        intro = "Here is your latest invoice."
    middle = intro + "\n\n" + "\n\n".join(_invoice_lines(i) for i in chosen)
    body = automation_reply_text(ticket=run.ticket, middle=middle)
    automation_resolve(
        run=run, body=body, audit=audit, details={"invoices": [i["id"] for i in chosen]}
    )


INVOICES = Performer(
    kind=INVOICES_KIND,
    label="Send a customer their invoices from Stripe (support automation)",
    perform=_invoices_perform,
    on_done=_invoices_done,
    on_failed=_automation_failed,
    on_retry=_next_round,
)


# Undo: taking a cancellation back


def _retried(exc: StripeCallFailed) -> Exception:
    if exc.is_transient:
        return RuntimeError(exc.message)
    return OutboxPermanentError(exc.message)


@transaction.atomic
def automation_cancel_undo(*, run: AutomationRun, audit: AuditContext) -> OutboxEntry:
    """Queue taking back a Stripe cancellation an automation made (on reopen), audited."""
    entry = outbox_enqueue(
        kind=UNCANCEL_KIND,
        payload={"run_id": run.pk, "subscription": str(run.details.get("subscription", ""))},
        idempotency_key=f"{UNCANCEL_KIND}:{run.pk}",
        audit=audit,
        target=run.ticket,
    )
    run.details = {**run.details, "undo": {"status": "pending", "outbox_entry": entry.pk}}
    run.save(update_fields=["details"])
    audit_record(
        audit,
        action="ticket.auto_resolve_undo",
        target=run.ticket,
        params={"run": run.pk, "subscription": entry.payload["subscription"], "via": "stripe"},
    )
    return entry


def _uncancel_perform(entry: OutboxEntry) -> Outcome:
    try:
        state = stripe_subscription_cancel_set(
            subscription_id=str(entry.payload["subscription"]),
            cancel_at_period_end=False,
            idempotency_key=_key(entry),
            metadata=_metadata(entry),
        )
    except StripeCallFailed as exc:
        raise _retried(exc) from exc
    return {"subscription": state.subscription_id, "cancel_at_period_end": False}


def _uncancel_done(entry: OutboxEntry) -> None:
    run = _run(entry)
    audit = outbox_entry_audit_context(entry)
    subscription_cancel_at_period_end_record(
        provider_subscription_id=str(entry.outcome["subscription"]),
        cancel_at_period_end=False,
        access_ends_at=None,
        audit=audit,
        reason=f"ticket #{run.ticket_id} reopened",
    )
    run.details = {**run.details, "undo": {"status": "done", "outbox_entry": entry.pk}}
    run.save(update_fields=["details"])
    _note(run.ticket, "The cancellation was taken back in Stripe: the subscription renews.", audit)


def _uncancel_failed(entry: OutboxEntry) -> None:
    run = _run(entry)
    run.details = {
        **run.details,
        "undo": {"status": "failed", "outbox_entry": entry.pk, "error": entry.last_error[:500]},
    }
    run.save(update_fields=["details"])
    _note(
        run.ticket,
        "Taking the cancellation back in Stripe failed; the subscription is still set to "
        f"cancel. What failed: {entry.last_error[:1500]}",
        outbox_entry_audit_context(entry),
    )


UNCANCEL = Performer(
    kind=UNCANCEL_KIND,
    label="Take back a subscription's cancellation in Stripe (support review list)",
    perform=_uncancel_perform,
    on_done=_uncancel_done,
    on_failed=_uncancel_failed,
    on_retry=_next_round,
)


# The retention offer, accepted


def _offer(entry: OutboxEntry) -> RetentionOffer:
    return RetentionOffer.objects.select_related("ticket").get(pk=entry.payload["offer_id"])


def _offer_perform(entry: OutboxEntry) -> Outcome:
    payload = entry.payload
    try:
        return stripe_retention_discount_apply(
            subscription_id=str(payload["subscription"]),
            percent_off=int(payload["percent_off"]),
            months=int(payload["months"]),
            coupon_id="opsroom-retention-"
            + hashlib.sha256(entry.idempotency_key.encode()).hexdigest()[:20],
            idempotency_key=_key(entry),
            metadata=_metadata(entry),
        )
    except StripeCallFailed as exc:
        raise _retried(exc) from exc


def _offer_done(entry: OutboxEntry) -> None:
    offer = _offer(entry)
    audit = outbox_entry_audit_context(entry)
    subscription_retention_discount_record(
        provider_subscription_id=str(entry.outcome["subscription"]),
        percent_off=offer.percent_off,
        months=offer.months,
        coupon=str(entry.outcome["coupon"]),
        audit=audit,
    )
    offer.status, offer.applied_at = RetentionOffer.Status.APPLIED, entry.done_at
    offer.save(update_fields=["status", "applied_at"])
    _note(offer.ticket, "Stripe applied the retention offer and took the cancellation back.", audit)


def _offer_failed(entry: OutboxEntry) -> None:
    offer = _offer(entry)
    offer.status, offer.failure = RetentionOffer.Status.FAILED, entry.last_error[:2000]
    offer.save(update_fields=["status", "failure"])
    ticket = offer.ticket
    _note(
        ticket,
        "The customer accepted the retention offer but applying it in Stripe failed; the "
        f"subscription is still set to cancel. What failed: {entry.last_error[:1500]}",
        outbox_entry_audit_context(entry),
    )
    if ticket.status not in _OPEN:
        ticket_update(ticket=ticket, audit=outbox_entry_audit_context(entry), status="open")


OFFER = Performer(
    kind=RETENTION_OFFER_KIND,
    label="Apply an accepted retention offer in Stripe",
    perform=_offer_perform,
    on_done=_offer_done,
    on_failed=_offer_failed,
    on_retry=_next_round,
)
