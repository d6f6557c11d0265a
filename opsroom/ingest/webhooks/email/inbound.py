"""An inbound email: a reply on the ticket it answers, or a new ticket.

A reply is matched by its In-Reply-To/References against the Message-IDs stored on ticket
messages, or by a ticket number in the subject ("[#123]", "Ticket #123") when the sender is
the ticket's requester.
"""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.html import strip_tags

from opsroom.core.services.audit import AuditContext
from opsroom.ingest.webhooks.deliveries import without_nul
from opsroom.people.selectors import person_for_email
from opsroom.people.services import person_upsert
from opsroom.support.selectors import ticket_for_message_ids, ticket_get_by_number
from opsroom.support.services import ticket_create, ticket_reply
from opsroom.telemetry.selectors import delivery_seen

if TYPE_CHECKING:
    from opsroom.people.models import Person

_NUMBER = re.compile(r"\[#(\d{1,12})\]|\bticket #(\d{1,12})\b", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class InboundApplied:
    outcome: str
    message_id: str
    sender: str
    subject: str
    ticket_id: int | None = None
    person_id: int | None = None
    note: str = ""


def _body(message: Any) -> str:
    text = message.text or strip_tags(message.html or "")
    return without_nul(text).strip() or "(no text)"


def _requester(address: str, name: str) -> "Person":
    known = person_for_email(email=address)
    if known is not None:
        return known
    return person_upsert(external_id=f"email:{address}"[:128], email=address, name=name[:200])


def inbound_email_apply(message: Any, *, fallback_id: str = "") -> InboundApplied:
    """Turn one inbound email into a ticket or a reply; a re-delivered email changes nothing.

    `fallback_id` (the ESP's id of the email) identifies an email without a Message-ID.
    """
    sender = message.from_email
    address = without_nul(sender.addr_spec if sender else "").strip().lower()[:254]
    subject = without_nul(message.subject or "").strip() or "(no subject)"
    message_id = without_nul(str(message.get("Message-ID") or "")).strip()[:255] or fallback_id
    base: dict[str, Any] = {"message_id": message_id, "sender": address, "subject": subject}
    if not address:
        return InboundApplied("rejected", **base, note="the email has no sender address")
    if message_id and (
        delivery_seen(source="email", external_id=message_id[:128])
        or ticket_for_message_ids(message_ids=[message_id])
    ):
        return InboundApplied("duplicate", **base)

    references = _MESSAGE_ID.findall(
        without_nul(f"{message.get('In-Reply-To') or ''} {message.get('References') or ''}")
    )
    ticket = ticket_for_message_ids(message_ids=references)
    if ticket is None:
        match = _NUMBER.search(subject)
        numbered = (
            ticket_get_by_number(number=int(match.group(1) or match.group(2))) if match else None
        )
        if numbered is not None and numbered.requester.email.lower() == address:
            ticket = numbered
    audit = AuditContext.system("email inbound")
    if ticket is not None:
        ticket_reply(
            ticket=ticket,
            body=_body(message),
            author_kind="customer",
            audit=audit,
            channel_message_id=message_id,
        )
        return InboundApplied(
            "processed", **base, ticket_id=ticket.pk, person_id=ticket.requester_id
        )
    requester = _requester(address, sender.display_name or "")
    created = ticket_create(
        requester=requester, subject=subject, body=_body(message), channel="email", audit=audit
    )
    return InboundApplied("processed", **base, ticket_id=created.pk, person_id=requester.pk)
