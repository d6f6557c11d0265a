"""Payment attempts: charges, failures with their decline and next retry, refunds."""

from opsroom.core.money import money_format
from opsroom.revenue.selectors import payment_attempts_for_person
from opsroom.user360.timeline.items import SourceRead, TimelineItem, TimelineSource


def payments(read: SourceRead) -> list[TimelineItem]:
    person, before, limit = read.person, read.before, read.limit
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


SOURCE = TimelineSource("billing", "Billing", payments)
