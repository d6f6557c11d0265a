"""The billing history of the revenue benchmark: the people world (people_world.py) over two
years, with subscriptions whose change log has what the revenue command center reads.

Per paying customer (about half of the people): a monthly or annual plan; upgrades, downgrades
and quantity changes; first-months discounts that expire; past-due spells that recover or end
in churn; cancellations (some scheduled first, then cancelled at the period's end); a second
subscription for a few (one of them later cancelled); win-backs (a new subscription after
churning: reactivation). Every billing period has an invoice and its payment attempts: most
succeed at once, some fail with a decline code and are retried (3, 7, 14 days), a few never
recover. Marketing spend per channel and month. Rows are written in bulk (COPY on PostgreSQL),
not through the services: only for benchmarking.
"""

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection

from benchmarks.people_world import CHUNK, _copy_or_insert, _datetime_pg, _datetime_sqlite

DECLINES = (
    ("insufficient_funds", 50),
    ("card_declined", 15),
    ("expired_card", 12),
    ("do_not_honor", 10),
    ("processing_error", 8),
    ("stolen_card", 3),
    ("fraudulent", 2),
)
CHANNELS = ("organic", "ads", "referral", "social")


class _Sub:
    """One subscription being written: its terms now and its change log."""

    def __init__(self, person: Any, number: int, plan: Any, started: datetime) -> None:
        self.person = person
        self.key = f"sub_r{person.id}_{number}"
        self.plan = plan
        self.quantity = 1
        self.status = "active"
        self.started = started
        self.discount_percent = 0
        self.discount_ends: datetime | None = None
        self.cancel_at_period_end = False
        self.canceled: datetime | None = None
        self.changes: list[tuple[Any, ...]] = []  # (at, kind, from/to status, plans, mrr)
        self.mrr = 0

    def period_days(self) -> int:
        return 365 if self.plan.interval == "year" else 30


def _mrr(sub: _Sub, mrr_of: Callable[..., int], at: datetime) -> int:
    return mrr_of(
        status=sub.status,
        amount=sub.plan.amount,
        quantity=sub.quantity,
        interval=sub.plan.interval,
        interval_count=1,
        discount_percent=sub.discount_percent,
        discount_ends_at=sub.discount_ends,
        at=at,
    )


def _change(
    sub: _Sub,
    mrr_of: Callable[..., int],
    at: datetime,
    kind: str,
    *,
    status: str | None = None,
    plan: Any = None,
    quantity: int | None = None,
) -> None:
    before_status, before_plan, before_mrr = sub.status, sub.plan, sub.mrr
    if status is not None:
        sub.status = status
    if plan is not None:
        sub.plan = plan
    if quantity is not None:
        sub.quantity = quantity
    sub.mrr = _mrr(sub, mrr_of, at + timedelta(seconds=1))
    sub.changes.append(
        (at, kind, before_status, sub.status, before_plan, sub.plan, before_mrr, sub.mrr)
    )


def _history(
    rng: random.Random,
    person: Any,
    number: int,
    started: datetime,
    end: datetime | None,
    now: datetime,
    plans: dict[str, Any],
    mrr_of: Callable[..., int],
) -> _Sub:
    """One subscription from `started`, churning at `end` (None: still live at `now`)."""
    code = rng.choices(("basic", "premium", "premium_annual"), (4, 5, 1))[0]
    sub = _Sub(person, number, plans[code], started)
    if rng.random() < 0.12:  # a first-months discount that runs out
        sub.discount_percent = rng.choice((20, 50))
        sub.discount_ends = started + timedelta(days=rng.choice((30, 90)))
    _change(sub, mrr_of, started, "created", status="active")
    stop = end or now
    span = (stop - started).days
    events: list[tuple[datetime, str]] = []
    if sub.discount_ends and sub.discount_ends < stop:
        events.append((sub.discount_ends, "discount_ended"))
    if span > 20:
        for kind, chance in (
            ("upgraded", 0.15),
            ("downgraded", 0.07),
            ("quantity", 0.08),
            ("past_due", 0.05),
        ):
            if rng.random() < chance:
                at = started + timedelta(days=rng.randint(10, span - 5), hours=rng.randint(0, 23))
                events.append((at, kind))
                if kind == "past_due":
                    events.append((at + timedelta(days=rng.randint(2, 14)), "recovered"))
    for at, kind in sorted(events, key=lambda pair: pair[0]):
        if at >= stop:
            continue
        if kind == "discount_ended":
            _change(sub, mrr_of, at, "discount_ended")
        elif kind == "upgraded" and sub.plan.code == "basic":
            _change(sub, mrr_of, at, "upgraded", plan=plans["premium"])
        elif kind == "downgraded" and sub.plan.code == "premium":
            _change(sub, mrr_of, at, "downgraded", plan=plans["basic"])
        elif kind == "quantity":
            _change(sub, mrr_of, at, "upgraded", quantity=sub.quantity + rng.randint(1, 2))
        elif kind == "past_due" and sub.status == "active":
            _change(sub, mrr_of, at, "status_changed", status="past_due")
        elif kind == "recovered" and sub.status == "past_due":
            _change(sub, mrr_of, at, "status_changed", status="active")
    last = sub.changes[-1][0]
    if end is not None:
        asked = end - timedelta(days=rng.randint(1, 9))
        if rng.random() < 0.4 and asked > last:
            _change(sub, mrr_of, asked, "cancel_scheduled")
        sub.canceled = max(end, sub.changes[-1][0] + timedelta(minutes=1))
        _change(sub, mrr_of, sub.canceled, "canceled", status="canceled")
    elif rng.random() < 0.03:
        asked = now - timedelta(days=rng.randint(1, 9))
        if asked > last:
            sub.cancel_at_period_end = True
            _change(sub, mrr_of, asked, "cancel_scheduled")
    return sub


def billing_write(
    rng: random.Random,
    crowd: list[Any],
    now: datetime,
    plans: dict[str, Any],
    subscription_mrr: Callable[..., int],
    counts: dict[str, int],
) -> None:
    """people_world.generate's billing writer for the revenue benchmark."""
    subs: list[_Sub] = []
    for person in crowd:
        if rng.random() > 0.5:
            continue
        started = person.signup + timedelta(days=rng.randint(0, 14), hours=rng.randint(0, 23))
        if started > now - timedelta(hours=1):
            continue
        end = None
        if person.churn and person.churn < now - timedelta(days=3):
            end = min(person.churn + timedelta(days=rng.randint(0, 30)), now - timedelta(days=1))
        subs.append(_history(rng, person, 0, started, end, now, plans, subscription_mrr))
        if end is not None and rng.random() < 0.2 and end < now - timedelta(days=20):
            back = end + timedelta(days=rng.randint(10, max(11, (now - end).days - 5)))
            if back < now - timedelta(days=2):
                later = None if rng.random() < 0.7 else back + (now - back) * rng.random()
                if later is not None and later >= now - timedelta(days=1):
                    later = None
                subs.append(_history(rng, person, 1, back, later, now, plans, subscription_mrr))
        elif end is None and rng.random() < 0.04 and (now - started).days > 60:
            second = started + timedelta(days=rng.randint(20, (now - started).days - 10))
            cancel = second + (now - second) * rng.random() if rng.random() < 0.5 else None
            if cancel is not None and cancel >= now - timedelta(days=1):
                cancel = None
            subs.append(_history(rng, person, 2, second, cancel, now, plans, subscription_mrr))
    _subscriptions_write(subs, now)
    sub_ids = _ids("revenue_subscription", "provider_subscription_id", "id")
    _changes_write(subs, sub_ids)
    _customers_write(rng, subs, now)
    invoices, attempts = _payments_write(rng, subs, sub_ids, now)
    spend = _spend_write(rng, now)
    counts["subscriptions"] = len(subs)
    counts["subscription_changes"] = sum(len(sub.changes) for sub in subs)
    counts["invoices"], counts["payments"] = invoices, attempts
    counts["marketing_spend_rows"] = spend


def _fmt() -> Callable[[datetime], str]:
    return _datetime_pg if connection.vendor == "postgresql" else _datetime_sqlite


def _ids(table: str, key: str, pk: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, {pk} FROM {table}")  # noqa: S608
        return dict(cursor.fetchall())


def _subscriptions_write(subs: list[_Sub], now: datetime) -> None:
    fmt = _fmt()
    rows = []
    for sub in subs:
        period = sub.period_days()
        stop = sub.canceled or now
        periods = max(1, (stop - sub.started).days // period + 1)
        period_start = sub.started + timedelta(days=period * (periods - 1))
        last = sub.changes[-1][0]
        rows.append(
            (
                "stripe",
                sub.key,
                sub.person.id,
                sub.plan.id,
                sub.status,
                sub.plan.interval,
                1,
                sub.plan.amount,
                "usd",
                sub.quantity,
                sub.discount_percent,
                0,
                fmt(sub.discount_ends) if sub.discount_ends else None,
                sub.mrr,
                fmt(sub.started),
                None,
                None,
                fmt(period_start),
                fmt(period_start + timedelta(days=period)),
                sub.cancel_at_period_end,
                fmt(sub.canceled) if sub.canceled else None,
                fmt(sub.canceled) if sub.canceled else None,
                "",
                False,
                "{}",
                fmt(last),
                fmt(sub.started),
                fmt(last),
            )
        )
    columns = [
        "provider",
        "provider_subscription_id",
        "person_id",
        "plan_id",
        "status",
        "interval",
        "interval_count",
        "amount",
        "currency",
        "quantity",
        "discount_percent",
        "discount_amount",
        "discount_ends_at",
        "mrr_amount",
        "started_at",
        "trial_start",
        "trial_end",
        "current_period_start",
        "current_period_end",
        "cancel_at_period_end",
        "canceled_at",
        "ended_at",
        "cancellation_reason",
        "is_complimentary",
        "metadata",
        "source_updated_at",
        "created_at",
        "updated_at",
    ]
    for start in range(0, len(rows), CHUNK * 5):
        _copy_or_insert("revenue_subscription", columns, rows[start : start + CHUNK * 5])


def _changes_write(subs: list[_Sub], sub_ids: dict[str, int]) -> None:
    fmt = _fmt()
    rows = [
        (
            sub_ids[sub.key],
            sub.person.id,
            fmt(at),
            kind,
            from_status,
            to_status,
            from_plan.id if kind != "created" else None,
            to_plan.id,
            mrr_before,
            mrr_after,
            "usd",
        )
        for sub in subs
        for at, kind, from_status, to_status, from_plan, to_plan, mrr_before, mrr_after in (
            sub.changes
        )
    ]
    columns = [
        "subscription_id",
        "person_id",
        "occurred_at",
        "kind",
        "from_status",
        "to_status",
        "from_plan_id",
        "to_plan_id",
        "mrr_before",
        "mrr_after",
        "currency",
    ]
    for start in range(0, len(rows), CHUNK * 10):
        _copy_or_insert("revenue_subscriptionchange", columns, rows[start : start + CHUNK * 10])


def _customers_write(rng: random.Random, subs: list[_Sub], now: datetime) -> None:
    fmt = _fmt()
    seen: set[int] = set()
    rows = []
    for sub in subs:
        person_id = sub.person.id
        if person_id in seen:
            continue
        seen.add(person_id)
        expires = now + timedelta(days=rng.randint(-60, 900))
        rows.append(
            (
                person_id,
                "stripe",
                f"cus_r{person_id}",
                rng.choice(("visa", "mastercard", "amex")),
                f"{rng.randint(0, 9999):04d}",
                expires.month,
                expires.year,
                False,
                fmt(sub.started),
                fmt(sub.started),
            )
        )
    _copy_or_insert(
        "revenue_billingcustomer",
        [
            "person_id",
            "provider",
            "provider_customer_id",
            "card_brand",
            "card_last4",
            "card_exp_month",
            "card_exp_year",
            "livemode",
            "created_at",
            "updated_at",
        ],
        rows,
    )


def _mrr_at(sub: _Sub, at: datetime) -> tuple[int, str]:
    """The subscription's per-period charge basis and status at a moment (from its log)."""
    mrr, status = 0, "active"
    for change in sub.changes:
        if change[0] > at:
            break
        mrr, status = change[7], change[3]
    return mrr, status


def _payments_write(
    rng: random.Random, subs: list[_Sub], sub_ids: dict[str, int], now: datetime
) -> tuple[int, int]:
    """An invoice per billing period and its attempts (retries 3, 7, 14 days after a failure)."""
    fmt = _fmt()
    names = [code for code, _w in DECLINES]
    weights = [w for _c, w in DECLINES]
    invoices: list[tuple[Any, ...]] = []
    plans: list[tuple[int, str, int, list[tuple[datetime, str, str]]]] = []
    for sub in subs:
        period = sub.period_days()
        months = 12 if sub.plan.interval == "year" else 1
        stop = sub.canceled or now
        at, number = sub.started, 0
        while at < stop:
            mrr, status = _mrr_at(sub, at)
            amount = max(mrr * months, 0)
            outcome = "paid"
            tries: list[tuple[datetime, str, str]] = []
            fails = status == "past_due" or rng.random() < 0.05
            if fails:
                code = rng.choices(names, weights)[0]
                tries.append((at, "failed", code))
                recovered = rng.random() < 0.6 and code not in ("stolen_card", "fraudulent")
                for retry_day in (3, 7, 14):
                    moment = at + timedelta(days=retry_day)
                    if moment >= now:
                        outcome = "open"
                        break
                    if recovered and rng.random() < 0.6:
                        tries.append((moment, "succeeded", ""))
                        break
                    tries.append((moment, "failed", code))
                else:
                    outcome = "uncollectible"
                if tries[-1][1] == "succeeded":
                    outcome = "paid"
            else:
                tries.append((at, "succeeded", ""))
            key = f"in_{sub.key}_{number}"
            paid = tries[-1][0] if outcome == "paid" else None
            invoices.append(
                (
                    key,
                    sub.person.id,
                    sub_ids[sub.key],
                    f"R-{sub.person.id}-{number}",
                    outcome,
                    "subscription_cycle" if number else "subscription_create",
                    "usd",
                    amount,
                    0,
                    0,
                    amount,
                    amount,
                    amount if paid else 0,
                    0,
                    fmt(at),
                    fmt(at + timedelta(days=period)),
                    fmt(at),
                    fmt(at),
                    fmt(paid) if paid else None,
                    None,
                    len(tries),
                    None,
                    "",
                    fmt(at),
                    fmt(at),
                    fmt(at),
                )
            )
            plans.append((sub_ids[sub.key], key, amount, tries))
            at += timedelta(days=period)
            number += 1
    columns = [
        "provider_invoice_id",
        "person_id",
        "subscription_id",
        "number",
        "status",
        "billing_reason",
        "currency",
        "subtotal",
        "discount",
        "tax",
        "total",
        "amount_due",
        "amount_paid",
        "amount_refunded",
        "period_start",
        "period_end",
        "issued_at",
        "due_at",
        "paid_at",
        "voided_at",
        "attempt_count",
        "next_payment_attempt_at",
        "hosted_invoice_url",
        "source_updated_at",
        "created_at",
        "updated_at",
    ]
    for start in range(0, len(invoices), CHUNK * 10):
        _copy_or_insert("revenue_invoice", columns, invoices[start : start + CHUNK * 10])
    invoice_ids = _ids("revenue_invoice", "provider_invoice_id", "id")
    person_of = {row[0]: row[1] for row in invoices}
    attempts = []
    for sub_id, key, amount, tries in plans:
        for number, (at, status, code) in enumerate(tries, start=1):
            attempts.append(
                (
                    f"ch_{key}_{number}",
                    person_of[key],
                    invoice_ids[key],
                    sub_id,
                    amount,
                    "usd",
                    0,
                    status,
                    "card_declined" if code else "",
                    code,
                    "Your card was declined." if code else "",
                    number,
                    fmt(at),
                    None,
                    "visa",
                    "4242",
                    fmt(at),
                    fmt(at),
                )
            )
    columns = [
        "provider_attempt_id",
        "person_id",
        "invoice_id",
        "subscription_id",
        "amount",
        "currency",
        "amount_refunded",
        "status",
        "failure_code",
        "decline_code",
        "failure_message",
        "attempt_number",
        "attempted_at",
        "next_retry_at",
        "card_brand",
        "card_last4",
        "created_at",
        "updated_at",
    ]
    for start in range(0, len(attempts), CHUNK * 10):
        _copy_or_insert("revenue_paymentattempt", columns, attempts[start : start + CHUNK * 10])
    return len(invoices), len(attempts)


def _spend_write(rng: random.Random, now: datetime) -> int:
    from opsroom.revenue.models import MarketingSpend

    month = date(now.year - 2, now.month, 1)
    rows = []
    while month <= now.date():
        for channel in CHANNELS:
            if channel == "organic":
                continue
            rows.append(
                MarketingSpend(
                    channel=channel,
                    month=month,
                    amount=rng.randint(200_000, 2_000_000),
                    currency="usd",
                )
            )
        month = (month + timedelta(days=32)).replace(day=1)
    MarketingSpend.objects.bulk_create(rows)
    return len(rows)
