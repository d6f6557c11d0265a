"""Staff actions on the person, from the audit log (emails and notes have their own entries)."""

from opsroom.core.selectors import audit_entries_for_target
from opsroom.people.models import Person
from opsroom.user360.timeline.items import SourceRead, TimelineItem, TimelineSource

# Staff actions already shown as their own entries (the email, the note).
_SHOWN_ELSEWHERE = ("person.email_send", "person.note_add")


def staff_actions(read: SourceRead) -> list[TimelineItem]:
    person, before, limit = read.person, read.before, read.limit
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


SOURCE = TimelineSource("staff", "Staff actions", staff_actions)
