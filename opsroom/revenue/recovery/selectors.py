"""Reads of payment health: failures by reason and bucket, MRR at risk, recovery per attempt,
the recovery rate, the dunning emails' open and update rates, and the manual cases.

Recovery rate (exact): of the cases whose first failure fell in the period, those recovered
within 30 days of that failure, divided by those recovered within 30 days plus those whose 30
days have passed without recovery (cases still inside their 30 days and not yet recovered are
left out until they are decided).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet, Sum

from opsroom.core import clock
from opsroom.messaging.selectors import email_outcomes
from opsroom.revenue.models import DunningSend, PaymentAttempt, PaymentCase
from opsroom.revenue.recovery.services import WINDOW, recovery_settings_get

Bucket = PaymentCase.Bucket


@dataclass(frozen=True)
class Reason:
    code: str
    bucket: str
    cases: int


@dataclass(frozen=True)
class AttemptStep:
    retry: int  # 1 = the first retry
    day: int | None  # the schedule's day for it (None past the schedule)
    reached: int  # cases still failing when this retry came (or would have)
    recovered: int  # collected by this retry


@dataclass(frozen=True)
class DunningStep:
    template: str
    day: int
    sent: int
    opened: int
    updated: int  # recipients who paid (or updated the card and paid) within 7 days


@dataclass(frozen=True)
class PaymentHealthFigures:
    since: datetime
    failures: int  # cases with a first failure in the window
    reasons: list[Reason]
    buckets: dict[str, int]
    open_cases: int
    mrr_at_risk: dict[str, int]  # per currency, open cases
    recovered: int
    lost: int
    recovery_rate: float | None
    recovered_amount: dict[str, int]
    steps: list[AttemptStep]
    dunning: list[DunningStep]
    expiry_sent: int
    expiry_opened: int
    failed_attempts: int


def _recovery_rate(cases: QuerySet[PaymentCase], now: datetime) -> float | None:
    decided = cases.filter(
        Q(status=PaymentCase.Status.RECOVERED, closed_at__lte=F("first_failed_at") + WINDOW)
        | Q(first_failed_at__lte=now - WINDOW)
    )
    won = decided.filter(
        status=PaymentCase.Status.RECOVERED, closed_at__lte=F("first_failed_at") + WINDOW
    ).count()
    total = decided.count()
    return won / total if total else None


def payment_health(*, now: datetime | None = None, days: int = 30) -> PaymentHealthFigures:
    """Payment failures and their recovery over the last `days` days."""
    now = now or clock.now()
    since = now - timedelta(days=days)
    cases = PaymentCase.objects.filter(first_failed_at__gte=since, first_failed_at__lte=now)
    reasons = [
        Reason(code=row["decline_code"] or "unknown", bucket=row["bucket"], cases=row["n"])
        for row in cases.values("decline_code", "bucket")
        .annotate(n=Count("id"))
        .order_by("-n", "decline_code")
    ]
    buckets = dict.fromkeys(Bucket.values, 0)
    for reason in reasons:
        buckets[reason.bucket] += reason.cases
    open_cases = PaymentCase.objects.filter(status=PaymentCase.Status.OPEN)
    at_risk = {
        row["currency"]: int(row["mrr"] or 0)
        for row in open_cases.values("currency").annotate(mrr=Sum("mrr"))
    }
    recovered = cases.filter(status=PaymentCase.Status.RECOVERED)
    amounts = {
        row["currency"]: int(row["total"] or 0)
        for row in recovered.values("currency").annotate(total=Sum("amount"))
    }
    config = recovery_settings_get()
    schedule = list(config.retry_days or [])
    by_retry = dict(
        recovered.values("recovered_on_retry")
        .annotate(n=Count("id"))
        .values_list("recovered_on_retry", "n")
    )
    total = cases.count()
    expiry = email_outcomes(template_keys=[config.expiry_template], since=since, until=now)
    steps, still = [], total
    for retry in range(1, max([len(schedule), *[k for k in by_retry if k]], default=0) + 1):
        got = by_retry.get(retry, 0)
        steps.append(
            AttemptStep(
                retry=retry,
                day=schedule[retry - 1] if retry <= len(schedule) else None,
                reached=still,
                recovered=got,
            )
        )
        still -= got
    return PaymentHealthFigures(
        since=since,
        failures=total,
        reasons=reasons,
        buckets=buckets,
        open_cases=open_cases.count(),
        mrr_at_risk=at_risk,
        recovered=recovered.count(),
        lost=cases.filter(status=PaymentCase.Status.LOST).count(),
        recovery_rate=_recovery_rate(cases, now),
        recovered_amount=amounts,
        steps=steps,
        dunning=_dunning(since, now, config.dunning_steps or []),
        expiry_sent=len(expiry),
        expiry_opened=sum(o.opened for o in expiry),
        failed_attempts=PaymentAttempt.objects.filter(
            status=PaymentAttempt.Status.FAILED, attempted_at__gte=since, attempted_at__lte=now
        ).count(),
    )


def _dunning(since: datetime, now: datetime, steps: list[dict[str, object]]) -> list[DunningStep]:
    """Each dunning email's sends in the window (whoever sent them: Opsroom or the provider,
    by template), how many were opened, and how many recipients paid within 7 days."""
    keys = [str(step["template"]) for step in steps]
    outcomes = email_outcomes(template_keys=keys, since=since, until=now)
    paid_after: dict[int, list[datetime]] = {}
    people = {o.person_id for o in outcomes}
    for person_id, at in PaymentAttempt.objects.filter(
        person_id__in=people, status=PaymentAttempt.Status.SUCCEEDED, attempted_at__gte=since
    ).values_list("person_id", "attempted_at"):
        paid_after.setdefault(person_id, []).append(at)
    result = []
    for step in steps:
        key = str(step["template"])
        mine = [o for o in outcomes if o.template_key == key]
        updated = sum(_paid_within(o.sent_at, paid_after.get(o.person_id, [])) for o in mine)
        result.append(
            DunningStep(
                template=key,
                day=int(str(step["day"])),
                sent=len(mine),
                opened=sum(o.opened for o in mine),
                updated=updated,
            )
        )
    return result


def _paid_within(sent: datetime, payments: list[datetime], days: int = 7) -> bool:
    return any(sent <= at <= sent + timedelta(days=days) for at in payments)


def manual_cases() -> QuerySet[PaymentCase]:
    """Open cases retries cannot fix: the card needs the customer, must never be retried, or
    the schedule is exhausted. Largest MRR first."""
    return (
        PaymentCase.objects.filter(status=PaymentCase.Status.OPEN)
        .filter(
            Q(bucket__in=[Bucket.NEEDS_CUSTOMER, Bucket.NEVER_RETRY])
            | Q(bucket=Bucket.RETRY_LATER, next_retry_at__isnull=True)
        )
        .select_related("person", "subscription")
        .order_by("-mrr", "first_failed_at")
    )


def dunning_sent_for_person(*, person_id: int) -> list[DunningSend]:
    """The dunning and card-expiry emails Opsroom sent a person, newest first."""
    return list(DunningSend.objects.filter(person_id=person_id).order_by("-sent_at")[:20])
