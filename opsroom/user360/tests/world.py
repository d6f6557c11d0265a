"""A demo-like person with everything the User 360 page shows, built through the services."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opsroom.core import clock
from opsroom.experiments.services import exposure_record_many, flag_upsert_many
from opsroom.messaging.models import EmailMessage, EmailSequence, SequenceEnrollment
from opsroom.people.models import Person
from opsroom.people.services import EventData, event_record_many, person_upsert
from opsroom.revenue.services import billing_customer_upsert_many, payment_attempt_upsert_many
from opsroom.revenue.tests.factories import PlanFactory, SubscriptionFactory
from opsroom.support.tests.factories import TicketFactory
from opsroom.telemetry.services import api_request_record_many, error_event_record_many


def events(person: Person, days_ago: list[int], names: list[str], now: datetime) -> None:
    """Record events named `names` on each of the given days before now (UTC, 10:00)."""
    base = now.replace(hour=10, minute=0, second=0, microsecond=0)
    event_record_many(
        events=[
            EventData(
                person_external_id=person.external_id,
                name=name,
                occurred_at=base - timedelta(days=day),
                idempotency_key=f"{person.external_id}-{day}-{name}-{index}",
            )
            for day in days_ago
            for index, name in enumerate(names)
        ]
    )


def errors(person: Person | None, count: int, now: datetime, **fields: Any) -> None:
    rows = []
    for index in range(count):
        owner = person.pk if person else "x"
        key = f"{fields.get('fingerprint', 'fp')}-{owner}-{index}-{fields.get('release', '')}"
        rows.append(
            {
                "event_id": key,
                "fingerprint": "recipe-generate-timeout",
                "issue_id": "4711",
                "title": "TimeoutError: recipe generation took longer than 30s",
                "level": "error",
                "endpoint": "POST /api/recipes/generate",
                "release": "2026.11.1",
                "person_id": person.pk if person else None,
                "occurred_at": now - timedelta(hours=3 + index),
                **fields,
            }
        )
    error_event_record_many(rows=rows)


@dataclass
class World:
    person: Person
    now: datetime


def jane(now: datetime | None = None) -> World:
    """Jane: a Premium subscriber with kids, slipping away, three errors this week."""
    now = now or clock.now()
    person = person_upsert(
        external_id="jane-1",
        email="jane@example.com",
        name="Jane Doe",
        signed_up_at=now - timedelta(days=127),
        acquisition_channel="organic",
        attributes={"kids": [{"name": "Emma", "age": 5}, {"name": "Lucas", "age": 3}]},
    )
    plan = PlanFactory(
        provider_price_id="price_premium", code="premium", name="Premium", tier="premium"
    )
    SubscriptionFactory(
        person=person,
        plan=plan,
        provider_subscription_id="sub_jane",
        started_at=now - timedelta(days=120),
        current_period_start=now - timedelta(days=25),
        current_period_end=now + timedelta(days=5),
    )
    billing_customer_upsert_many(
        rows=[
            {
                "provider_customer_id": "cus_jane",
                "person_id": person.pk,
                "card_brand": "visa",
                "card_last4": "4242",
            }
        ]
    )
    payment_attempt_upsert_many(
        rows=[
            {
                "provider_attempt_id": f"ch_jane_{month}",
                "person_id": person.pk,
                "amount": 2900,
                "currency": "usd",
                "status": "succeeded",
                "attempted_at": now - timedelta(days=25 + 30 * month),
                "card_brand": "visa",
                "card_last4": "4242",
            }
            for month in range(4)
        ]
    )
    # Daily user for weeks, then nothing for the last 8 days.
    events(person, list(range(8, 50)), ["login", "meal_plan_viewed"], now)
    events(person, list(range(8, 50, 3)), ["meal_plan_created"], now)
    errors(person, 3, now)
    resolved: Any = TicketFactory(
        requester=person,
        subject="Can't add recipes",
        status="solved",
        created_at=now - timedelta(days=20),
    )
    resolved.resolved_at = resolved.created_at + timedelta(hours=4)
    resolved.save(update_fields=["resolved_at"])
    flags = flag_upsert_many(
        rows=[
            {
                "key": "new_recipe_ui",
                "variants": [{"key": "on", "weight": 1}],
                "rollout_percent": 100,
            },
            {
                "key": "ai_coach_v2",
                "variants": [{"key": "on", "weight": 1}],
                "rollout_percent": 100,
            },
            {
                "key": "grocery_integration",
                "variants": [{"key": "on", "weight": 1}],
                "rollout_percent": 0,
            },
        ]
    ).by_key
    exposure_record_many(
        rows=[
            (person.pk, flags["new_recipe_ui"].pk, "on", now - timedelta(days=30)),
            (person.pk, flags["ai_coach_v2"].pk, "on", now - timedelta(days=12)),
            (person.pk, flags["grocery_integration"].pk, "off", now - timedelta(days=12)),
        ]
    )
    api_request_record_many(
        rows=[
            {
                "request_id": "req-jane-1",
                "person_id": person.pk,
                "method": "POST",
                "route": "/api/recipes/generate",
                "path": "/api/recipes/generate",
                "status": 504,
                "duration_ms": 30012.0,
                "request_body": '{"prompt": "pasta", "password": "hunter2"}',
                "response_body": '{"error": "timeout"}',
                "user_agent": "LittleBites/5.26.0 (iPhone; iOS 17.2; Scale/3.00)",
                "occurred_at": now - timedelta(hours=3),
            }
        ]
    )
    sequence = EmailSequence.objects.create(
        key="onboarding", name="Onboarding", steps=[{"template": "t", "delay_days": 0}] * 3
    )
    SequenceEnrollment.objects.create(
        person=person, sequence=sequence, steps_sent=3, status="completed"
    )
    EmailMessage.objects.create(
        person=person,
        to_email=person.email,
        subject="Welcome to meal plans",
        status="opened",
        created_at=now - timedelta(days=100),
        sequence=sequence,
    )
    return World(person=person, now=now)
