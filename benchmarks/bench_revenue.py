"""Revenue command center speed on 100,000 people with two years of subscriptions (issue 11,
"Figures to reach"): each revenue page and API call (p95 < 200 ms), a full rebuild of the MRR
ledger and its snapshots (< 2 minutes), the daily incremental update (< 10 s) and churn model
training (< 2 minutes), each beside a baseline measured in the same run on the same database,
so that the ratio means something on any machine:

- pages and API calls: a plain `SELECT count(*)` of the subscriptions and the simplest revenue
  page (the definitions: login, middleware and template, no figures);
- the rebuild: the raw insert rate of the database, as one `INSERT ... SELECT` copying the
  rebuilt movements into a scratch table, and one read of the whole change log;
- the daily update: the same update with nothing to take in (the snapshots of the day and the
  overview only);
- training: the simpler method, the brief's rule score on the same test day (its snapshot of
  signals and the scores), and the model's and the rule's AUC.

Data: the people world (benchmarks/people_world.py; 30 events asked per person, signups over
730 days) with revenue_world.py's billing history. Each database runs in its own process
(`python -m benchmarks.bench_revenue URL PEOPLE`). The data set is cached: SQLite under
var/bench/revenue-<N>.sqlite3, PostgreSQL in OPSROOM_BENCH_DATABASE_URL (marked by a
bench_meta row, and checked against the row counts, since other suites share that database).
Requests go through Django's test client as a logged-in superuser, in process (server time).
The daily update is measured inside a transaction that is rolled back, so runs repeat.

Environment: OPSROOM_BENCH_PEOPLE (default 100000; --quick: 5000), OPSROOM_BENCH_REBUILD=1.
"""

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.databases import database_empty
from benchmarks.registry import suite, table

ROOT = Path(__file__).resolve().parent.parent
VERSION = "revenue-world-1"
PAGE_TARGET_MS = 200
REBUILD_TARGET_S = 120
UPDATE_TARGET_S = 10
TRAIN_TARGET_S = 120
SAMPLES = 30
EVENTS_PER_PERSON = 30
DAYS = 730


@suite("revenue")
def revenue(quick: bool = False) -> None:
    count = 5000 if quick else int(os.environ.get("OPSROOM_BENCH_PEOPLE", "100000"))
    databases = [("SQLite", f"sqlite:///{ROOT / 'var' / 'bench' / f'revenue-{count}.sqlite3'}")]
    if os.environ.get("OPSROOM_BENCH_DATABASE_URL"):
        databases.append(("PostgreSQL", os.environ["OPSROOM_BENCH_DATABASE_URL"]))
    results = []
    for label, url in databases:
        print(f"_{label}: preparing {count:,} people with two years of billing…_", flush=True)
        process = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_revenue", url, str(count)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if process.returncode != 0:
            print(f"{label}: the benchmark failed:\n```\n{process.stderr[-3000:]}\n```")
            continue
        result = json.loads(process.stdout.strip().splitlines()[-1])
        result["label"] = label
        results.append(result)
    if results:
        _report(results)


def _report(results: list[dict[str, Any]]) -> None:
    data = results[0]["data"]
    print(
        f"\nData: {data['people']:,} people, {data['subscriptions']:,} subscriptions "
        f"({data['subscription_changes']:,} changes), {data['invoices']:,} invoices, "
        f"{data['payments']:,} payment attempts, {data['events']:,} events; "
        f"{results[0]['ledger']['movements']:,} ledger movements, "
        f"{results[0]['ledger']['paying']:,} paying customers today. Server time through "
        "Django's test client, in process, on a shared 2-core machine; load average "
        f"{os.getloadavg()[0]:.1f}.\n"
    )
    rows = []
    for key in results[0]["timings"]:
        for result in results:
            stats = result["timings"][key]
            met = "met" if stats["p95"] < PAGE_TARGET_MS else "MISSED"
            rows.append(
                [
                    key,
                    result["label"],
                    stats["n"],
                    stats["queries"],
                    stats["p50"],
                    stats["p95"],
                    stats["max"],
                    met,
                    round(stats["p95"] / result["baselines"]["definitions"]["p95"], 1),
                ]
            )
    print(
        table(
            [
                "page or call",
                "database",
                "n",
                "queries",
                "p50 ms",
                "p95 ms",
                "max ms",
                f"p95 < {PAGE_TARGET_MS}",
                "p95 / baseline page",
            ],
            rows,
        )
    )
    print()
    base_rows = []
    for name, label in (
        ("count", "SELECT count(*) FROM revenue_subscription"),
        ("definitions", "/revenue/definitions/ (login, middleware, template; no figures)"),
    ):
        for result in results:
            stats = result["baselines"][name]
            base_rows.append([label, result["label"], stats["p50"], stats["p95"]])
    print(table(["baseline (same run)", "database", "p50 ms", "p95 ms"], base_rows))
    print()
    task_rows = []
    for result in results:
        ledger, train, label = result["ledger"], result["training"], result["label"]
        task_rows += [
            [
                "ledger rebuild (revenue_ledger --rebuild)",
                label,
                ledger["rebuild_s"],
                f"< {REBUILD_TARGET_S} s",
                _met(ledger["rebuild_s"], REBUILD_TARGET_S),
                f"{ledger['copy_s']:.2f} s to copy the {ledger['movements']:,} movements "
                f"raw ({ledger['copy_rows_per_s']:,.0f} rows/s); "
                f"{ledger['read_changes_s']:.2f} s to read the change log",
            ],
            [
                f"daily update ({ledger['daily_people']:,} customers changed)",
                label,
                ledger["update_s"],
                f"< {UPDATE_TARGET_S} s",
                _met(ledger["update_s"], UPDATE_TARGET_S),
                f"{ledger['noop_update_s']:.2f} s with nothing to take in",
            ],
            [
                f"churn model training ({train['train_rows']:,} rows)",
                label,
                train["seconds"],
                f"< {TRAIN_TARGET_S} s",
                _met(train["seconds"], TRAIN_TARGET_S),
                f"{train['rule_seconds']:.2f} s for the rule score on the test day "
                f"({train['test_rows']:,} customers); AUC model {train['model_auc']} "
                f"vs rule {train['rule_auc']}",
            ],
        ]
        for name, seconds in result["refresh"].items():
            task_rows.append([name, label, seconds, "none", "—", "—"])
    print(
        table(
            ["task", "database", "seconds", "target", "target met?", "baseline (same run)"],
            task_rows,
        )
    )


def _met(value: float, target: float) -> str:
    return "met" if value < target else "MISSED"


def _prepare(url: str, count: int) -> None:
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-not-a-secret",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
            "OPSROOM_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "OPSROOM_TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
        }
    )
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _meta(value: dict[str, Any] | None = None) -> dict[str, Any] | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key VARCHAR(50) PRIMARY KEY, value TEXT)"
        )
        if value is not None:
            # The flush before a build emptied every other suite's data set in this database.
            cursor.execute("DELETE FROM bench_meta")
            cursor.execute(
                "INSERT INTO bench_meta (key, value) VALUES ('revenue', %s)", [json.dumps(value)]
            )
            return value
        cursor.execute("SELECT value FROM bench_meta WHERE key = 'revenue'")
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def _world_present(meta: dict[str, Any] | None, count: int) -> bool:
    from opsroom.people.models import Person
    from opsroom.revenue.models import Subscription

    if meta is None or meta.get("version") != VERSION or meta.get("people") != count:
        return False
    data = meta["data"]
    return (
        Person.objects.count() == data["people"]
        and Subscription.objects.filter(provider_subscription_id__startswith="sub_r").count()
        == data["subscriptions"]
    )


def _build(count: int, url: str) -> dict[str, Any]:
    from django.db import connection

    from benchmarks import revenue_world
    from benchmarks.people_world import generate
    from opsroom.core import clock

    database_empty()
    started = time.monotonic()
    data: dict[str, Any] = generate(
        people=count,
        per_person=EVENTS_PER_PERSON,
        days=DAYS,
        billing=revenue_world.billing_write,
    )
    data["build_seconds"] = round(time.monotonic() - started, 1)
    data["now"] = clock.now().replace(microsecond=0).isoformat()
    if url.startswith("postgres"):
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return data


def worker(url: str, count: int) -> dict[str, Any]:
    _prepare(url, count)
    import django

    django.setup()
    from django.core.management import call_command

    from opsroom.core import clock

    call_command("migrate", verbosity=0)
    meta = _meta()
    if not _world_present(meta, count) or os.environ.get("OPSROOM_BENCH_REBUILD"):
        meta = _meta({"version": VERSION, "people": count, "data": _build(count, url)})
    assert meta is not None
    now = datetime.fromisoformat(meta["data"]["now"])
    with clock.clock_frozen_at(now):
        ledger = _ledger(now)
        refresh, training = _refresh_and_train(now)
        timings, baselines = _pages()
        ledger.update(_daily_update(now))
    return {
        "data": meta["data"],
        "ledger": ledger,
        "refresh": refresh,
        "training": training,
        "timings": timings,
        "baselines": baselines,
    }


def _seconds(run: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = run()
    return value, round(time.perf_counter() - started, 2)


def _ledger(now: datetime) -> dict[str, Any]:
    """The full rebuild, and its baselines: a raw copy of what it wrote, a read of its input."""
    from django.db import connection

    from opsroom.revenue.churn.dataset import customers_paying_on
    from opsroom.revenue.metrics.services import mrr_ledger_rebuild
    from opsroom.revenue.models import MrrMovement, SubscriptionChange

    run, rebuild_s = _seconds(mrr_ledger_rebuild)
    movements = MrrMovement.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_movement_copy")
        cursor.execute(
            "CREATE TABLE bench_movement_copy AS SELECT * FROM revenue_mrrmovement WHERE 1 = 0"
        )
        started = time.perf_counter()
        cursor.execute("INSERT INTO bench_movement_copy SELECT * FROM revenue_mrrmovement")
        copy_s = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_movement_copy")
    started = time.perf_counter()
    changes = sum(
        1
        for _ in SubscriptionChange.objects.order_by("person_id", "occurred_at", "id")
        .values_list("person_id", "subscription_id", "occurred_at", "mrr_after")
        .iterator(chunk_size=10000)
    )
    read_s = time.perf_counter() - started
    return {
        "rebuild_s": rebuild_s,
        "customers": run.people,
        "movements": movements,
        "changes": changes,
        "copy_s": round(copy_s, 2),
        "copy_rows_per_s": round(movements / copy_s) if copy_s else 0,
        "read_changes_s": round(read_s, 2),
        "paying": len(customers_paying_on(day=now.date() + timedelta(days=1))),
    }


def _refresh_and_train(now: datetime) -> tuple[dict[str, float], dict[str, Any]]:
    """The other daily refreshes (timed, no target) and the churn model's training against
    the rule score on the same test day."""
    from opsroom.core.services.audit import AuditContext
    from opsroom.revenue.campaigns.services import campaign_defaults_ensure
    from opsroom.revenue.churn.dataset import snapshot_build
    from opsroom.revenue.churn.rule import rule_probabilities
    from opsroom.revenue.churn.services import churn_model_train, churn_predictions_refresh
    from opsroom.revenue.cohorts.services import cohorts_refresh
    from opsroom.revenue.forecast.services import forecast_basis_refresh
    from opsroom.revenue.recovery.services import payment_cases_refresh

    audit = AuditContext.system("bench")
    today = now.date()
    refresh = {}
    for name, run in (
        ("payment cases (daily)", payment_cases_refresh),
        ("forecast basis (daily)", lambda: forecast_basis_refresh(today=today)),
        ("cohort tables", lambda: cohorts_refresh(today=today)),
    ):
        refresh[name] = _seconds(run)[1]
    artifact, train_s = _seconds(lambda: churn_model_train(audit=audit))
    test_day = datetime.fromisoformat(artifact.params["test_day"]).date()

    def rule() -> int:
        snapshot = snapshot_build(day=test_day, horizon_days=30, labelled=False)
        return len(rule_probabilities(snapshot.signals))

    test_rows, rule_s = _seconds(rule)
    refresh["churn predictions (daily)"] = _seconds(churn_predictions_refresh)[1]
    from opsroom.demo.world import mail
    from opsroom.messaging.services import template_upsert_many

    template_upsert_many(rows=mail.template_rows())  # the demo's templates: the campaigns' steps
    campaign_defaults_ensure(audit=audit)
    return refresh, {
        "seconds": train_s,
        "rule_seconds": rule_s,
        "train_rows": artifact.train_rows,
        "test_rows": test_rows,
        "model_auc": round(artifact.metrics.get("roc_auc") or 0, 3),
        "rule_auc": round(artifact.baseline_metrics.get("roc_auc") or 0, 3),
    }


def _pages() -> tuple[dict[str, Any], dict[str, Any]]:
    from django.db import connection
    from django.test import Client

    from benchmarks.bench_people import _stats, _timed
    from opsroom.core import clock
    from opsroom.core.models import User
    from opsroom.revenue.models import Campaign, ChurnPrediction

    client = Client()
    user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        "bench", "bench@example.com", "bench-password-0"
    )
    client.force_login(user)
    risky = ChurnPrediction.objects.order_by("-probability").values_list("person_id", flat=True)
    person_id = risky.first() or 0
    campaign = Campaign.objects.order_by("key").values_list("key", flat=True).first() or "none"
    now = clock.now()
    month = now.strftime("%Y-%m")
    pages: dict[str, tuple[str, dict[str, str]]] = {
        "/revenue/ (overview)": ("/revenue/", {}),
        "/revenue/movements/": ("/revenue/movements/", {}),
        "/revenue/movements/?kind=churn": ("/revenue/movements/", {"kind": "churn"}),
        "/revenue/customers/": ("/revenue/customers/", {}),
        "/revenue/cohorts/": ("/revenue/cohorts/", {}),
        "/revenue/forecast/": ("/revenue/forecast/", {}),
        "/revenue/churn/ (dashboard)": ("/revenue/churn/", {}),
        "/revenue/churn/<person>/": (f"/revenue/churn/{person_id}/", {}),
        "/revenue/payments/ (recovery)": ("/revenue/payments/", {}),
        "/revenue/campaigns/": ("/revenue/campaigns/", {}),
        "/revenue/campaigns/<key>/": (f"/revenue/campaigns/{campaign}/", {}),
        "GET /api/v1/revenue/mrr": ("/api/v1/revenue/mrr", {"interval": "month"}),
        "GET /api/v1/revenue/mrr (day, 90 days)": (
            "/api/v1/revenue/mrr",
            {"interval": "day", "start": (now - timedelta(days=90)).strftime("%Y-%m")},
        ),
        "GET /api/v1/revenue/overview": ("/api/v1/revenue/overview", {}),
        "GET /api/v1/revenue/movements": ("/api/v1/revenue/movements", {}),
        "GET /api/v1/revenue/segments": ("/api/v1/revenue/segments", {"dimension": "channel"}),
        "GET /api/v1/revenue/cohorts": ("/api/v1/revenue/cohorts", {}),
        "GET /api/v1/revenue/forecast": ("/api/v1/revenue/forecast", {}),
        "GET /api/v1/revenue/churn/predictions": ("/api/v1/revenue/churn/predictions", {}),
        "GET /api/v1/revenue/churn/predictions/<person>": (
            f"/api/v1/revenue/churn/predictions/{person_id}",
            {},
        ),
        "GET /api/v1/revenue/payments/health": ("/api/v1/revenue/payments/health", {}),
        "GET /api/v1/revenue/campaigns": ("/api/v1/revenue/campaigns", {}),
        "GET /api/v1/revenue/marketing-spend": (
            "/api/v1/revenue/marketing-spend",
            {"start": month, "end": month},
        ),
    }
    timings = {}
    for key, (path, params) in pages.items():

        def call(path: str = path, params: dict[str, str] = params) -> Any:
            return client.get(path, params)

        queries: list[str] = []

        def counted(execute: Any, sql: str, *args: Any, queries: list[str] = queries) -> Any:
            queries.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(counted):
            call()
        timings[key] = {**_timed([call] * SAMPLES, warmup=2), "queries": len(queries)}

    def count() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM revenue_subscription")
            cursor.fetchone()

    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        count()
        samples.append((time.perf_counter() - started) * 1000)
    baselines = {
        "count": _stats(samples),
        "definitions": _timed([lambda: client.get("/revenue/definitions/")] * SAMPLES, warmup=2),
    }
    return timings, baselines


def _daily_update(now: datetime) -> dict[str, Any]:
    """A day's changes for 1% of the paying customers (half cancel, half add seats), the next
    day's update taking them in; rolled back afterwards. First, the same update with nothing
    to take in."""
    import random

    from django.db import transaction

    from opsroom.core import clock
    from opsroom.revenue.metrics.services import mrr_dirty_mark, mrr_ledger_update
    from opsroom.revenue.models import Subscription, SubscriptionChange

    rng = random.Random(5)
    _, noop_s = _seconds(lambda: mrr_ledger_update(now=now))
    tomorrow = now + timedelta(days=1)
    with transaction.atomic():
        live = list(
            Subscription.objects.filter(status="active")
            .order_by("id")
            .values_list("id", "person_id", "plan_id", "mrr_amount")
        )
        chosen = rng.sample(live, max(20, len(live) // 100))
        changes = []
        for number, (sub_id, person_id, plan_id, mrr) in enumerate(chosen):
            at = now + timedelta(minutes=10 + number % 600)
            cancel = number % 2 == 0
            changes.append(
                SubscriptionChange(
                    subscription_id=sub_id,
                    person_id=person_id,
                    occurred_at=at,
                    kind="canceled" if cancel else "upgraded",
                    from_status="active",
                    to_status="canceled" if cancel else "active",
                    from_plan_id=plan_id,
                    to_plan_id=plan_id,
                    mrr_before=mrr,
                    mrr_after=0 if cancel else mrr * 2,
                )
            )
        SubscriptionChange.objects.bulk_create(changes, batch_size=1000)
        mrr_dirty_mark(person_ids=[change.person_id for change in changes])
        with clock.clock_frozen_at(tomorrow):
            run, update_s = _seconds(lambda: mrr_ledger_update(now=tomorrow))
        transaction.set_rollback(True)
    return {"update_s": update_s, "noop_update_s": noop_s, "daily_people": run.people}


if __name__ == "__main__":
    if len(sys.argv) == 3:
        print(json.dumps(worker(sys.argv[1], int(sys.argv[2]))))
    else:
        print("usage: python -m benchmarks.bench_revenue URL PEOPLE", file=sys.stderr)
        sys.exit(2)
