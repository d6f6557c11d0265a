"""Revenue's metric series for the anomaly watch: trial starts, conversions, payment failures."""

from collections.abc import Sequence
from datetime import datetime

from opsroom.core.timeseries import Step, per_bucket
from opsroom.revenue.models import PaymentAttempt, SubscriptionChange
from opsroom.revenue.selectors import subscriptions_current_for_people


def subscription_changes_per_bucket(
    *, kind: str, step: Step, since: datetime, until: datetime
) -> dict[datetime, float]:
    """Subscription changes of one kind (trial_started, converted...), per hour or day."""
    rows = per_bucket(
        SubscriptionChange.objects.filter(kind=kind),
        field="occurred_at",
        step=step,
        since=since,
        until=until,
    )
    return {bucket: value for (_, bucket), value in rows.items()}


def payment_failures_per_bucket(
    *, step: Step, since: datetime, until: datetime
) -> dict[datetime, float]:
    """Failed payment attempts, per hour or day."""
    rows = per_bucket(
        PaymentAttempt.objects.filter(status=PaymentAttempt.Status.FAILED),
        field="attempted_at",
        step=step,
        since=since,
        until=until,
    )
    return {bucket: value for (_, bucket), value in rows.items()}


def plan_codes_for_people(*, person_ids: Sequence[int]) -> dict[int, str]:
    """Each person's current plan code (as their current subscription), "" when none."""
    found = subscriptions_current_for_people(person_ids=person_ids)
    return {
        pk: subscription.plan.code if subscription.plan else ""
        for pk, subscription in found.items()
    }
