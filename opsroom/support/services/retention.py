"""The cancellation's retention offer: the admin's setting, the offer made in a cancellation
reply (a signed link, valid for OFFER_DAYS or until access ends), and its acceptance.

Accepting applies the discount and takes back the pending cancellation: in Stripe (through
the outbox, "stripe.retention_offer") when the cancellation was made there, else by telling
the host app (its "subscription.retention_offer_accepted" webhook). Accepting twice applies it
once."""

from datetime import datetime, timedelta

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.outbox.host_webhook import host_webhook_configured, host_webhook_enqueue
from opsroom.core.outbox.services import outbox_enqueue
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.support.models import Automation, AutomationRun, RetentionOffer, Ticket, TicketMessage
from opsroom.support.retention_links import OfferExpired, retention_offer_link
from opsroom.support.services.tickets import ticket_reply

RETENTION_OFFER_KIND = "stripe.retention_offer"
HOST_EVENT = "subscription.retention_offer_accepted"
OFFER_DAYS = 14
MAX_OFFER_MONTHS = 12


@transaction.atomic
def retention_offer_set(*, percent_off: int, months: int, audit: AuditContext) -> Automation:
    """Set the offer made in cancellation replies: percent off for some months (0: none)."""
    if not 0 <= percent_off <= 100:
        raise InvalidInput("percent_off is a whole number from 0 (no offer) to 100.")
    if not 1 <= months <= MAX_OFFER_MONTHS:
        raise InvalidInput(f"months is a whole number from 1 to {MAX_OFFER_MONTHS}.")
    automation, _created = Automation.objects.select_for_update().get_or_create(
        intent=Automation.Intent.CANCELLATION
    )
    before = {"percent_off": automation.offer_percent_off, "months": automation.offer_months}
    automation.offer_percent_off, automation.offer_months = percent_off, months
    automation.updated_by, automation.updated_at = audit.actor, clock.now()
    automation.save()
    audit_record(
        audit,
        action="support.retention_offer_set",
        target=automation,
        params={"from": before, "to": {"percent_off": percent_off, "months": months}},
    )
    return automation


def retention_offer_make(
    *,
    ticket: Ticket,
    run: AutomationRun,
    subscription_id: str,
    access_ends_at: datetime | None,
    audit: AuditContext,
) -> RetentionOffer | None:
    """Make the configured offer for a cancellation (None when there is none to make: no
    offer set, nowhere to apply it, or access ends before it could be accepted)."""
    automation = Automation.objects.filter(intent=Automation.Intent.CANCELLATION).first()
    if automation is None or automation.offer_percent_off == 0:
        return None
    if run.via == AutomationRun.Via.STRIPE and not subscription_id:
        return None
    if run.via != AutomationRun.Via.STRIPE and not host_webhook_configured():
        return None
    now = clock.now()
    expires = now + timedelta(days=OFFER_DAYS)
    if access_ends_at is not None:
        expires = min(expires, access_ends_at)
    if expires <= now:
        return None
    offer = RetentionOffer.objects.create(
        ticket=ticket,
        run=run,
        requester=ticket.requester,
        via=run.via,
        provider_subscription_id=subscription_id,
        percent_off=automation.offer_percent_off,
        months=automation.offer_months,
        offered_at=now,
        expires_at=expires,
    )
    audit_record(
        audit,
        action="support.retention_offer_make",
        target=ticket,
        params={
            "offer": offer.pk,
            "percent_off": offer.percent_off,
            "months": offer.months,
            "expires_at": expires.isoformat(),
            "via": offer.via,
        },
    )
    return offer


def retention_offer_words(*, percent_off: int, months: int) -> str:
    """The offer in words: "your next month free", "20% off for the next 3 months"."""
    if percent_off == 100:
        return "your next month free" if months == 1 else f"your next {months} months free"
    if months == 1:
        return f"{percent_off}% off your next month"
    return f"{percent_off}% off for the next {months} months"


def retention_offer_paragraph(offer: RetentionOffer) -> str:
    """The offer's paragraph in the cancellation reply, with its signed link."""
    words = retention_offer_words(percent_off=offer.percent_off, months=offer.months)
    return (
        f"Before you go: if you would like to stay, we can give you {words}. One click keeps "
        f"your subscription with the offer: {retention_offer_link(offer_id=offer.pk)} "
        f"(it works until {offer.expires_at:%-d %B %Y})."
    )


@transaction.atomic
def retention_offer_accept(*, offer_id: int, audit: AuditContext) -> RetentionOffer:
    """Accept an offer from its link: queue applying it (once, however often it is clicked)."""
    offer = (
        RetentionOffer.objects.select_for_update()
        .select_related("ticket", "requester")
        .filter(pk=offer_id)
        .first()
    )
    if offer is None:
        raise NotFound("This offer no longer exists.")
    if offer.status != RetentionOffer.Status.OFFERED:
        return offer  # accepted before: nothing more to do
    now = clock.now()
    if offer.expires_at <= now:
        raise OfferExpired(
            f"This offer expired on {offer.expires_at:%-d %B %Y}. Reply to our email if you "
            "would still like to stay."
        )
    person = offer.requester
    if offer.via == AutomationRun.Via.STRIPE:
        outbox_enqueue(
            kind=RETENTION_OFFER_KIND,
            payload={
                "offer_id": offer.pk,
                "subscription": offer.provider_subscription_id,
                "percent_off": offer.percent_off,
                "months": offer.months,
            },
            idempotency_key=f"{RETENTION_OFFER_KIND}:{offer.pk}",
            audit=audit,
            target=offer.ticket,
        )
    else:
        host_webhook_enqueue(
            event_type=HOST_EVENT,
            data={
                "user_id": person.external_id,
                "email": person.email,
                "ticket": offer.ticket_id,
                "percent_off": offer.percent_off,
                "months": offer.months,
            },
            idempotency_key=f"retention_offer:{offer.pk}",
            audit=audit,
            target=offer.ticket,
        )
    offer.status, offer.accepted_at = RetentionOffer.Status.ACCEPTED, now
    offer.save(update_fields=["status", "accepted_at"])
    words = retention_offer_words(percent_off=offer.percent_off, months=offer.months)
    where = "Stripe" if offer.via == AutomationRun.Via.STRIPE else "your app (webhook)"
    ticket_reply(
        ticket=offer.ticket,
        body=f"The customer accepted the retention offer ({words}) and stays; it is being "
        f"applied through {where}, with the cancellation taken back.",
        author_kind=TicketMessage.Author.SYSTEM,
        is_internal=True,
        audit=audit,
    )
    audit_record(
        audit,
        action="support.retention_offer_accept",
        target=offer.ticket,
        params={
            "offer": offer.pk,
            "percent_off": offer.percent_off,
            "months": offer.months,
            "via": offer.via,
        },
    )
    return offer
