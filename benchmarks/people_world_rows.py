"""The rows around the people in the benchmark data set: billing, support, telemetry, flags
and emails (see people_world.py)."""

from datetime import datetime, timedelta
from typing import Any

from django.db import connection

from benchmarks.people_world import (
    CHUNK,
    ENDPOINTS,
    _copy_or_insert,
    _datetime_pg,
    _datetime_sqlite,
)


def billing_write(rng, crowd, now, plans, subscription_mrr, counts):
    from opsroom.revenue.models import (
        BillingCustomer,
        PaymentAttempt,
        Subscription,
        SubscriptionChange,
    )

    subs, customers, attempts = [], [], []
    for person in crowd:
        if rng.random() > 0.45:
            continue
        code = rng.choices(("basic", "premium", "premium_annual"), (4, 5, 1))[0]
        plan = plans[code]
        started = person.signup + timedelta(days=rng.randint(0, 14))
        if started > now:
            continue
        status = "active"
        ended = None
        if person.churn and person.churn < now - timedelta(days=3):
            status, ended = "canceled", person.churn + timedelta(days=rng.randint(0, 30))
            ended = min(ended, now - timedelta(days=1))
        elif rng.random() < 0.05:
            status = "past_due"
        period_days = 365 if plan.interval == "year" else 30
        periods = max(1, (min(ended or now, now) - started).days // period_days + 1)
        period_start = started + timedelta(days=period_days * (periods - 1))
        mrr = subscription_mrr(
            status=status, amount=plan.amount, quantity=1, interval=plan.interval, interval_count=1
        )
        person.sub = f"sub_b{person.id}"
        subs.append(
            Subscription(
                provider_subscription_id=person.sub,
                person_id=person.id,
                plan=plan,
                status=status,
                interval=plan.interval,
                amount=plan.amount,
                mrr_amount=mrr,
                started_at=started,
                current_period_start=period_start,
                current_period_end=period_start + timedelta(days=period_days),
                canceled_at=ended,
                ended_at=ended,
                source_updated_at=ended or started,
                created_at=started,
            )
        )
        customers.append(
            BillingCustomer(
                person_id=person.id,
                provider_customer_id=f"cus_b{person.id}",
                card_brand=rng.choice(("visa", "mastercard", "amex")),
                card_last4=f"{rng.randint(0, 9999):04d}",
            )
        )
        for number in range(min(periods, 8)):
            at = started + timedelta(days=period_days * (periods - 1 - number))
            failed = rng.random() < 0.06 or (status == "past_due" and number == 0)
            attempts.append(
                PaymentAttempt(
                    provider_attempt_id=f"ch_b{person.id}_{number}",
                    person_id=person.id,
                    amount=plan.amount,
                    status="failed" if failed else "succeeded",
                    attempted_at=at,
                    decline_code="insufficient_funds" if failed else "",
                    card_brand="visa",
                    card_last4="4242",
                )
            )
    Subscription.objects.bulk_create(subs, batch_size=CHUNK)
    by_id = dict(Subscription.objects.values_list("provider_subscription_id", "id"))
    changes = []
    for sub in subs:
        sid = by_id[sub.provider_subscription_id]
        changes.append(
            SubscriptionChange(
                subscription_id=sid,
                person_id=sub.person_id,
                occurred_at=sub.started_at,
                kind="created",
                to_status="active",
                to_plan=sub.plan,
                mrr_after=sub.amount if sub.interval == "month" else sub.amount // 12,
            )
        )
        if sub.status == "canceled":
            changes.append(
                SubscriptionChange(
                    subscription_id=sid,
                    person_id=sub.person_id,
                    occurred_at=sub.ended_at,
                    kind="canceled",
                    from_status="active",
                    to_status="canceled",
                    from_plan=sub.plan,
                    to_plan=sub.plan,
                    mrr_before=sub.amount if sub.interval == "month" else sub.amount // 12,
                )
            )
    SubscriptionChange.objects.bulk_create(changes, batch_size=CHUNK)
    BillingCustomer.objects.bulk_create(customers, batch_size=CHUNK)
    PaymentAttempt.objects.bulk_create(attempts, batch_size=CHUNK)
    counts["subscriptions"], counts["payments"] = len(subs), len(attempts)


def support_write(rng, crowd, now, counts):
    from opsroom.support.models import Ticket

    tickets = []
    for person in crowd:
        if rng.random() > 0.08:
            continue
        for _ in range(rng.randint(1, 3)):
            opened = person.signup + timedelta(
                days=rng.randint(0, max(1, (now - person.signup).days))
            )
            opened = min(opened, now - timedelta(hours=1))
            solved = rng.random() < 0.85 and opened < now - timedelta(days=1)
            tickets.append(
                Ticket(
                    requester_id=person.id,
                    subject=rng.choice(
                        (
                            "Recipe won't save",
                            "Charged twice",
                            "How do I add a kid?",
                            "Cancel my plan",
                            "App crashes on login",
                        )
                    ),
                    body="…",
                    status="solved" if solved else rng.choice(("new", "open", "pending")),
                    category=rng.choice(("bug", "billing", "how_to", "cancellation")),
                    created_at=opened,
                    updated_at=opened,
                    resolved_at=opened + timedelta(hours=rng.randint(1, 72)) if solved else None,
                )
            )
    Ticket.objects.bulk_create(tickets, batch_size=CHUNK)
    from opsroom.support.services.sla import tickets_sla_backfill

    tickets_sla_backfill()  # written past the services: store their SLA as those would
    counts["tickets"] = len(tickets)


def _releases(now: datetime) -> list[tuple[str, datetime]]:
    return [(f"2026.{week:02d}", now - timedelta(days=7 * (80 - week))) for week in range(1, 81)]


def telemetry_write(rng, crowd, now, counts):
    from opsroom.telemetry.models import ApiRequest, ErrorEvent

    releases = _releases(now)
    fingerprints = [f"fp-{n:02d}" for n in range(40)]
    fmt = _datetime_pg if connection.vendor == "postgresql" else _datetime_sqlite
    errors: list[tuple[Any, ...]] = []
    calls: list[tuple[Any, ...]] = []
    recent = [p for p in crowd if p.churn is None]
    for number in range(len(crowd) * 2):
        person = rng.choice(crowd)
        at = min(now, person.signup + (now - person.signup) * rng.random())
        release = next((name for name, start in reversed(releases) if start <= at), releases[0][0])
        fp = fingerprints[min(int(rng.expovariate(0.25)), 39)]
        errors.append(
            (
                f"eb{number}",
                fp,
                f"{fp}-issue",
                f"Error {fp}: something failed",
                "",
                "error",
                ENDPOINTS[int(fp[-2:]) % len(ENDPOINTS)],
                release,
                "production",
                person.id,
                fmt(at),
                "{}",
                fmt(now),
            )
        )
    for number in range(len(crowd) * 3):
        person = rng.choice(recent) if recent else rng.choice(crowd)
        at = now - timedelta(seconds=rng.randrange(2 * 86400))
        status = rng.choices((200, 201, 400, 404, 500, 504), (80, 8, 4, 4, 2, 2))[0]
        calls.append(
            (
                f"rb{number}",
                person.id,
                rng.choice(("GET", "POST")),
                rng.choice(ENDPOINTS).split(" ")[1],
                "",
                status,
                rng.uniform(5, 900),
                rng.randint(1, 40),
                None,
                '{"q": "pasta"}',
                '{"ok": true}',
                "",
                releases[-1][0],
                fmt(at),
                fmt(now),
            )
        )
    _copy_or_insert(
        ErrorEvent._meta.db_table,
        [
            "event_id",
            "fingerprint",
            "issue_id",
            "title",
            "message",
            "level",
            "endpoint",
            "release",
            "environment",
            "person_id",
            "occurred_at",
            "tags",
            "received_at",
        ],
        errors,
    )
    _copy_or_insert(
        ApiRequest._meta.db_table,
        [
            "request_id",
            "person_id",
            "method",
            "route",
            "path",
            "status",
            "duration_ms",
            "query_count",
            "db_time_ms",
            "request_body",
            "response_body",
            "user_agent",
            "release",
            "occurred_at",
            "received_at",
        ],
        calls,
    )
    counts["errors"], counts["api_requests"] = len(errors), len(calls)


def flags_emails_write(rng, crowd, now, counts):
    from opsroom.experiments.models import Exposure, FeatureFlag
    from opsroom.messaging.models import EmailMessage

    flags = [
        FeatureFlag.objects.create(
            key=key, variants=[{"key": "on", "weight": 1}], rollout_percent=percent
        )
        for key, percent in (
            ("new_recipe_ui", 100),
            ("ai_coach_v2", 50),
            ("grocery_integration", 10),
            ("weekly_digest", 80),
        )
    ]
    exposures = [
        Exposure(
            person_id=p.id,
            flag=flag,
            variant="on" if rng.random() < flag.rollout_percent / 100 else "off",
            first_exposed_at=p.signup,
            last_exposed_at=now - timedelta(days=rng.randint(0, 30)),
        )
        for p in crowd
        if rng.random() < 0.5
        for flag in flags
    ]
    Exposure.objects.bulk_create(exposures, batch_size=CHUNK)
    emails = [
        EmailMessage(
            person_id=p.id,
            to_email="x@example.org",
            subject="Welcome to meal plans",
            status=rng.choice(("delivered", "opened", "clicked")),
            created_at=p.signup + timedelta(hours=1),
        )
        for p in crowd
        if rng.random() < 0.3
    ]
    EmailMessage.objects.bulk_create(emails, batch_size=CHUNK)
    counts["exposures"], counts["emails"] = len(exposures), len(emails)
