"""The concurrency drill: processes posting overlapping event batches to a real server, then a
check that the database holds exactly what was sent (nothing lost, nothing doubled, rollups
and last-seen exact). Used by the test suite (a few seconds) and by `make bench` (a minute).
"""

import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 5, tzinfo=UTC)


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="load-test-only-not-a-secret",  # noqa: S106
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        OPSROOM_LOG_LEVEL="WARNING",
        OPSROOM_DATA_DIR=str(data_dir),
        PYTHONWARNINGS="ignore:No directory at",
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(env: dict[str, str], workers: int) -> Iterator[int]:
    """Opsroom under gunicorn on a free port; stopped afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(workers)),
            *("-b", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/health/")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def batch_pool(batches: int, size: int, *, users: int, seed: int) -> list[list[dict[str, Any]]]:
    """Batches of events where each batch shares half its events with the next one."""
    rng = random.Random(seed)
    step = size // 2
    total = step * (batches + 1)
    events = [
        {
            "user_id": f"load-{rng.randrange(users)}",
            "name": rng.choice(["login", "recipe_saved", "search", "plan_created"]),
            "occurred_at": (START + timedelta(seconds=rng.randrange(20 * 86400))).isoformat(),
            "properties": {"n": i},
            # Every third event has no key: it is deduplicated by its content.
            **({} if i % 3 == 0 else {"idempotency_key": f"load-{seed}-{i}"}),
        }
        for i in range(total)
    ]
    return [events[i * step : i * step + size] for i in range(batches)]


def _client(port: int, key: str, bodies: list[bytes], order: list[int], deadline: float) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    posted: list[int] = []
    statuses: Counter[int] = Counter()
    position = 0
    while time.monotonic() < deadline or not posted:
        index = order[position % len(order)]
        position += 1
        connection.request(
            "POST",
            "/api/v1/ingest/events",
            body=bodies[index],
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read()
        statuses[response.status] += 1
        if response.status == 200:
            posted.append(index)
    return posted, dict(statuses)


@dataclass
class LoadResult:
    posted: set[int]
    statuses: Counter[int]
    requests: int
    seconds: float


def run_clients(
    port: int, key: str, pool: list[list[dict[str, Any]]], *, processes: int, seconds: float
) -> LoadResult:
    """`processes` client processes post the pool's batches, each in its own order."""
    bodies = [json.dumps(batch).encode() for batch in pool]
    deadline = time.monotonic() + seconds
    orders = []
    for number in range(processes):
        order = list(range(len(pool)))
        random.Random(number).shuffle(order)
        orders.append(order)
    began = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as workers:
        results = workers.starmap(
            _client, [(port, key, bodies, order, deadline) for order in orders]
        )
    result = LoadResult(set(), Counter(), 0, time.perf_counter() - began)
    for posted, statuses in results:
        result.posted.update(posted)
        result.statuses.update(statuses)
        result.requests += sum(statuses.values())
    return result


def _content_key(event: dict[str, Any]) -> tuple[str, str, str, str]:
    return (event["user_id"], event["name"], event["occurred_at"], json.dumps(event["properties"]))


def expected_state(pool: list[list[dict[str, Any]]], posted: set[int]) -> dict[str, Any]:
    """What the database must hold after the posted batches, each event counted once."""
    unique: dict[Any, dict[str, Any]] = {}
    for index in posted:
        for event in pool[index]:
            unique[event.get("idempotency_key") or _content_key(event)] = event
    activity: Counter[tuple[str, str, str]] = Counter()
    last_seen: dict[str, datetime] = {}
    for event in unique.values():
        moment = datetime.fromisoformat(event["occurred_at"])
        activity[(event["user_id"], moment.date().isoformat(), event["name"])] += 1
        last_seen[event["user_id"]] = max(last_seen.get(event["user_id"], moment), moment)
    return {"events": len(unique), "activity": dict(activity), "last_seen": last_seen}


def _connect(database_url: str) -> Any:
    if database_url.startswith("sqlite"):
        return sqlite3.connect(urlparse(database_url).path)
    import psycopg

    return psycopg.connect(database_url)


def stored_state(database_url: str) -> dict[str, Any]:
    """What the database holds, in the same shape as `expected_state`."""
    with _connect(database_url) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*), count(DISTINCT idempotency_key) FROM people_event")
        events, distinct = cursor.fetchone()
        cursor.execute(
            "SELECT p.external_id, a.day, a.name, a.count FROM people_activitydaily a "
            "JOIN people_person p ON p.id = a.person_id"
        )
        activity = {(user, str(day), name): count for user, day, name, count in cursor.fetchall()}
        cursor.execute(
            "SELECT external_id, last_seen_at FROM people_person WHERE last_seen_at IS NOT NULL"
        )
        last_seen = {}
        for user, at in cursor.fetchall():
            if isinstance(at, str):  # SQLite: naive UTC text
                at = datetime.fromisoformat(at).replace(tzinfo=UTC)
            last_seen[user] = at
    return {"events": events, "distinct": distinct, "activity": activity, "last_seen": last_seen}


def problems(expected: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """Every way the stored state differs from the expected one (empty when exact)."""
    found = []
    if stored["events"] != expected["events"]:
        found.append(f"{stored['events']} events stored, {expected['events']} sent")
    if stored["distinct"] != stored["events"]:
        found.append("an idempotency key is stored twice")
    if stored["activity"] != expected["activity"]:
        wrong = set(stored["activity"].items()) ^ set(expected["activity"].items())
        found.append(f"{len(wrong)} daily activity counts differ")
    if stored["last_seen"] != expected["last_seen"]:
        found.append("last-seen times differ")
    return found


def api_key(env: dict[str, str]) -> str:
    """An ingest key, created in the database the environment names."""
    script = (
        "import django; django.setup()\n"
        "from opsroom.core.models import User\n"
        "from opsroom.core.services.apikeys import api_key_create\n"
        "from opsroom.core.services.audit import AuditContext\n"
        "user, _ = User.objects.get_or_create(username='load', defaults={'is_staff': True})\n"
        "audit = AuditContext(actor=user, label='load')\n"
        "print(api_key_create(name='load', scopes=['ingest'], audit=audit).raw_key)\n"
    )
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()
