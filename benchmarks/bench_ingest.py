"""Ingestion figures: events/s through the HTTP batch API (a real gunicorn server), the import
command against a raw bulk insert of the same rows, and the import's memory on a large file.

Each database is a throwaway: a fresh SQLite file under var/bench/, and the PostgreSQL database
named by OPSROOM_BENCH_DATABASE_URL with its schema dropped and migrated again.
The work that needs Django runs in subprocesses (`python -m benchmarks.bench_ingest ...`), each
pointed at one database by DATABASE_URL.
"""

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.registry import suite, table

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PYTHON = sys.executable
EVENT_NAMES = [
    "login",
    "recipe_viewed",
    "recipe_saved",
    "meal_plan_created",
    "grocery_list_exported",
    "search",
    "kid_profile_updated",
    "share_clicked",
    "settings_changed",
    "logout",
]
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Database:
    label: str
    url: str

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def env(self) -> dict[str, str]:
        from benchmarks.ingest_load import server_env

        return server_env(self.url, BENCH_DIR)

    def reset(self) -> None:
        """Start from an empty, migrated database."""
        if self.is_sqlite:
            path = Path(self.url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            self.run("-c", _RESET_POSTGRES)
        self.manage("migrate", "--noinput", "-v0")

    def run(self, *args: str, quiet: bool = True) -> str:
        result = subprocess.run(
            [PYTHON, *args],
            cwd=ROOT,
            env=self.env(),
            check=True,
            capture_output=quiet,
            text=True,
        )
        return result.stdout if quiet else ""

    def manage(self, *args: str) -> str:
        return self.run("manage.py", *args)

    def worker(self, *args: str) -> str:
        return self.run("-m", "benchmarks.bench_ingest", *args)


_RESET_POSTGRES = """
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    conn.execute("DROP SCHEMA public CASCADE")
    conn.execute("CREATE SCHEMA public")
"""


def databases() -> list[Database]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    found = [Database("SQLite", f"sqlite:///{BENCH_DIR / 'ingest.sqlite3'}")]
    url = os.environ.get("OPSROOM_BENCH_DATABASE_URL")
    if url:
        found.append(Database("PostgreSQL", url))
    else:
        print("OPSROOM_BENCH_DATABASE_URL is not set: PostgreSQL runs skipped.\n")
    return found


def events(count: int, *, users: int, seed: int, prefix: str) -> Iterator[dict[str, object]]:
    """Deterministic product events of `users` people over 60 days."""
    rng = random.Random(seed)
    for i in range(count):
        moment = START + timedelta(seconds=rng.randrange(60 * 86400))
        yield {
            "user_id": f"user-{rng.randrange(users)}",
            "name": rng.choice(EVENT_NAMES),
            "occurred_at": moment.isoformat(),
            "properties": {"plan": rng.choice(["free", "family", "pro"]), "n": i % 97},
            "idempotency_key": f"{prefix}-{i}",
        }


@contextmanager
def server(db: Database, workers: int) -> Iterator[int]:
    """A gunicorn serving Opsroom from this database on a free port."""
    from benchmarks.ingest_load import gunicorn

    with gunicorn(db.env(), workers) as port:
        yield port


@dataclass
class PostResult:
    accepted: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]


def post_batches(
    port: int,
    key: str,
    bodies: list[tuple[bytes, int]],
    clients: int,
    path: str = "/api/v1/ingest/events",
) -> PostResult:
    """Post every body once, from `clients` threads each on its own keep-alive connection."""
    queue = list(reversed(bodies))
    lock = threading.Lock()
    accepted = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def client() -> None:
        nonlocal accepted
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while True:
            with lock:
                if not queue:
                    return
                body, _ = queue.pop()
            began = time.perf_counter()
            connection.request(
                "POST",
                path,
                body=body,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            answer = response.read()
            elapsed = time.perf_counter() - began
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                latencies.append(elapsed)
                if response.status == 200:
                    accepted += json.loads(answer)["counts"]["accepted"]

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return PostResult(accepted, time.perf_counter() - began, latencies, statuses)


def http_throughput(db: Database, *, quick: bool) -> list[object]:
    workers = int(os.environ.get("OPSROOM_BENCH_WORKERS", 3))
    clients = int(os.environ.get("OPSROOM_BENCH_CLIENTS", 4))
    batch = int(os.environ.get("OPSROOM_BENCH_BATCH", 10_000))
    total = 100_000 if quick else 600_000
    db.reset()
    key = db.worker("api-key").strip()
    stream = events(total + 4 * batch, users=20_000, seed=1, prefix="http")
    warmup = [(json.dumps([next(stream) for _ in range(batch // 10)]).encode(), 0)]
    bodies = []
    for _ in range(total // batch):
        chunk = [next(stream) for _ in range(batch)]
        bodies.append((json.dumps(chunk).encode(), len(chunk)))
    people = [
        (json.dumps([{"user_id": f"user-{i}"} for i in range(start, start + 10_000)]).encode(), 0)
        for start in range(0, 20_000, 10_000)
    ]
    with server(db, workers) as port:
        # The host app's people are sent first, as it would; each worker serves a request.
        post_batches(port, key, people, clients=1, path="/api/v1/ingest/people")
        post_batches(port, key, warmup * workers, clients=workers)
        result = post_batches(port, key, bodies, clients=clients)
    stored = int(db.worker("count-events"))
    latencies = sorted(result.latencies)
    return [
        db.label,
        f"{workers} gunicorn sync workers, {clients} clients, {batch:,}-event batches",
        result.accepted,
        round(result.seconds, 1),
        round(result.accepted / result.seconds),
        round(statistics.median(latencies) * 1000),
        round(latencies[int(len(latencies) * 0.95) - 1] * 1000),
        "yes" if stored == total + batch // 10 and set(result.statuses) == {200} else "NO",
    ]


def events_file(count: int, *, users: int, seed: int) -> Path:
    """A JSONL file of `count` events (written once, reused by later runs)."""
    path = BENCH_DIR / f"events-{count}-{users}-{seed}.jsonl"
    if not path.exists():
        partial = path.with_suffix(".partial")
        with partial.open("w") as out:
            for item in events(count, users=users, seed=seed, prefix=f"file{seed}"):
                out.write(json.dumps(item, separators=(",", ":")) + "\n")
        partial.rename(path)
    return path


def people_file(users: int) -> Path:
    path = BENCH_DIR / f"people-{users}.jsonl"
    if not path.exists():
        path.write_text("".join(f'{{"user_id":"user-{i}"}}\n' for i in range(users)))
    return path


def _import_seconds(output: str) -> float:
    # "events: 100,000 rows in 3.2 s (31,000/s): ..."
    return float(output.split(" rows in ")[1].split(" s ")[0])


def import_vs_raw(db: Database, *, quick: bool) -> list[object]:
    count, users = (100_000 if quick else 500_000), 20_000
    path = events_file(count, users=users, seed=2)
    people = str(people_file(users))
    # Best of three of each, alternating, into a fresh database each time: the shared machine's
    # noise moves single runs by 10-20%.
    imports, raws, stored = [], [], []
    for _ in range(3):
        db.reset()
        db.manage("opsroom_import", "people", people, "--no-progress")
        output = db.manage("opsroom_import", "events", str(path), "--no-progress")
        imports.append(_import_seconds(output))
        stored.append(int(db.worker("count-events")))
        db.reset()
        db.manage("opsroom_import", "people", people, "--no-progress")
        raws.append(float(db.worker("raw-insert", str(path))))
    imported, raw = min(imports), min(raws)
    return [
        db.label,
        count,
        round(count / imported),
        round(count / raw),
        round(raw / imported, 2),
        "yes" if stored == [count] * 3 else "NO",
    ]


def _rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (the import reads in a second process)."""
    total = 0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for process in [pid, *map(int, children)]:
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def import_memory(db: Database, count: int) -> tuple[list[object], list[tuple[float, int]]]:
    """Import a file of `count` events, sampling the importer's resident memory each second."""
    path = events_file(count, users=50_000, seed=3)
    db.reset()
    began = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, "manage.py", "opsroom_import", "events", str(path), "--no-progress"],
        cwd=ROOT,
        env=db.env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    samples: list[tuple[float, int]] = []
    while process.poll() is None:
        try:
            samples.append((time.perf_counter() - began, _rss_kb(process.pid)))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(1)
    output = process.communicate()[0]
    if process.returncode != 0:
        raise RuntimeError(f"import failed: {output}")
    seconds = _import_seconds(output)
    rss = [kb for _, kb in samples if kb] or [0]

    def at(fraction: float) -> int:
        return round(rss[min(len(rss) - 1, int(len(rss) * fraction))] / 1024)

    row = [
        db.label,
        count,
        round(path.stat().st_size / 2**20),
        round(count / seconds),
        at(0.25),
        at(0.5),
        at(0.75),
        round(max(rss) / 1024),
    ]
    return row, samples


def concurrency_drill(db: Database, *, quick: bool) -> list[object]:
    """Four processes post overlapping batches for a minute; the database must be exact."""
    from benchmarks import ingest_load as load

    seconds = 10 if quick else 60
    db.reset()
    env = db.env()
    key = load.api_key(env)
    pool = load.batch_pool(60, 2000, users=5000, seed=11)
    with load.gunicorn(env, workers=3) as port:
        result = load.run_clients(port, key, pool, processes=4, seconds=seconds)
    found = load.problems(load.expected_state(pool, result.posted), load.stored_state(db.url))
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(result.statuses.items()))
    return [
        db.label,
        round(result.seconds),
        result.requests,
        statuses,
        load.expected_state(pool, result.posted)["events"],
        "; ".join(found) or "exact",
    ]


@suite("ingest")
def ingest_suite(*, quick: bool = False) -> None:
    dbs = databases()
    print("### Events through the HTTP batch API\n")
    print("Indicative: the 2 cores are shared by the server, the clients and the database.\n")
    rows = [http_throughput(db, quick=quick) for db in dbs]
    headers = ["database", "settings", "events", "seconds", "events/s", "p50 ms", "p95 ms"]
    print(table([*headers, "all stored"], rows))

    print("\n### Four processes posting overlapping batches at once\n")
    print(
        "Each posts the same 60 batches of 2,000 events (each sharing half its events with "
        "the next) in its own order, again and again; afterwards events, daily rollups and "
        "last-seen must match what was sent, each event counted once.\n"
    )
    rows = [concurrency_drill(db, quick=quick) for db in dbs]
    print(table(["database", "seconds", "requests", "statuses", "distinct events", "check"], rows))

    print("\n### The import command against a raw bulk insert of the same rows\n")
    print(
        "Both read the same JSONL file into a database holding its 20,000 people. The raw "
        "insert is one executemany of the event rows (no validation, rollups or last-seen); "
        "the import validates each row and keeps rollups and last-seen current. Best of three "
        "runs of each.\n"
    )
    rows = [import_vs_raw(db, quick=quick) for db in dbs]
    print(table(["database", "events", "import/s", "raw insert/s", "ratio", "all stored"], rows))

    print("\n### Memory while importing: resident memory against file size\n")
    print(
        "Resident memory of the import command and its reading process, sampled each second, "
        "at a quarter, half and three quarters of the run, and its peak. SQLite's page cache "
        "(64 MB per connection) fills during the first runs; during an import SQLite keeps its "
        "statement journals in a temporary file, not in memory.\n"
    )
    sizes = [20_000, 200_000] if quick else [50_000, 500_000, 5_000_000]
    rows, series = [], []
    for db in dbs:
        for size in sizes:
            row, samples = import_memory(db, size)
            rows.append(row)
            series.append((db.label, size, samples))
    headers = ["database", "events", "file MiB", "events/s", "RSS MiB at 1/4", "at 1/2", "at 3/4"]
    headers.append("peak RSS MiB")
    print(table(headers, rows))
    label, size, samples = max(series, key=lambda item: item[1])
    step = max(1, len(samples) // 12)
    print(f"\nResident memory of the largest import ({label}, {size:,} events) over time:\n")
    points = [(round(at), round(rss / 1024)) for at, rss in samples[::step]]
    print(table(["second", "RSS MiB"], points))


# Subprocess commands: each runs with DATABASE_URL naming one database.


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _cmd_api_key() -> None:
    _django()
    from opsroom.core.models import User
    from opsroom.core.services.apikeys import api_key_create
    from opsroom.core.services.audit import AuditContext

    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    issued = api_key_create(
        name="bench", scopes=["ingest"], audit=AuditContext(actor=user, label="bench")
    )
    print(issued.raw_key)


def _cmd_count_events() -> None:
    _django()
    from opsroom.people.models import Event

    print(Event.objects.count())


def _cmd_raw_insert(path: str) -> None:
    """Insert the file's events with one executemany, as a raw bulk load would; print seconds."""
    _django()
    import orjson
    from django.db import connection, transaction

    from opsroom.people.models import Person

    began = time.perf_counter()
    people = dict(Person.objects.values_list("external_id", "id"))
    received = datetime.now(tz=UTC)
    sqlite = connection.vendor == "sqlite"
    rows = []
    with open(path, "rb") as source:
        for line in source:
            item = orjson.loads(line)
            occurred = datetime.fromisoformat(item["occurred_at"])
            rows.append(
                (
                    people[item["user_id"]],
                    item["name"],
                    str(occurred.replace(tzinfo=None)) if sqlite else occurred,
                    orjson.dumps(item["properties"]).decode(),
                    "raw",
                    item["idempotency_key"],
                    str(received.replace(tzinfo=None)) if sqlite else received,
                )
            )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO people_event (person_id, name, occurred_at, properties, source, "
            "idempotency_key, received_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    print(time.perf_counter() - began)


_COMMANDS: dict[str, Callable[..., None]] = {
    "api-key": _cmd_api_key,
    "count-events": _cmd_count_events,
    "raw-insert": _cmd_raw_insert,
}

if __name__ == "__main__":
    _COMMANDS[sys.argv[1]](*sys.argv[2:])
