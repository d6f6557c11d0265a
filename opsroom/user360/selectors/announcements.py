"""Announcements: their figures, and a person's pending in-app messages."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from opsroom.core import clock
from opsroom.messaging.selectors import DeliveryFigures, email_delivery_figures
from opsroom.user360.models import Announcement, AnnouncementDelivery

INBOX_MAX = 20


@dataclass(frozen=True)
class AnnouncementFigures:
    audience: int
    email: DeliveryFigures | None  # None: not sent by email
    email_skipped: int  # people who could not get the email (no address, not active)
    seen: int
    clicked: int
    dismissed: int

    @property
    def open_rate(self) -> float | None:
        sent = self.email.sent if self.email else 0
        return self.email.opened / sent if self.email and sent else None

    @property
    def click_rate(self) -> float | None:
        sent = self.email.sent if self.email else 0
        return self.email.clicked / sent if self.email and sent else None

    @property
    def seen_rate(self) -> float | None:
        return self.seen / self.audience if self.audience else None


def announcement_figures(*, announcement: Announcement) -> AnnouncementFigures:
    """How an announcement went: emails sent, delivered, opened, clicked; in-app seen,
    clicked, dismissed."""
    deliveries = announcement.deliveries.all()
    counts = deliveries.aggregate(
        n=Count("id"),
        skipped=Count("id", filter=~Q(email_skipped="")),
        seen=Count("seen_at"),
        clicked=Count("clicked_at"),
        dismissed=Count("dismissed_at"),
    )
    email = None
    if announcement.by_email:
        # A subquery: an audience of 100,000 is not 100,000 SQL parameters.
        ids = deliveries.filter(email_id__isnull=False).values("email_id")
        email = email_delivery_figures(email_ids=ids)
    return AnnouncementFigures(
        audience=counts["n"],
        email=email,
        email_skipped=counts["skipped"],
        seen=counts["seen"] if announcement.in_app else 0,
        clicked=counts["clicked"] if announcement.in_app else 0,
        dismissed=counts["dismissed"] if announcement.in_app else 0,
    )


def inbox_for_person(*, external_id: str) -> QuerySet[AnnouncementDelivery]:
    """A person's in-app announcements not dismissed and not expired, newest first."""
    now = clock.now()
    return (
        AnnouncementDelivery.objects.filter(
            person__external_id=external_id,
            announcement__in_app=True,
            announcement__status=Announcement.Status.SENT,
            dismissed_at__isnull=True,
        )
        .filter(Q(announcement__expires_at__isnull=True) | Q(announcement__expires_at__gt=now))
        .select_related("announcement")
        .order_by("-announcement__sent_at", "-id")[:INBOX_MAX]
    )
