"""Saved segments, and the host app's side of impersonation (redeem a token, check it)."""

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from opsroom.core import clock
from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth, staff_or_key
from opsroom.core.services.audit import AuditContext
from opsroom.people.api.people import search, user_of
from opsroom.people.filters import FilterError, conditions_parse, people_query_build
from opsroom.people.models import ImpersonationGrant, Segment
from opsroom.people.schemas import (
    ErrorOut,
    ImpersonationOut,
    ImpersonationRedeemIn,
    PeoplePage,
    SegmentIn,
    SegmentOut,
)
from opsroom.people.selectors.lists import segment_get_for_user, segment_query, segments_for_user
from opsroom.people.services.impersonation import ImpersonationRefused, impersonation_redeem
from opsroom.people.services.segments import SegmentRefused, segment_delete, segment_save

router = Router(tags=["segments", "impersonation"])


def _segment_out(segment: Segment) -> SegmentOut:
    return SegmentOut(
        id=segment.pk,
        name=segment.name,
        is_shared=segment.is_shared,
        owner=segment.owner.get_username() if segment.owner else "",
        q=segment.query,
        quick=segment.quick,
        conditions=list(segment.conditions),
        sort=segment.sort,
        updated_at=segment.updated_at,
    )


@router.get(
    "/segments", response=list[SegmentOut], auth=staff_or_key("read"), operation_id="segments_list"
)
def segments(request: HttpRequest) -> list[SegmentOut]:
    """Saved segments the caller sees: their own and the shared ones."""
    return [_segment_out(segment) for segment in segments_for_user(user=user_of(request))]


@router.post(
    "/segments",
    response={201: SegmentOut, 400: ErrorOut},
    auth=[ApiKeyAuth("admin"), StaffSessionAuth()],
    operation_id="segments_create",
)
def segment_create(request: HttpRequest, data: SegmentIn) -> Status[Any]:
    """Save a search as a segment (private unless shared; API keys save shared ones)."""
    try:
        query = people_query_build(
            text=data.q,
            quick=data.quick,
            conditions=conditions_parse([c.dict() for c in data.conditions]),
            sort=data.sort,
        )
        segment = segment_save(
            name=data.name,
            query=query,
            is_shared=data.is_shared,
            audit=AuditContext.from_request(request),
        )
    except (FilterError, SegmentRefused) as exc:
        return Status(400, {"detail": str(exc)})
    return Status(201, _segment_out(segment))


@router.get(
    "/segments/{segment_id}/people",
    response={200: PeoplePage, 400: ErrorOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="segments_people",
)
def segment_people(request: HttpRequest, segment_id: int, page: int = 1) -> Status[Any]:
    """The people a saved segment covers now."""
    segment = segment_get_for_user(segment_id=segment_id, user=user_of(request))
    if segment is None:
        return Status(404, {"detail": "No such segment (or it is private)."})
    try:
        query = segment_query(segment)
    except FilterError as exc:
        return Status(400, {"detail": f"The segment no longer applies: {exc}"})
    conditions = json.dumps([c.as_dict() for c in query.conditions])
    return search(
        request, q=query.text, quick=query.quick, conditions=conditions, sort=query.sort, page=page
    )


@router.delete(
    "/segments/{segment_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    auth=[ApiKeyAuth("admin"), StaffSessionAuth()],
    operation_id="segments_delete",
)
def segment_remove(request: HttpRequest, segment_id: int) -> Status[Any]:
    """Delete a segment (its owner, or an admin)."""
    segment = segment_get_for_user(segment_id=segment_id, user=user_of(request))
    if segment is None:
        return Status(404, {"detail": "No such segment (or it is private)."})
    try:
        segment_delete(segment=segment, audit=AuditContext.from_request(request))
    except SegmentRefused as exc:
        return Status(403, {"detail": str(exc)})
    return Status(204, None)


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
