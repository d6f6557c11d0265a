"""API schemas of the identity layer (impersonation)."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import StringConstraints

from opsroom.core.schemas import Text


class ImpersonationRedeemIn(Schema):
    token: Annotated[Text, StringConstraints(max_length=4096)]


class ImpersonationOut(Schema):
    token_id: str
    state: Literal["active", "revoked", "expired"]
    person_external_id: str
    staff: str
    expires_at: datetime
    redeemed_at: datetime | None
    revoked_at: datetime | None
