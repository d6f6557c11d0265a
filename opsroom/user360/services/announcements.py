"""Announcements: a message to a People segment, by email (through messaging, one audited
email per person, sent by a background task) and in the host app (it reads a person's
pending messages and reports what they did with them)."""

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from opsroom.core import clock
from opsroom.core.errors import Conflict, DomainError, InvalidInput, NotFound
from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.messaging.services import email_send
from opsroom.people.models import Person
from opsroom.user360.filters import FilterError
from opsroom.user360.models import Announcement, AnnouncementDelivery
from opsroom.user360.selectors.filters import people_ids_matching
from opsroom.user360.selectors.lists import segment_get_for_user, segment_query
from opsroom.user360.services.bulk import bulk_limit_check

MAX_BODY = 10000
EVENTS = ("seen", "clicked", "dismissed")
MAX_DAYS = 90


def _clean(
    *, title: str, body: str, link_url: str, link_label: str, expires_days: int | None
) -> dict[str, Any]:
    title = " ".join(str(title).split())[:200]
    body = str(body).strip()
    if not title or "\x00" in title:
        raise InvalidInput("An announcement needs a title.")
    if not body or "\x00" in body:
        raise InvalidInput("An announcement needs a message.")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"The message is at most {MAX_BODY} characters.")
    link_url = str(link_url).strip()
    if link_url:
        parts = urlsplit(link_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link_url) > 500:
            raise InvalidInput("The link is an http(s) address of at most 500 characters.")
    link_label = " ".join(str(link_label).split())[:60]
    if expires_days is not None and not 1 <= expires_days <= MAX_DAYS:
        raise InvalidInput(f"In-app messages show for 1 to {MAX_DAYS} days.")
    return {
        "title": title,
        "body": body,
        "link_url": link_url,
        "link_label": link_label or ("Open" if link_url else ""),
        "expires_days": expires_days,
    }


@transaction.atomic
def announcement_create(
    *,
    title: str,
    body: str,
    segment_id: int,
    user: User | None,
    audit: AuditContext,
    link_url: str = "",
    link_label: str = "",
    by_email: bool = True,
    in_app: bool = True,
    expires_days: int | None = 14,
) -> Announcement:
    """A draft announcement to a segment the user can see."""
    values = _clean(
        title=title, body=body, link_url=link_url, link_label=link_label, expires_days=expires_days
    )
    if not by_email and not in_app:
        raise InvalidInput("Send it by email, in the app, or both.")
    segment = segment_get_for_user(segment_id=segment_id, user=user) if segment_id > 0 else None
    if segment is None:
        raise InvalidInput("Choose a segment you can see.")
    expires = values.pop("expires_days")
    announcement = Announcement.objects.create(
        **values,
        segment=segment,
        audience_label=segment.name,
        by_email=by_email,
        in_app=in_app,
        created_by=user,
        created_at=clock.now(),
        # Stored as days until sent; the send fixes the moment.
        audience_query={"expires_days": expires},
    )
    audit_record(
        audit,
        action="people.announcement_create",
        target=announcement,
        params={"segment": segment.pk, "email": by_email, "in_app": in_app},
    )
    return announcement


@transaction.atomic
def announcement_send(*, announcement: Announcement, user: User | None, audit: AuditContext) -> int:
    """Send a draft to the people its segment covers now (active people only); the emails go
    from a background task. Returns how many people it reaches."""
    locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
    if locked.status != Announcement.Status.DRAFT:
        raise Conflict("This announcement was already sent.")
    segment = (
        segment_get_for_user(segment_id=locked.segment_id, user=user) if locked.segment_id else None
    )
    if segment is None:
        raise Conflict("Its segment was deleted (or is private): choose another in a new draft.")
    try:
        query = segment_query(segment)
    except FilterError as exc:
        raise Conflict(f"The segment no longer applies: {exc}") from exc
    ids = list(
        Person.objects.filter(
            id__in=people_ids_matching(query=query), status=Person.Status.ACTIVE
        ).values_list("id", flat=True)
    )
    if not ids:
        raise Conflict("Nobody active is in this segment now: nothing to send.")
    bulk_limit_check(label="announcement", count=len(ids))
    now = clock.now()
    expires_days = locked.audience_query.get("expires_days")
    try:
        AnnouncementDelivery.objects.bulk_create(
            [AnnouncementDelivery(announcement=locked, person_id=pid) for pid in ids],
            batch_size=1000,
        )
    except IntegrityError as exc:  # pragma: no cover - the lock makes this a second send
        raise Conflict("This announcement was already sent.") from exc
    locked.status = Announcement.Status.SENT
    locked.sent_at = now
    locked.audience_count = len(ids)
    locked.audience_query = {**query.as_dict(), "expires_days": expires_days}
    locked.audience_label = query.describe()[:300] or segment.name
    locked.expires_at = now + timedelta(days=expires_days) if expires_days else None
    locked.save()
    audit_record(
        audit,
        action="people.announcement_send",
        target=locked,
        params={"count": len(ids), "email": locked.by_email, "in_app": locked.in_app},
    )
    if locked.by_email:
        from opsroom.user360.tasks import announcement_emails_send

        actor_id = user.pk if user is not None else None
        transaction.on_commit(
            lambda: announcement_emails_send.enqueue(
                announcement_id=locked.pk, actor_id=actor_id, actor_label=audit.label
            )
        )
    announcement.refresh_from_db()
    return len(ids)


def announcement_emails_deliver(*, announcement: Announcement, audit: AuditContext) -> int:
    """Email everyone not emailed yet (safe to run again); who cannot get one is noted."""
    sent = 0
    body = announcement.body
    if announcement.link_url:
        body += f"\n\n{announcement.link_label or 'Open'}: {announcement.link_url}"
    pending = announcement.deliveries.filter(email_id=None, email_skipped="").select_related(
        "person"
    )
    for delivery in pending.iterator(chunk_size=500):
        try:
            with transaction.atomic():
                message = email_send(
                    person=delivery.person,
                    subject=announcement.title,
                    body_text=body,
                    audit=audit,
                )
                delivery.email_id = message.pk
                delivery.save(update_fields=["email_id"])
        except DomainError as exc:
            AnnouncementDelivery.objects.filter(pk=delivery.pk).update(
                email_skipped=exc.message[:200]
            )
        else:
            sent += 1
    return sent


def announcement_event(*, announcement_id: int, external_id: str, event: str) -> None:
    """The host app reports that a person saw, clicked or dismissed an in-app announcement
    (the first time of each counts)."""
    if event not in EVENTS:
        raise InvalidInput(f"event is one of {', '.join(EVENTS)}.")
    delivery = (
        AnnouncementDelivery.objects.filter(
            announcement_id=announcement_id,
            announcement__in_app=True,
            person__external_id=external_id,
        ).first()
        if 0 < announcement_id < 2**63
        else None
    )
    if delivery is None:
        raise NotFound("That person did not get this announcement in the app.")
    field = {"seen": "seen_at", "clicked": "clicked_at", "dismissed": "dismissed_at"}[event]
    now = clock.now()
    updates = {field: now}
    if event in ("clicked", "dismissed") and delivery.seen_at is None:
        updates["seen_at"] = now  # a click or dismissal means it was shown
    AnnouncementDelivery.objects.filter(pk=delivery.pk, **{f"{field}__isnull": True}).update(
        **updates
    )
