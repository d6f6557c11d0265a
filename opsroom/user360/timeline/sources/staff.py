"""Staff actions on the person, from the audit log, as sentences (emails and notes have their
own entries)."""

from collections.abc import Callable
from typing import Any

from django.template.defaultfilters import pluralize

from opsroom.core.labels import name_label
from opsroom.core.models import AuditEntry
from opsroom.core.selectors import audit_entries_for_target
from opsroom.people.models import Person
from opsroom.user360.timeline.items import SourceRead, TimelineItem, TimelineSource

# Staff actions already shown as their own entries (the email, the note).
_SHOWN_ELSEWHERE = ("person.email_send", "person.note_add")


def _words(values: Any) -> str:
    items = [str(value) for value in values] if isinstance(values, list | tuple) else [str(values)]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _quoted(text: Any) -> str:
    return f"“{text}”" if text else ""


def _tagged(params: dict[str, Any]) -> tuple[str, str]:
    tags = params.get("tags") or []
    return f"tagged them {_words(tags)}", ""


def _impersonation_started(params: dict[str, Any]) -> tuple[str, str]:
    minutes = params.get("minutes")
    length = f" for {minutes} minute{pluralize(minutes)}" if minutes else ""
    return f"started a safe login as them{length}", _quoted(params.get("reason"))


def _impersonation_used(params: dict[str, Any]) -> tuple[str, str]:
    return "opened the app as them (the host app accepted the safe login)", ""


def _impersonation_revoked(params: dict[str, Any]) -> tuple[str, str]:
    staff = params.get("staff")
    return "revoked a safe login" + (f" given to {staff}" if staff else ""), ""


def _impersonation_refused(params: dict[str, Any]) -> tuple[str, str]:
    why = params.get("why") or ""
    return "was refused a safe login as them" + (f": {why}" if why else ""), _quoted(
        params.get("reason")
    )


def _comp(params: dict[str, Any]) -> tuple[str, str]:
    months = params.get("months")
    plan = params.get("plan")
    length = f" for {months} month{pluralize(months)}" if months else ""
    return f"granted them a complimentary subscription{length}", f"plan {plan}" if plan else ""


# action -> (params -> (what the actor did, a detail)); the actor's name starts the sentence.
SENTENCES: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {
    "person.tag_add": _tagged,
    "person.impersonate_start": _impersonation_started,
    "person.impersonate_use": _impersonation_used,
    "person.impersonate_revoke": _impersonation_revoked,
    "person.impersonate_refused": _impersonation_refused,
    "subscription.comp_grant": _comp,
}


def staff_sentence(entry: AuditEntry) -> tuple[str, str]:
    """An audit entry about a person as a sentence and a detail: 'ada tagged them bug-3481'."""
    params = entry.params if isinstance(entry.params, dict) else {}
    render = SENTENCES.get(entry.action)
    if render is not None:
        what, detail = render(params)
    else:  # an action without its own sentence: its name in words
        what, detail = name_label(entry.action.partition(".")[2] or entry.action).lower(), ""
    acting = f" (acting as {entry.acting_as})" if entry.acting_as else ""
    return f"{entry.actor_label}{acting} {what}", detail


def staff_actions(read: SourceRead) -> list[TimelineItem]:
    person, before, limit = read.person, read.before, read.limit
    entries = audit_entries_for_target(
        target_type=Person._meta.label_lower, target_id=str(person.pk), before=before, limit=limit
    )
    items = []
    for entry in entries:
        if entry.action in _SHOWN_ELSEWHERE:
            continue
        title, detail = staff_sentence(entry)
        items.append(TimelineItem("staff", 7, entry.occurred_at, entry.pk, title, detail))
    return items


SOURCE = TimelineSource("staff", "Staff actions", staff_actions)
