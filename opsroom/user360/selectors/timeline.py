"""One stream of everything about a person, newest first, paged by a cursor.

Sources: product activity (one entry per day, from the daily rollups), errors, payments and
subscription changes, tickets (with time to resolution), emails, notes and staff actions
(the audit log). Each source is read by its index up to the cursor; the page is their merge.
The order is (time desc, source rank, id desc); the cursor is the last entry's position in it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings

from opsroom.core.errors import InvalidInput
from opsroom.core.labels import name_label as event_label
from opsroom.core.money import money_format
from opsroom.core.selectors import audit_entries_for_target
from opsroom.messaging.selectors import emails_for_person
from opsroom.people.models import ActivityDaily, Note, Person
from opsroom.revenue.selectors import payment_attempts_for_person, subscription_changes_for_person
from opsroom.support.selectors import tickets_for_person
from opsroom.telemetry.selectors import errors_for_person

KINDS = {
    "product": "Product",
    "error": "Errors",
    "billing": "Billing",
    "ticket": "Tickets",
    "email": "Emails",
    "note": "Notes",
    "staff": "Staff actions",
}
PAGE_SIZE = 25
# Staff actions already shown as their own entries (the email, the note).
_SHOWN_ELSEWHERE = ("person.email_send", "person.note_add")
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class CursorError(InvalidInput):
    """A timeline cursor that cannot be read."""


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    rank: int  # order among entries at the same time
    at: datetime
    id: int
    title: str
    detail: str = ""
    tone: str = ""  # good, warn, bad
    url: str = ""
    lines: list[str] = field(default_factory=list)
    is_day: bool = False  # a day's product activity: the time of day is not known

    @property
    def order(self) -> tuple[int, int, int]:
        """Sort key: newest first, then by source rank, then newest id first."""
        return (-((self.at - _EPOCH) // _MICROSECOND), self.rank, -self.id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "day": self.at.date() if self.is_day else None,
            "title": self.title,
            "detail": self.detail,
            "tone": self.tone,
            "url": self.url,
            "lines": self.lines,
        }


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: str


def cursor_encode(item: TimelineItem) -> str:
    micros = (item.at - _EPOCH) // _MICROSECOND
    return f"{micros}.{item.rank}.{item.id}"


def cursor_decode(cursor: str) -> tuple[datetime, int, int]:
    """The position a cursor names; CursorError when it is not one this module made."""
    try:
        micros, rank, ident = (int(part) for part in cursor.split("."))
        moment = _EPOCH + micros * _MICROSECOND
    except (ValueError, OverflowError):
        raise CursorError(f"'{cursor[:40]}' is not a timeline cursor.") from None
    if not _EPOCH <= moment <= _FAR_FUTURE:
        raise CursorError(f"'{cursor[:40]}' is not a timeline cursor.")
    return moment, rank, ident


def duration_text(delta: timedelta) -> str:
    """A duration in the largest sensible unit: '45 minutes', '4 hours', '3 days'."""
    minutes = max(delta.total_seconds(), 0) / 60
    if minutes < 90:
        value, unit = round(minutes), "minute"
    elif minutes < 48 * 60:
        value, unit = round(minutes / 60), "hour"
    else:
        value, unit = round(minutes / 1440), "day"
    return f"{value} {unit}{'s' if value != 1 else ''}"


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _product(
    person: Person, before: datetime, limit: int, login_events: tuple[str, ...]
) -> list[TimelineItem]:
    activity = ActivityDaily.objects.filter(person_id=person.pk)
    days = list(
        activity.filter(day__lte=before.date())
        .order_by("-day")
        .values_list("day", flat=True)
        .distinct()[:limit]
    )
    if not days:
        return []
    last_login = (
        activity.filter(name__in=login_events)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    counts: dict[date, list[tuple[int, str]]] = defaultdict(list)
    for day, name, count in activity.filter(day__in=days).values_list("day", "name", "count"):
        counts[day].append((count, name))
    items = []
    for day in days:
        names = sorted(counts[day], key=lambda pair: (-pair[0], pair[1]))
        parts: list[str] = []
        if any(name in login_events for _count, name in names):
            parts.append("Last login" if day == last_login else "Logged in")
        for count, name in names:
            if name == login_events[0]:
                continue  # said by "Logged in"; other session events (app opens) are listed
            parts.append(event_label(name) + (f" x{count}" if count > 1 else ""))
        total = sum(count for count, _name in names)
        items.append(
            TimelineItem(
                kind="product",
                rank=0,
                at=_day_end(day),
                id=day.toordinal(),
                title=" · ".join(parts[:6]) + (" · …" if len(parts) > 6 else ""),
                detail=f"{total} event{'s' if total != 1 else ''}",
                is_day=True,
            )
        )
    return items


def _errors(person: Person, before: datetime, limit: int) -> list[TimelineItem]:
    template = settings.OPSROOM_SENTRY_ISSUE_URL
    items = []
    for error in errors_for_person(person_id=person.pk, before=before, limit=limit):
        url = template.format(issue_id=error.issue_id) if template and error.issue_id else ""
        detail = " · ".join(part for part in (error.endpoint, error.release) if part)
        items.append(
            TimelineItem(
                "error", 1, error.occurred_at, error.pk, f"Error: {error.title}", detail, "bad", url
            )
        )
    return items


def _payments(person: Person, before: datetime, limit: int) -> list[TimelineItem]:
    items = []
    for attempt in payment_attempts_for_person(person_id=person.pk, before=before, limit=limit):
        amount = money_format(attempt.amount, attempt.currency)
        lines = []
        if attempt.status == "failed":
            reason = attempt.decline_code or attempt.failure_code or "declined"
            lines.append(f"Attempt {attempt.attempt_number}: {reason}")
            if attempt.next_retry_at:
                lines.append(f"Next retry {attempt.next_retry_at:%Y-%m-%d}")
        if attempt.amount_refunded:
            lines.append(f"Refunded {money_format(attempt.amount_refunded, attempt.currency)}")
        tone = {"succeeded": "good", "failed": "bad"}.get(attempt.status, "warn")
        items.append(
            TimelineItem(
                "billing",
                2,
                attempt.attempted_at,
                attempt.pk,
                f"Payment {attempt.status} ({amount})",
                f"{attempt.card_brand.title()} •••• {attempt.card_last4}"
                if attempt.card_last4
                else "",
                tone,
                lines=lines,
            )
        )
    return items


def _subscription_changes(person: Person, before: datetime, limit: int) -> list[TimelineItem]:
    items = []
    for change in subscription_changes_for_person(person_id=person.pk, before=before, limit=limit):
        plans = ""
        if change.from_plan and change.to_plan and change.from_plan_id != change.to_plan_id:
            plans = f"{change.from_plan.name} → {change.to_plan.name}"
        elif change.to_plan:
            plans = change.to_plan.name
        mrr = ""
        if change.mrr_before != change.mrr_after:
            mrr = (
                f"MRR {money_format(change.mrr_before, change.currency)} → "
                f"{money_format(change.mrr_after, change.currency)}"
            )
        tone = {"canceled": "bad", "cancel_scheduled": "warn", "downgraded": "warn"}.get(
            change.kind, "good" if change.kind in ("upgraded", "reactivated", "converted") else ""
        )
        items.append(
            TimelineItem(
                "billing",
                3,
                change.occurred_at,
                change.pk,
                f"Subscription {change.get_kind_display().lower()}",
                " · ".join(part for part in (plans, mrr) if part),
                tone,
            )
        )
    return items


def _tickets(person: Person, before: datetime, limit: int, now: datetime) -> list[TimelineItem]:
    items = []
    for ticket in tickets_for_person(person_id=person.pk, before=before, limit=limit):
        if ticket.resolved_at:
            line = f"Resolved in {duration_text(ticket.resolved_at - ticket.created_at)}"
        else:
            line = f"{ticket.get_status_display()} for {duration_text(now - ticket.created_at)}"
        items.append(
            TimelineItem(
                "ticket",
                4,
                ticket.created_at,
                ticket.pk,
                f"Support ticket opened (#{ticket.pk})",
                ticket.subject,
                "" if ticket.resolved_at else "warn",
                ticket.get_absolute_url(),
                [line],
            )
        )
    return items


def _emails(person: Person, before: datetime, limit: int) -> list[TimelineItem]:
    items = []
    for email in emails_for_person(person_id=person.pk, before=before, limit=limit):
        source = email.template.name if email.template else ""
        if email.sequence:
            source = f"{email.sequence.name}" + (f" · {source}" if source else "")
        tone = {"bounced": "bad", "complained": "bad", "failed": "bad"}.get(email.status, "")
        items.append(
            TimelineItem(
                "email",
                5,
                email.created_at,
                email.pk,
                f"Email {email.get_status_display().lower()}: {email.subject}",
                source or ("sent by staff" if email.sent_by_id else ""),
                tone,
            )
        )
    return items


def _notes(person: Person, before: datetime, limit: int) -> list[TimelineItem]:
    notes = (
        Note.objects.filter(person_id=person.pk, created_at__lte=before)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        TimelineItem(
            "note",
            6,
            note.created_at,
            note.pk,
            f"Note by {note.author.get_username()}",
            note.body[:300],
        )
        for note in notes
    ]


def _staff(person: Person, before: datetime, limit: int) -> list[TimelineItem]:
    entries = audit_entries_for_target(
        target_type=Person._meta.label_lower, target_id=str(person.pk), before=before, limit=limit
    )
    items = []
    for entry in entries:
        if entry.action in _SHOWN_ELSEWHERE:
            continue
        acting = f" (acting as {entry.acting_as})" if entry.acting_as else ""
        params = ", ".join(
            f"{key}: {value}"
            for key, value in (entry.params or {}).items()
            if key in ("reason", "months", "plan", "tags", "count", "minutes", "template")
        )
        items.append(
            TimelineItem(
                "staff",
                7,
                entry.occurred_at,
                entry.pk,
                f"{entry.actor_label}: {entry.action}{acting}",
                params,
            )
        )
    return items


def timeline_page(
    *,
    person: Person,
    now: datetime,
    kinds: list[str] | None = None,
    cursor: str = "",
    page_size: int = PAGE_SIZE,
    login_events: tuple[str, ...] = ("login",),
) -> TimelinePage:
    """One page of a person's timeline after a cursor (the first page without one)."""
    wanted = [kind for kind in (kinds or list(KINDS)) if kind in KINDS] or list(KINDS)
    after = cursor_decode(cursor) if cursor else None
    before = after[0] if after else _FAR_FUTURE
    # Ties at the cursor's time are re-read and dropped below; a few spare rows cover them.
    limit = page_size + 5
    items: list[TimelineItem] = []
    if "product" in wanted:
        items += _product(person, before, limit, login_events)
    if "error" in wanted:
        items += _errors(person, before, limit)
    if "billing" in wanted:
        items += _payments(person, before, limit) + _subscription_changes(person, before, limit)
    if "ticket" in wanted:
        items += _tickets(person, before, limit, now)
    if "email" in wanted:
        items += _emails(person, before, limit)
    if "note" in wanted:
        items += _notes(person, before, limit)
    if "staff" in wanted:
        items += _staff(person, before, limit)
    items.sort(key=lambda item: item.order)
    if after is not None:
        position = (-((after[0] - _EPOCH) // _MICROSECOND), after[1], -after[2])
        items = [item for item in items if item.order > position]
    page = items[:page_size]
    more = len(items) > page_size
    return TimelinePage(items=page, next_cursor=cursor_encode(page[-1]) if more and page else "")
