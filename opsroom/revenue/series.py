"""Revenue's metric series for the anomaly watch: trial starts, conversions, payment failures."""

from datetime import datetime

from opsroom.core.timeseries import Step, per_bucket
from opsroom.revenue.models import PaymentAttempt, SubscriptionChange


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
