"""Subscription changes: created, converted, upgraded, canceled..."""

from opsroom.core.money import money_format
from opsroom.revenue.selectors import subscription_changes_for_person
from opsroom.user360.timeline.items import SourceRead, TimelineItem, TimelineSource


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


SOURCE = TimelineSource("billing", "Billing", subscription_changes)
