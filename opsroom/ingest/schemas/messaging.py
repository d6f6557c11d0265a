"""Items about emails the host app sent and what happened to them."""

from typing import Literal

from pydantic import Field

from opsroom.ingest.schemas.fields import (
    Happened,
    ItemIn,
    Key,
    Required254,
    Required255,
    Required300,
    TextLong,
)

EmailStatus = Literal[
    "queued", "sent", "delivered", "opened", "clicked", "bounced", "complained", "failed"
]
TrackingEvent = Literal["sent", "delivered", "opened", "clicked", "bounced", "complained"]


class EmailIn(ItemIn):
    """An email the host app sent, by its message id at the provider."""

    message_id: Required255
    to_email: Required254
    subject: Required300
    user_id: Key | None = None
    body_text: TextLong | None = None
    status: EmailStatus | None = None
    sent_at: Happened | None = None


class EmailEventIn(ItemIn):
    """A tracking event for an email already known (sent by Opsroom or sent to /emails)."""

    message_id: Required255
    event: TrackingEvent
    occurred_at: Happened = Field(description="When the provider saw it happen.")
