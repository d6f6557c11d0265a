"""Items about support tickets and their messages."""

from typing import Literal

from pydantic import Field

from opsroom.ingest.schemas.fields import Happened, ItemIn, Key, Required300, RequiredLong, Text255


class TicketIn(ItemIn):
    """A support ticket, by its id in the host's help desk."""

    ticket_id: Key
    user_id: Key = Field(description="The requester; an unknown user becomes a placeholder.")
    subject: Required300
    body: RequiredLong
    channel: Literal["email", "web", "chat", "in_app", "phone", "api"] | None = None
    status: Literal["new", "open", "pending", "on_hold", "solved", "closed"] | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    category: (
        Literal[
            "billing",
            "bug",
            "how_to",
            "feature_request",
            "account_access",
            "cancellation",
            "invoice_request",
            "email_preferences",
            "other",
        ]
        | None
    ) = None
    created_at: Happened | None = None
    updated_at: Happened | None = None


class TicketMessageIn(ItemIn):
    """A message on a ticket already sent, by its id in the host's help desk."""

    message_id: Key
    ticket_id: Key
    author_kind: Literal["customer", "agent", "system"]
    body: RequiredLong
    is_internal: bool | None = None
    created_at: Happened | None = None
    channel_message_id: Text255 | None = Field(
        default=None, description="The email Message-ID, so email replies find the ticket."
    )
