"""API schemas of the identity layer (impersonation)."""

from datetime import datetime
from typing import Literal

from ninja import Schema

from opsroom.core.schemas import Text


class ImpersonationRedeemIn(Schema):
    token: Text


class ImpersonationOut(Schema):
    token_id: str
    state: Literal["active", "revoked", "expired"]
    person_external_id: str
    staff: str
    expires_at: datetime
    redeemed_at: datetime | None
    revoked_at: datetime | None
