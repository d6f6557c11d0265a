"""Announcements: staff write and send them; the host app reads a person's pending in-app
messages and reports what the person did with each."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth, staff_or_key
from opsroom.core.errors import NotFound
from opsroom.core.refusals import permissions_check
from opsroom.core.schemas import ErrorOut, Text
from opsroom.core.services.audit import AuditContext
from opsroom.user360.api.people import user_of
from opsroom.user360.models import Announcement
from opsroom.user360.selectors.announcements import announcement_figures, inbox_for_person
from opsroom.user360.services.announcements import (
    announcement_create,
    announcement_event,
    announcement_send,
)

router = Router(tags=["announcements"])
WRITE = [ApiKeyAuth("admin"), StaffSessionAuth()]
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
PERMISSION = "user360.send_announcement"


class AnnouncementIn(Schema):
    segment_id: int
    title: Text = Field(..., max_length=200)
    body: Text = Field(..., max_length=10000)
    link_url: Text = Field("", max_length=500)
    link_label: Text = Field("", max_length=60)
    by_email: bool = True
    in_app: bool = True
    expires_days: int | None = Field(14, description="days it shows in the app (1-90)")


class AnnouncementOut(Schema):
    id: int
    title: str
    body: str
    link_url: str
    link_label: str
    segment_id: int | None
    by_email: bool
    in_app: bool
    status: str
    audience_count: int
    created_at: datetime
    sent_at: datetime | None
    expires_at: datetime | None
    figures: dict[str, Any] | None = Field(description="how it went, once sent")


class InboxItemOut(Schema):
    id: int = Field(description="the announcement's id, for the events")
    title: str
    body: str
    link_url: str
    link_label: str
    sent_at: datetime | None
    seen: bool


class EventIn(Schema):
    user_id: Text = Field(..., max_length=128, description="your app's id for the person")
    event: Literal["seen", "clicked", "dismissed"]


def _require(request: HttpRequest) -> None:
    user = user_of(request)
    if user is not None:
        permissions_check(user, [PERMISSION])


def _out(a: Announcement) -> AnnouncementOut:
    figures = None
    if a.status == Announcement.Status.SENT:
        f = announcement_figures(announcement=a)
        figures = {
            "audience": f.audience,
            "email": f.email.__dict__ if f.email else None,
            "email_skipped": f.email_skipped,
            "seen": f.seen,
            "clicked": f.clicked,
            "dismissed": f.dismissed,
        }
    return AnnouncementOut(
        id=a.pk,
        title=a.title,
        body=a.body,
        link_url=a.link_url,
        link_label=a.link_label,
        segment_id=a.segment_id,
        by_email=a.by_email,
        in_app=a.in_app,
        status=a.status,
        audience_count=a.audience_count,
        created_at=a.created_at,
        sent_at=a.sent_at,
        expires_at=a.expires_at,
        figures=figures,
    )


def _get(announcement_id: int) -> Announcement:
    found = (
        Announcement.objects.filter(pk=announcement_id).first()
        if 0 < announcement_id < 2**63
        else None
    )
    if found is None:
        raise NotFound(f"No announcement {announcement_id}.")
    return found


@router.get(
    "/announcements",
    response=list[AnnouncementOut],
    auth=staff_or_key("read"),
    operation_id="announcements_list",
    summary="Announcements to People segments",
)
def announcements_list(request: HttpRequest) -> list[AnnouncementOut]:
    """The latest 100 announcements, with their figures once sent."""
    return [_out(a) for a in Announcement.objects.all()[:100]]


@router.post(
    "/announcements",
    response={201: AnnouncementOut, **ERRORS},
    auth=WRITE,
    operation_id="announcements_create",
    summary="Write an announcement (a draft)",
)
def announcements_create(request: HttpRequest, data: AnnouncementIn) -> Status[Any]:
    """A draft to a segment (an API key sees shared segments only)."""
    _require(request)
    announcement = announcement_create(
        user=user_of(request), audit=AuditContext.from_request(request), **data.dict()
    )
    return Status(201, _out(announcement))


@router.get(
    "/announcements/{announcement_id}",
    response={200: AnnouncementOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="announcements_get",
    summary="One announcement and how it went",
)
def announcements_get(request: HttpRequest, announcement_id: int) -> Status[Any]:
    """An announcement with its figures."""
    return Status(200, _out(_get(announcement_id)))


@router.post(
    "/announcements/{announcement_id}/send",
    response={200: AnnouncementOut, **ERRORS},
    auth=WRITE,
    operation_id="announcements_send",
    summary="Send a draft announcement",
)
def announcements_send(request: HttpRequest, announcement_id: int) -> Status[Any]:
    """Send it to the people its segment covers now; 409 once sent."""
    _require(request)
    announcement = _get(announcement_id)
    announcement_send(
        announcement=announcement, user=user_of(request), audit=AuditContext.from_request(request)
    )
    return Status(200, _out(announcement))


@router.get(
    "/people/{user_id}/announcements",
    response=list[InboxItemOut],
    auth=staff_or_key("read"),
    operation_id="announcements_inbox",
    summary="A person's pending in-app announcements (for your app)",
)
def announcements_inbox(request: HttpRequest, user_id: Text) -> list[InboxItemOut]:
    """The in-app announcements your app should show this person: not dismissed, not
    expired, newest first (at most 20). Unknown ids get an empty list."""
    return [
        InboxItemOut(
            id=d.announcement_id,
            title=d.announcement.title,
            body=d.announcement.body,
            link_url=d.announcement.link_url,
            link_label=d.announcement.link_label,
            sent_at=d.announcement.sent_at,
            seen=d.seen_at is not None,
        )
        for d in inbox_for_person(external_id=user_id[:128])
    ]


@router.post(
    "/announcements/{announcement_id}/events",
    response={204: None, **ERRORS},
    auth=staff_or_key("ingest"),
    operation_id="announcements_event",
    summary="Report what a person did with an in-app announcement",
)
def announcements_event(request: HttpRequest, announcement_id: int, data: EventIn) -> Status[Any]:
    """`seen`, `clicked` or `dismissed` (the first of each counts; a dismissed one leaves the
    person's list)."""
    announcement_event(announcement_id=announcement_id, external_id=data.user_id, event=data.event)
    return Status(204, None)
