"""Analytics pages and tasks on the people world (benchmarks/people_world.py: 100,000 people,
~10 million events, 200,000 errors, 300,000 API calls, flags with exposures) plus one AI usage
record per person over the last 30 days: each analytics page and API call (p50/p95 against the
300 ms target) and the hourly tasks that precompute them.

Each database runs in its own process, as bench_people. The data set is cached (SQLite under
var/bench/analytics-<N>.sqlite3, PostgreSQL in OPSROOM_BENCH_DATABASE_URL). Environment:
OPSROOM_BENCH_PEOPLE (default 100000; --quick: 5000), OPSROOM_BENCH_REBUILD=1.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.databases import database_empty
from benchmarks.registry import suite, table

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300
SAMPLES = 30
FUNNEL = ["app_open", "meal_plan_viewed", "meal_plan_created"]


@suite("analytics_pages")
def analytics_pages(quick: bool = False) -> None:
    count = 5000 if quick else int(os.environ.get("OPSROOM_BENCH_PEOPLE", "100000"))
    databases = [("SQLite", f"sqlite:///{ROOT / 'var' / 'bench' / f'analytics-{count}.sqlite3'}")]
    if os.environ.get("OPSROOM_BENCH_DATABASE_URL"):
        databases.append(("PostgreSQL", os.environ["OPSROOM_BENCH_DATABASE_URL"]))
    results = []
    for label, url in databases:
        print(f"_{label}: preparing {count:,} people…_", flush=True)
        process = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_analytics_pages", url, str(count)],
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
    if not results:
        return
    data = results[0]["data"]
    print(
        f"\nData: {data['people']:,} people, {data['events']:,} events, {data['errors']:,} "
        f"errors, {data['api_requests']:,} API calls, {data['ai_usage']:,} AI usage records, "
        f"{data.get('touches', 0):,} marketing touches. "
        "Server time through Django's test client, in process, on a shared 2-core machine.\n"
    )
    rows = []
    base_key = "baseline: /revenue/definitions/ (static page)"
    for key in results[0]["timings"]:
        for result in results:
            stats = result["timings"][key]
            base = result["timings"].get(base_key, {}).get("p95")
            met = "met" if stats["p95"] < TARGET_MS else "MISSED"
            if key.startswith("baseline"):
                met = "—"
            rows.append(
                [key, result["label"], stats["n"], stats["p50"], stats["p95"], stats["max"], met,
                 round(stats["p95"] / base, 1) if base else "—"]
            )  # fmt: skip
    print(
        table(
            ["page or call", "database", "n", "p50 ms", "p95 ms", "max ms", f"p95 < {TARGET_MS}",
             "p95 / static page"],
            rows,
        )
    )  # fmt: skip
    load = os.getloadavg()[0]
    print(f"\nLoad average at the end: {load:.1f} (2 cores).")
    print()
    task_rows = [
        [key, result["label"], seconds]
        for key in results[0]["tasks"]
        for result in results
        for seconds in [result["tasks"][key]]
    ]
    print(table(["task (precomputes the pages)", "database", "seconds"], task_rows))


def _ai_usage_write(now: Any) -> int:
    import random
    from datetime import timedelta

    from opsroom.people.models import Person
    from opsroom.telemetry.models import AiUsage

    rng = random.Random(11)
    ids = list(Person.objects.values_list("pk", flat=True))
    endpoints = ["POST /api/recipes/generate", "POST /api/meal-plans/suggest", "POST /api/chat"]
    rows = [
        AiUsage(
            usage_id=f"ai{k}",
            person_id=pk,
            occurred_at=now - timedelta(seconds=rng.randrange(30 * 86400)),
            endpoint=rng.choice(endpoints),
            feature="recipes",
            model=rng.choice(["gpt-4o-mini", "gpt-4o", "claude-haiku"]),
            input_tokens=rng.randint(200, 4000),
            output_tokens=rng.randint(50, 800),
            cost_micros=rng.randint(100, 40000),
        )
        for k, pk in enumerate(ids)
    ]
    AiUsage.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _touches_write() -> int:
    """One to three marketing touches in the month before each signup (as the host app sends
    them in `touches`), so attribution has campaigns and landing pages to credit."""
    import random
    from datetime import timedelta

    from opsroom.people.models import Person, Touch

    rng = random.Random(12)
    campaigns = {
        "ads": ["spring-sale", "retarget", "brand"],
        "social": ["reels", "creators"],
        "referral": ["friends"],
        "organic": [""],
    }
    pages = ["/blog/picky-eaters", "/blog/meal-prep", "/pricing", "/", "/blog/budget-meals"]
    rows = []
    for pk, signed_up in Person.objects.exclude(signed_up_at=None).values_list(
        "pk", "signed_up_at"
    ):
        if signed_up is None:
            continue
        for _ in range(rng.choice((1, 1, 2, 3))):
            channel = rng.choice(list(campaigns))
            rows.append(
                Touch(
                    person_id=pk,
                    occurred_at=signed_up - timedelta(seconds=rng.randrange(30 * 86400)),
                    channel=channel,
                    campaign=rng.choice(campaigns[channel]),
                    landing_page=rng.choice(pages),
                )
            )
    Touch.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return Touch.objects.count()


def worker(url: str, count: int) -> dict[str, Any]:
    from benchmarks import bench_people

    bench_people._prepare(url, count, "bench")
    import django

    django.setup()
    from django.core.management import call_command

    from opsroom.people.models import Touch
    from opsroom.telemetry.models import AiUsage

    call_command("migrate", verbosity=0)
    meta = bench_people._meta_get()
    wanted = {"version": bench_people.GENERATOR_VERSION, "people": count, "source": "bench"}
    if (
        meta is None
        or {k: meta.get(k) for k in wanted} != wanted
        or os.environ.get("OPSROOM_BENCH_REBUILD")
    ):
        if meta is not None or bench_people._counts()["people"]:
            database_empty()
        meta = {**wanted, "data": bench_people._build(count, "bench")}
        bench_people._meta_set(meta, url)
        if url.startswith("postgres"):
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    from datetime import datetime

    from opsroom.core import clock

    now = datetime.fromisoformat(meta["data"]["now"])
    with clock.clock_frozen_at(now):
        if not AiUsage.objects.exists():
            _ai_usage_write(now)
        if not Touch.objects.exists():
            _touches_write()
        data = {
            **meta["data"],
            "ai_usage": AiUsage.objects.count(),
            "touches": Touch.objects.count(),
        }
        return {"data": data, **_measure(now)}


def _measure(now: Any) -> dict[str, Any]:
    from django.test import Client

    from benchmarks.bench_people import _timed
    from opsroom.analytics.models import EndpointPerformance, Funnel, MetricWatch
    from opsroom.analytics.services.ai_cost import ai_budget_watch, ai_cost_limit_set
    from opsroom.analytics.services.anomalies import anomalies_detect
    from opsroom.analytics.services.attribution import attribution_refresh
    from opsroom.analytics.services.cohorts import cohorts_refresh
    from opsroom.analytics.services.funnels import funnel_compute
    from opsroom.analytics.services.performance import endpoint_performance_refresh
    from opsroom.core.models import User
    from opsroom.core.services.audit import AuditContext
    from opsroom.experiments.models import FeatureFlag
    from opsroom.people.models import Person

    funnel = Funnel.objects.filter(name="bench").first() or Funnel.objects.create(
        name="bench", steps=FUNNEL, window_days=14, period_days=30, created_at=now
    )
    audit = AuditContext.system("bench")
    ai_cost_limit_set(endpoint="", amount=1000, audit=audit)
    ai_cost_limit_set(endpoint="POST /api/chat", amount=5, audit=audit)
    tasks = {}
    for key, run in (
        ("anomaly watch (hourly)", lambda: anomalies_detect(now=now)),
        ("endpoint performance (hourly)", lambda: endpoint_performance_refresh(now=now)),
        ("one funnel, 30 days (hourly)", lambda: funnel_compute(funnel=funnel, now=now)),
        ("AI budget watch (hourly)", lambda: ai_budget_watch(now=now)),
        ("attribution, 13 months (hourly)", lambda: attribution_refresh(now=now)),
        ("cohort comparison (daily)", lambda: cohorts_refresh(now=now)),
    ):
        started = time.monotonic()
        run()
        tasks[key] = round(time.monotonic() - started, 2)

    client = Client()
    user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        "bench", "bench@example.com", "bench-password-0"
    )
    client.force_login(user)
    endpoint = EndpointPerformance.objects.filter(release="").order_by("-calls").first()
    flag = FeatureFlag.objects.order_by("key").first()
    person = Person.objects.order_by("pk").first()
    metric = MetricWatch.objects.filter(key="errors").first()
    pages: dict[str, tuple[str, dict[str, str]]] = {
        "/analytics/anomalies/": ("/analytics/anomalies/", {}),
        "/analytics/metrics/errors/": (
            f"/analytics/metrics/{metric.key if metric else 'errors'}/",
            {},
        ),
        "/analytics/performance/": ("/analytics/performance/", {}),
        "/analytics/performance/endpoint/": (
            "/analytics/performance/endpoint/",
            {"method": endpoint.method, "route": endpoint.route} if endpoint else {},
        ),
        "/analytics/ai-cost/": ("/analytics/ai-cost/", {}),
        "/analytics/funnels/": ("/analytics/funnels/", {}),
        "/analytics/funnels/<id>/": (f"/analytics/funnels/{funnel.pk}/", {"dropped": "1"}),
        "/analytics/tickets-errors/": ("/analytics/tickets-errors/", {"days": "14"}),
        "/analytics/flags/": ("/analytics/flags/", {}),
        "/analytics/flags/<key>/ + simulator": (
            f"/analytics/flags/{flag.key if flag else 'none'}/",
            {"user_id": person.external_id, "rollout_percent": "50"} if person else {},
        ),
        "/analytics/errors/": ("/analytics/errors/", {}),
        "/analytics/attribution/ (channels, first touch)": ("/analytics/attribution/", {}),
        "/analytics/attribution/ (content, last touch)": (
            "/analytics/attribution/",
            {"by": "content", "model": "last"},
        ),
        "GET /api/v1/attribution": ("/api/v1/attribution", {"by": "campaign"}),
        "/analytics/cohorts/ (signup month)": ("/analytics/cohorts/", {}),
        "/analytics/cohorts/ (channel)": ("/analytics/cohorts/", {"by": "channel"}),
        "/analytics/experiments/": ("/analytics/experiments/", {}),
        "GET /api/v1/ai/limits": ("/api/v1/ai/limits", {}),
        "GET /api/v1/ai/cost": ("/api/v1/ai/cost", {}),
        "GET /api/v1/anomalies": ("/api/v1/anomalies", {"days": "30"}),
    }
    timings = {}
    for key, (path, params) in pages.items():

        def call(path: str = path, params: dict[str, str] = params) -> Any:
            return client.get(path, params)

        timings[key] = _timed([call] * SAMPLES, warmup=2)
    # Baselines in the same run: a static page (login, middleware, template; no figures) and
    # a plain count, so the ratios mean something on a loaded or slower machine.
    timings["baseline: /revenue/definitions/ (static page)"] = _timed(
        [lambda: client.get("/revenue/definitions/")] * SAMPLES, warmup=2
    )

    def count() -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM telemetry_apirequest")
            cursor.fetchone()

    timings["baseline: SELECT count(*) FROM telemetry_apirequest"] = _timed(
        [count] * SAMPLES, warmup=2
    )
    return {"timings": timings, "tasks": tasks}


if __name__ == "__main__":
    print(json.dumps(worker(sys.argv[1], int(sys.argv[2]))))
