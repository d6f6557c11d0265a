"""A fast, deterministic data set for the people benchmarks: N people, ~101 events each.

Only for benchmarking: it writes rows in bulk (events and daily rollups by executemany on
SQLite and COPY on PostgreSQL) instead of through the services, so 10 million events take
minutes, not hours. The shapes follow the demo world: a meal-planning app with plans,
subscriptions and churn, payments with failures, tickets, errors concentrated on a few
endpoints and releases, API calls of the last two days, flags with exposures, and emails.
"""

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction

FIRST = (  # noqa: SIM905
    "Jane John Maria Ahmed Wei Olga Lucas Emma Noah Mia Liam Ava Ethan Sofia Mateo Chloe "
    "Arjun Fatima Yuki Omar Lena Ivan Zoe Hugo Nora Leo Isla Kai Amara Elias Priya Diego "
    "Hana Tomas Ines Felix Aisha Jonas Clara Marco Sara Pablo Ella Rafael Nina Oscar Alice "
    "Samuel Grace"
).split()
LAST = (  # noqa: SIM905
    "Doe Smith Garcia Khan Chen Ivanova Martin Brown Muller Rossi Silva Kim Nguyen Lopez "
    "Dubois Novak Jensen Costa Patel Wilson Tanaka Ali Cohen Schmidt Moreau Romano Hughes "
    "Rivera Okafor Larsen Fischer Bianchi Santos Walker Park Haddad Kowalski Dupre Nakamura "
    "Bauer Ferreira Andersson Yilmaz Murphy Reyes Fontaine Weber Sato Evans Clarke"
).split()
DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "example.org")
# (event name, weight among non-login events)
EVENTS = (
    ("meal_plan_viewed", 30),
    ("meal_plan_created", 10),
    ("recipe_added", 12),
    ("recipe_viewed", 20),
    ("food_attempt_logged", 14),
    ("grocery_list_created", 5),
    ("meal_plan_template_used", 3),
    ("kid_profile_updated", 2),
    ("shopping_item_checked", 8),
    ("app_open", 25),
)
ENDPOINTS = (
    "POST /api/recipes/generate",
    "GET /api/meal-plans",
    "POST /api/meal-plans",
    "GET /api/recipes/{id}",
    "POST /api/food-attempts",
    "GET /api/grocery-lists",
)
CHUNK = 2000


def _datetime_sqlite(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _datetime_pg(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f+00")


def _copy_or_insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: COPY is far faster than INSERT
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


class _Person:
    __slots__ = ("active_days", "churn", "id", "index", "signup", "sub")

    def __init__(self, index: int, signup: datetime) -> None:
        self.index = index
        self.signup = signup
        self.id = 0
        self.active_days: list[int] = []
        self.churn: datetime | None = None
        self.sub: str = ""


def _people(rng: random.Random, count: int, now: datetime, days: int = 540) -> list[_Person]:
    people = []
    for index in range(count):
        # Signups grow over `days` (18 months): more recent ones are likelier.
        age = int(days * (1 - rng.random() ** 0.7))
        people.append(_Person(index, now - timedelta(days=age, seconds=rng.randrange(86400))))
    return people


def _activity_plan(rng: random.Random, person: _Person, now: datetime, per_person: int) -> None:
    span = max(1, (now - person.signup).days)
    lifetime = span
    if rng.random() < 0.55:  # most people stop using the app at some point
        lifetime = max(1, int(span * rng.random() ** 1.5))
        person.churn = person.signup + timedelta(days=lifetime)
    wanted_days = max(1, min(lifetime, int(rng.expovariate(1 / (per_person / 3.3)))))
    days = sorted(rng.sample(range(lifetime), wanted_days)) if lifetime > 1 else [0]
    person.active_days = days


def generate(
    *,
    people: int,
    seed: int = 7,
    per_person: int = 103,
    days: int = 540,
    billing: Any = None,
) -> dict[str, int]:
    """Write the data set into the empty database; return row counts. `days`: how far back
    signups go; `billing`: another writer of the billing rows (benchmarks/revenue_world.py)
    with billing_write's arguments."""
    from django.contrib.auth import get_user_model

    from opsroom.core import clock
    from opsroom.people.models import Person, person_search_text
    from opsroom.revenue.models import Plan
    from opsroom.revenue.mrr import subscription_mrr

    rng = random.Random(seed)
    now = clock.now().replace(microsecond=0)
    counts: dict[str, int] = defaultdict(int)
    crowd = _people(rng, people, now, days)
    with transaction.atomic():
        plans = {
            code: Plan.objects.create(
                provider_price_id=f"price_{code}",
                code=code,
                name=name,
                tier=tier,
                interval=interval,
                amount=amount,
            )
            for code, name, tier, interval, amount in (
                ("basic", "Basic", "basic", "month", 900),
                ("premium", "Premium", "premium", "month", 2900),
                ("premium_annual", "Premium annual", "premium", "year", 29000),
            )
        }
        rows = []
        for person in crowd:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first.lower()}.{last.lower()}{person.index}@{rng.choice(DOMAINS)}"
            kids = [
                {"name": rng.choice(FIRST), "age": rng.randint(1, 12)}
                for _ in range(rng.randint(0, 3))
            ]
            rows.append(
                Person(
                    external_id=f"u{person.index:06d}",
                    email=email,
                    name=f"{first} {last}",
                    signed_up_at=person.signup,
                    acquisition_channel=rng.choice(("organic", "ads", "referral", "social")),
                    is_vip=rng.random() < 0.01,
                    attributes={"kids": kids} if kids else {},
                    search_text=person_search_text(
                        email=email, name=f"{first} {last}", external_id=f"u{person.index:06d}"
                    ),
                    created_at=person.signup,
                    updated_at=person.signup,
                )
            )
        Person.objects.bulk_create(rows, batch_size=CHUNK)
        ids = dict(Person.objects.values_list("external_id", "id"))
        for person in crowd:
            person.id = ids[f"u{person.index:06d}"]
        counts["people"] = len(crowd)
    for start in range(0, len(crowd), CHUNK):
        with transaction.atomic():
            _events_write(rng, crowd[start : start + CHUNK], now, per_person, counts)
    from benchmarks.people_world_rows import (
        billing_write,
        flags_emails_write,
        support_write,
        telemetry_write,
    )

    with transaction.atomic():
        (billing or billing_write)(rng, crowd, now, plans, subscription_mrr, counts)
        support_write(rng, crowd, now, counts)
        telemetry_write(rng, crowd, now, counts)
        flags_emails_write(rng, crowd, now, counts)
        User = get_user_model()
        User.objects.create_superuser("bench", "bench@example.com", "bench-password-0")
    return dict(counts)


def _events_write(
    rng: random.Random, chunk: list[_Person], now: datetime, per_person: int, counts: dict[str, int]
) -> None:
    names = [name for name, _w in EVENTS]
    weights = [w for _n, w in EVENTS]
    fmt = _datetime_pg if connection.vendor == "postgresql" else _datetime_sqlite
    received = fmt(now)
    events: list[tuple[Any, ...]] = []
    activity: list[tuple[Any, ...]] = []
    last_seen: list[tuple[str, int]] = []
    for person in chunk:
        _activity_plan(rng, person, now, per_person)
        per_day = max(1.0, per_person / max(1, len(person.active_days)))
        last = None
        for day in person.active_days:
            moment = person.signup + timedelta(days=day)
            if moment > now:
                break
            count = max(1, int(rng.expovariate(1 / per_day)))
            todays: dict[str, int] = {"login": 1}
            stamps = [moment + timedelta(seconds=rng.randrange(3600 * 6)) for _ in range(count)]
            stamps = [s for s in stamps if s <= now] or [moment]
            events.append(
                (
                    person.id,
                    "login",
                    fmt(stamps[0]),
                    "{}",
                    "bench",
                    f"b{person.id}-{day}-0",
                    received,
                )
            )
            for number, stamp in enumerate(stamps[1:], start=1):
                name = rng.choices(names, weights)[0]
                todays[name] = todays.get(name, 0) + 1
                events.append(
                    (
                        person.id,
                        name,
                        fmt(stamp),
                        "{}",
                        "bench",
                        f"b{person.id}-{day}-{number}",
                        received,
                    )
                )
            day_text = moment.date().isoformat()
            activity.extend((person.id, day_text, name, n) for name, n in todays.items())
            last = max(stamps)
        if last is not None:
            last_seen.append((fmt(last), person.id))
    _copy_or_insert(
        "people_event",
        [
            "person_id",
            "name",
            "occurred_at",
            "properties",
            "source",
            "idempotency_key",
            "received_at",
        ],
        events,
    )
    _copy_or_insert("people_activitydaily", ["person_id", "day", "name", "count"], activity)
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE people_person SET last_seen_at = %s WHERE id = %s", last_seen)
    counts["events"] += len(events)
    counts["activity_rows"] += len(activity)


def sample_people(*, count: int, seed: int = 11) -> Iterator[int]:
    """Ids of people to look at: recently active ones first (what operators open most)."""
    from opsroom.people.models import Person

    rng = random.Random(seed)
    active = list(
        Person.objects.filter(last_seen_at__isnull=False)
        .order_by("-last_seen_at")
        .values_list("id", flat=True)[:5000]
    )
    for _ in range(count):
        yield rng.choice(active)


def meta_dump(counts: dict[str, int], now: datetime) -> str:
    return json.dumps({"counts": counts, "now": now.astimezone(UTC).isoformat()})
