"""Bulk actions on a filtered set of people: tag, note, templated email, CSV export.

The views show the count and ask for confirmation first; these run the confirmed set. Each
run writes one audit entry naming the query, the count and (up to a limit) the people.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import Forbidden, InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.messaging.selectors import template_get
from opsroom.people.models import Note, Person
from opsroom.people.services.persons import person_tags_add
from opsroom.user360.filters import PeopleQuery
from opsroom.user360.tasks import bulk_email_send

EXPORT_LIMIT_FACTOR = 10
# People named one by one in the audit entry; beyond this, the query and count stand for them.
AUDIT_IDS_MAX = 1000


@dataclass(frozen=True)
class BulkOutcome:
    action: str
    count: int
    message: str
    # An export's file: its rows (header first) and name; the page streams it.
    rows: Iterator[list[str]] | None = None
    filename: str = ""


def bulk_limit_check(*, label: str, count: int, factor: int = 1) -> None:
    """Refuse sets too large to act on at once (exports stream, so they allow a larger factor)."""
    limit = settings.OPSROOM_BULK_MAX * factor
    if count > limit:
        raise InvalidInput(
            f"{count:,} people is more than the {limit:,} a bulk {label.lower()} "
            "may cover (OPSROOM_BULK_MAX); narrow the filters."
        )
    if count == 0:
        raise InvalidInput("No one matches these filters.")


def _audit(
    audit: AuditContext, action: str, query: PeopleQuery, ids: Sequence[int], **params: Any
) -> None:
    audit_record(
        audit,
        action=f"people.bulk_{action}",
        target_type="people.query",
        target_label=query.describe(),
        params={
            "count": len(ids),
            "query": query.as_dict(),
            "person_ids": list(ids[:AUDIT_IDS_MAX]),
            **params,
        },
    )


@transaction.atomic
def bulk_tag(
    *, person_ids: Sequence[int], tag_names: Sequence[str], query: PeopleQuery, audit: AuditContext
) -> BulkOutcome:
    """Tag everyone in a confirmed set."""
    bulk_limit_check(label="tag", count=len(person_ids))
    people = list(Person.objects.filter(id__in=person_ids).only("id"))
    tags = person_tags_add(people=people, tag_names=tag_names)
    names = [tag.name for tag in tags]
    _audit(audit, "tag", query, person_ids, tags=names)
    return BulkOutcome(
        "tag", len(people), f"Tagged {len(people):,} people with {', '.join(names)}."
    )


@transaction.atomic
def bulk_note(
    *, person_ids: Sequence[int], body: str, query: PeopleQuery, audit: AuditContext
) -> BulkOutcome:
    """Add the same staff note to everyone in a confirmed set."""
    bulk_limit_check(label="note", count=len(person_ids))
    body = body.strip()
    if not body:
        raise InvalidInput("A note cannot be empty.")
    if audit.actor is None:
        raise Forbidden("Notes are written by a staff user.")
    now = clock.now()
    Note.objects.bulk_create(
        [Note(person_id=pid, author=audit.actor, body=body, created_at=now) for pid in person_ids],
        batch_size=1000,
    )
    _audit(audit, "note", query, person_ids, note=body[:200])
    return BulkOutcome("note", len(person_ids), f"Added the note to {len(person_ids):,} people.")


@transaction.atomic
def bulk_email(
    *, person_ids: Sequence[int], template_key: str, query: PeopleQuery, audit: AuditContext
) -> BulkOutcome:
    """Queue a templated email to everyone in a confirmed set (sent by a background task)."""
    bulk_limit_check(label="email", count=len(person_ids))
    template = template_get(key=template_key)
    if template is None:
        raise InvalidInput(f"There is no active email template '{template_key}'.")
    _audit(audit, "email", query, person_ids, template=template.key)
    ids = list(person_ids)
    actor_id = audit.actor.pk if audit.actor is not None else None
    transaction.on_commit(
        lambda: bulk_email_send.enqueue(
            person_ids=ids,
            template_key=template.key,
            actor_id=actor_id,
            actor_label=audit.label,
            ip=audit.ip,
        )
    )
    return BulkOutcome(
        "email", len(ids), f"Queued '{template.name}' to {len(ids):,} people; it is sent shortly."
    )


def bulk_export_record(*, count: int, query: PeopleQuery, audit: AuditContext) -> None:
    """Audit a CSV export of a confirmed set."""
    bulk_limit_check(label="export", count=count, factor=EXPORT_LIMIT_FACTOR)
    audit_record(
        audit,
        action="people.bulk_export",
        target_type="people.query",
        target_label=query.describe(),
        params={"count": count, "query": query.as_dict()},
    )
