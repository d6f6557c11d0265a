"""Saved segments: a search kept under a name, private unless shared."""

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth, staff_or_key
from opsroom.core.schemas import ErrorOut
from opsroom.core.services.audit import AuditContext
from opsroom.user360.api.people import search, user_of
from opsroom.user360.filters import FilterError, conditions_parse, people_query_build
from opsroom.user360.models import Segment
from opsroom.user360.schemas import PeoplePage, SegmentFromFunnelIn, SegmentIn, SegmentOut
from opsroom.user360.selectors.lists import segment_get_for_user, segment_query, segments_for_user
from opsroom.user360.services.segments import (
    SegmentRefused,
    segment_delete,
    segment_from_funnel_drop,
    segment_save,
)

router = Router(tags=["segments"])


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
    "/segments",
    response=list[SegmentOut],
    auth=staff_or_key("read"),
    operation_id="segments_list",
    summary="List the segments you can see",
)
def segments(request: HttpRequest) -> list[SegmentOut]:
    """Saved segments the caller sees: their own and the shared ones."""
    return [_segment_out(segment) for segment in segments_for_user(user=user_of(request))]


@router.post(
    "/segments",
    response={201: SegmentOut, 400: ErrorOut, 403: ErrorOut},
    auth=[ApiKeyAuth("admin"), StaffSessionAuth()],
    operation_id="segments_create",
    summary="Save a segment",
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


@router.post(
    "/segments/from-funnel",
    response={201: SegmentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=[ApiKeyAuth("admin"), StaffSessionAuth()],
    operation_id="segments_create_from_funnel",
    summary="Save the people who dropped at a funnel step as a segment",
)
def segment_create_from_funnel(request: HttpRequest, data: SegmentFromFunnelIn) -> Status[Any]:
    """A segment of the people who reached the funnel's step `step` (1 = the first) and went
    no further, following the funnel's hourly figures (private unless shared)."""
    try:
        segment = segment_from_funnel_drop(
            funnel_id=data.funnel_id,
            step=data.step,
            name=data.name,
            is_shared=data.is_shared,
            audit=AuditContext.from_request(request),
        )
    except SegmentRefused as exc:
        return Status(400, {"detail": str(exc)})
    return Status(201, _segment_out(segment))


@router.get(
    "/segments/{segment_id}/people",
    response={200: PeoplePage, 400: ErrorOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="segments_people",
    summary="People in a segment",
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
    summary="Delete a segment",
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
