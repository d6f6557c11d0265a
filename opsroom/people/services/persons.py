"""Writes of people, their tags and staff notes."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import Forbidden, InvalidInput
from opsroom.core.jsonshape import MAX_DEPTH as JSON_MAX_DEPTH
from opsroom.core.redaction import payload_redact
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.core.upsert import UpsertResult, rows_upsert
from opsroom.people import event_sql
from opsroom.people.models import Note, Person, Tag, Touch, person_search_text

# Fields a person record may carry; attributes merge key by key (a None value removes a key).
PERSON_FIELDS = (
    "email",
    "name",
    "signed_up_at",
    "last_seen_at",
    "acquisition_channel",
    "is_vip",
    "status",
    "attributes",
)
# A person row may also carry "touches": [{"occurred_at", "channel", "campaign",
# "landing_page", "referrer"}], each stored once per (time, channel, campaign).
MAX_TOUCHES = 50


def person_upsert_many(*, rows: Sequence[dict[str, Any]]) -> UpsertResult[Person]:
    """Create or update people by external id; each row holds only the fields it sets, and
    may add marketing touches (a touch already held changes nothing)."""
    touches: dict[str, list[dict[str, Any]]] = {}
    plain = []
    for row in rows:
        unknown = set(row) - {"external_id", *PERSON_FIELDS, "touches"}
        if unknown:
            raise ValueError(f"unknown person fields: {sorted(unknown)}")
        if row.get("touches"):
            if len(row["touches"]) > MAX_TOUCHES:
                raise InvalidInput(f"A person carries at most {MAX_TOUCHES} touches.")
            touches.setdefault(row["external_id"], []).extend(row["touches"])
        plain.append({name: value for name, value in row.items() if name != "touches"})
    result = rows_upsert(Person, key_field="external_id", rows=plain, prepare=_person_prepare)
    if touches:
        _touches_add(
            (result.by_key[external_id].pk, touch)
            for external_id, rows_of in touches.items()
            for touch in rows_of
        )
    return result


def _touches_add(touches: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Store touches once each (by person, time, channel and campaign)."""
    Touch.objects.bulk_create(
        [
            Touch(
                person_id=person_id,
                occurred_at=touch["occurred_at"],
                channel=touch["channel"].strip(),
                campaign=(touch.get("campaign") or "").strip(),
                landing_page=(touch.get("landing_page") or "").strip(),
                referrer=(touch.get("referrer") or "").strip(),
            )
            for person_id, touch in touches
        ],
        ignore_conflicts=True,
        batch_size=500,
    )


def _person_prepare(current: Person | None, row: dict[str, Any]) -> dict[str, Any]:
    values = dict(row)
    values["is_placeholder"] = False
    if values.get("email") is not None:
        values["email"] = values["email"].strip().lower()
    if "attributes" in values:
        merged = dict(current.attributes) if current else {}
        incoming = payload_redact(values["attributes"] or {}, max_depth=JSON_MAX_DEPTH)
        for key, value in incoming.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        values["attributes"] = merged
    if current is not None and current.last_seen_at and values.get("last_seen_at"):
        values["last_seen_at"] = max(current.last_seen_at, values["last_seen_at"])

    def held(name: str) -> str:
        if values.get(name) is not None:
            return str(values[name])
        return str(getattr(current, name)) if current is not None else ""

    values["search_text"] = person_search_text(
        email=held("email"), name=held("name"), external_id=str(values["external_id"])
    )
    return values


def person_upsert(*, external_id: str, **fields: Any) -> Person:
    """Create or update one person."""
    result = person_upsert_many(rows=[{"external_id": external_id, **fields}])
    return result.by_key[external_id]


def person_ids_ensure(*, external_ids: Iterable[str]) -> dict[str, int]:
    """Map external ids to person ids, creating placeholders for people not seen before."""
    wanted = sorted(set(external_ids))
    ids = _person_ids(wanted)
    missing = [external_id for external_id in wanted if external_id not in ids]
    if missing:
        now = clock.now()
        Person.objects.bulk_create(
            [
                Person(
                    external_id=external_id,
                    is_placeholder=True,
                    search_text=person_search_text(email="", name="", external_id=external_id),
                    created_at=now,
                    updated_at=now,
                )
                for external_id in missing
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        ids.update(_person_ids(missing))
    return ids


def _person_ids(external_ids: Sequence[str]) -> dict[str, int]:
    return event_sql.person_ids_by_external_id(external_ids)


@transaction.atomic
def note_create(*, person: Person, body: str, audit: AuditContext, is_pinned: bool = False) -> Note:
    """Add a staff note to a person."""
    body = body.strip()
    if not body:
        raise InvalidInput("A note cannot be empty.")
    if audit.actor is None:
        raise Forbidden("Notes are written by a staff user.")
    note = Note.objects.create(person=person, author=audit.actor, body=body, is_pinned=is_pinned)
    audit_record(audit, action="person.note_add", target=person, params={"note_id": note.pk})
    return note


@transaction.atomic
def person_tags_add(*, people: Sequence[Person], tag_names: Sequence[str]) -> list[Tag]:
    """Attach tags (created when new) to people."""
    names = sorted({name.strip().lower() for name in tag_names if name.strip()})
    if not names:
        raise InvalidInput("Give at least one tag.")
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    tags = list(Tag.objects.filter(name__in=names))
    through = Person.tags.through
    through.objects.bulk_create(
        [through(person_id=person.pk, tag_id=tag.pk) for person in people for tag in tags],
        ignore_conflicts=True,
        batch_size=500,
    )
    return tags
