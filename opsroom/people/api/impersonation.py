"""The host app's side of impersonation: redeem a token once, check whether it still holds."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from opsroom.core import clock
from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth
from opsroom.core.schemas import ErrorOut
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import ImpersonationGrant
from opsroom.people.schemas import ImpersonationOut, ImpersonationRedeemIn
from opsroom.people.services.impersonation import ImpersonationRefused, impersonation_redeem

router = Router(tags=["impersonation"])


def _impersonation_out(grant: ImpersonationGrant) -> ImpersonationOut:
    return ImpersonationOut(
        token_id=grant.token_id,
        state=grant.state(clock.now()),  # type: ignore[arg-type]
        person_external_id=grant.person.external_id,
        staff=grant.staff.get_username(),
        expires_at=grant.expires_at,
        redeemed_at=grant.redeemed_at,
        revoked_at=grant.revoked_at,
    )


@router.post(
    "/impersonations/redeem",
    response={200: ImpersonationOut, 400: ErrorOut},
    auth=[ApiKeyAuth("ingest")],
    operation_id="impersonation_redeem",
    summary="Redeem an impersonation token (the host app)",
)
def impersonation_redeem_endpoint(request: HttpRequest, data: ImpersonationRedeemIn) -> Status[Any]:
    """The host app redeems an impersonation token once, before starting the session."""
    try:
        grant = impersonation_redeem(token=data.token, audit=AuditContext.from_request(request))
    except ImpersonationRefused as exc:
        return Status(400, {"detail": str(exc)})
    return Status(200, _impersonation_out(grant))


@router.get(
    "/impersonations/{token_id}",
    response={200: ImpersonationOut, 404: ErrorOut},
    auth=[ApiKeyAuth("ingest"), ApiKeyAuth("read"), StaffSessionAuth()],
    operation_id="impersonation_status",
    summary="An impersonation token's state",
)
def impersonation_status(request: HttpRequest, token_id: str) -> Status[Any]:
    """Whether an impersonation is still active (the host app checks it to end revoked ones)."""
    grant = (
        ImpersonationGrant.objects.select_related("person", "staff")
        .filter(token_id=token_id)
        .first()
    )
    if grant is None:
        return Status(404, {"detail": "No such impersonation."})
    return Status(200, _impersonation_out(grant))
