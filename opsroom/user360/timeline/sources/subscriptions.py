"""Subscription changes: created, converted, upgraded, canceled..."""

from opsroom.core.money import money_format
from opsroom.revenue.selectors import (
    SUBSCRIPTION_STATUS_LABELS,
    subscription_changes_for_person,
)
from opsroom.user360.timeline.items import SourceRead, TimelineItem, TimelineSource


def _title(kind: str, kind_label: str, to_status: str) -> str:
    """'Subscription past due' rather than 'Subscription status changed'."""
    if kind == "status_changed" and to_status:
        status = SUBSCRIPTION_STATUS_LABELS.get(to_status, to_status).lower()
        return f"Subscription {status}" if to_status != "active" else "Subscription active again"
    return f"Subscription {kind_label.lower()}"


def subscription_changes(read: SourceRead) -> list[TimelineItem]:
    person, before, limit = read.person, read.before, read.limit
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
        if change.kind == "status_changed" and change.to_status in ("past_due", "unpaid"):
            tone = "bad"
        items.append(
            TimelineItem(
                "billing",
                3,
                change.occurred_at,
                change.pk,
                _title(change.kind, change.get_kind_display(), change.to_status),
                " · ".join(part for part in (plans, mrr) if part),
                tone,
            )
        )
    return items


SOURCE = TimelineSource("billing", "Billing", subscription_changes)
