"""Items about people and what they did."""

from typing import Literal

from pydantic import Field

from opsroom.ingest.schemas.fields import (
    Email,
    Happened,
    ItemIn,
    JsonObject,
    Key,
    Required64,
    Required100,
    Text64,
    Text128,
    Text200,
    Text300,
)

MAX_TOUCHES = 50


class TouchIn(ItemIn):
    """A marketing touch that led to the person: an ad click, a blog post read, a referral."""

    occurred_at: Happened
    channel: Required64 = Field(description="e.g. paid_search, paid_social, content, referral.")
    campaign: Text128 = Field(default="", description="The campaign (utm_campaign), if any.")
    landing_page: Text300 = Field(
        default="", description="The page the touch landed on, e.g. /blog/picky-eaters."
    )
    referrer: Text300 = ""


class PersonIn(ItemIn):
    """A person (a user of the host app), by the host's user id. Omitted fields stay as held."""

    user_id: Key = Field(description="The host app's id for the user: the natural key.")
    email: Email | None = None
    name: Text200 | None = None
    signed_up_at: Happened | None = None
    last_seen_at: Happened | None = None
    acquisition_channel: Text64 | None = None
    is_vip: bool | None = None
    status: Literal["active", "banned", "deleted"] | None = None
    touches: list[TouchIn] | None = Field(
        default=None,
        max_length=MAX_TOUCHES,
        description="Marketing touches up to the signup, in any order; each is stored once "
        "(by time, channel and campaign) and later copies change nothing.",
    )
    attributes: JsonObject | None = Field(
        default=None, description="Merged key by key into the profile; a null value removes a key."
    )


class EventIn(ItemIn):
    """A product event. Stored once per idempotency key (derived from the content when absent)."""

    user_id: Key = Field(description="Who did it; an unknown user becomes a placeholder person.")
    name: Required100
    occurred_at: Happened
    properties: JsonObject = Field(default_factory=dict)
    idempotency_key: Key | None = None
