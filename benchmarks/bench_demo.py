"""Demo world generation: seconds, rows written by kind, rows per second, peak memory.

Each size is built into a fresh database by `manage.py opsroom_demo` in its own process (the
database is chosen by DATABASE_URL before Django loads), which reports its figures as JSON.
SQLite: a throwaway file under var/bench/. PostgreSQL: OPSROOM_BENCH_DATABASE_URL, whose
public schema is dropped and re-created first. The 2,000-person world is also measured
(`--measure`): churn predictability, the experiment's lift, the planted bug.

OPSROOM_BENCH_DEMO_SIZES (default 2000,20000,100000) chooses the sizes;
OPSROOM_BENCH_DEMO_SQLITE=0 leaves SQLite out (PostgreSQL only).
"""

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.registry import suite, table

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
MONTHS = 18
KINDS = (
    ("events", "events"),
    ("api_requests", "API requests"),
    ("errors", "errors"),
    ("subscriptions", "subscriptions"),
    ("invoices", "invoices"),
    ("payment_attempts", "payments"),
    ("tickets", "tickets"),
    ("emails", "emails"),
)


def _env(database_url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0"}
    env.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    return env


def _manage(database_url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=_env(database_url), check=True
    )


def _sqlite_path(people: int) -> Path:
    return BENCH_DIR / f"demo-{people}.sqlite3"


def _sqlite_remove(people: int) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{_sqlite_path(people)}{suffix}").unlink(missing_ok=True)


def _fresh_sqlite(people: int) -> str:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    _sqlite_remove(people)
    return f"sqlite:///{_sqlite_path(people)}"


def _fresh_postgres(url: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    return url


def _build(database_url: str, people: int, *, measure: bool) -> dict[str, Any]:
    _manage(database_url, "migrate", "--noinput", "-v0")
    end = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    with tempfile.TemporaryDirectory() as scratch:
        summary = Path(scratch) / "summary.json"
        args = ["opsroom_demo", f"--people={people}", f"--months={MONTHS}", f"--end={end}"]
        args += ["--verbosity=0", f"--summary-json={summary}"]
        if measure:
            args.append("--measure")
        _manage(database_url, *args)
        return json.loads(summary.read_text())


def _row(database: str, figures: dict[str, Any]) -> list[Any]:
    rows = figures["rows"]
    # Rows written by the generator; subscription_writes counts states, not rows.
    total = sum(count for kind, count in rows.items() if kind != "subscription_writes")
    seconds = figures["seconds"]
    return [
        database,
        figures["people"],
        figures["months"],
        round(seconds, 1),
        *(rows.get(kind, 0) for kind, _ in KINDS),
        total,
        round(total / seconds),
        figures["peak_rss_mb"],
    ]


def _quality_rows(database: str, quality: dict[str, Any]) -> list[list[Any]]:
    churn, experiment, bug = quality["churn"], quality["experiment"], quality["bug"]
    templates = quality["templates"]
    lines = [
        ["events per person", quality["events_per_person"]],
        ["median monthly signup growth", quality["median_monthly_signup_growth"]],
        ["trial conversion", quality["trial_conversion"]],
        ["first payment attempts failing", quality["first_attempt_failure_rate"]],
        ["monthly voluntary churn (paying)", churn["monthly_voluntary_churn"]],
        ["churn AUC of active days (30 d + trend)", churn["auc_recency_frequency"]],
        ["top error fingerprint share", quality["top_error_share"]],
        ["people hit by the planted bug", bug["people"]],
        ["planted bug stopped after the fix release", str(bug["stopped_after_fix"])],
        ["recipe adds per view, control", experiment["rates"].get("control")],
        ["recipe adds per view, test", experiment["rates"].get("test")],
        ["experiment relative lift", experiment["relative_lift"]],
        ["monthly churn, template users", templates["monthly_churn_template_users"]],
        ["monthly churn, equally active others", templates["monthly_churn_comparable_others"]],
    ]
    return [[database, name, value] for name, value in lines]


_HEADERS = [
    "database",
    "people",
    "months",
    "seconds",
    *(label for _, label in KINDS),
    "rows",
    "rows/s",
    "peak RSS MB",
]


def _sizes() -> list[int]:
    given = os.environ.get("OPSROOM_BENCH_DEMO_SIZES", "2000,20000,100000")
    try:
        sizes = [int(size) for size in given.split(",") if size.strip()]
    except ValueError:
        message = f"OPSROOM_BENCH_DEMO_SIZES must be numbers separated by commas: {given!r}"
        raise SystemExit(message) from None
    if not sizes or min(sizes) < 1:
        raise SystemExit("OPSROOM_BENCH_DEMO_SIZES must name at least one positive size.")
    return sizes


@suite("demo")
def demo(quick: bool = False) -> None:
    """Build demo worlds of growing size and report the write rate and memory."""
    sizes = [2000] if quick else _sizes()
    targets: list[tuple[str, Callable[[int], str]]] = []
    if os.environ.get("OPSROOM_BENCH_DEMO_SQLITE", "1") != "0":
        targets.append(("SQLite", _fresh_sqlite))
    postgres = os.environ.get("OPSROOM_BENCH_DATABASE_URL", "")
    if postgres:
        targets.append(("PostgreSQL", lambda _people: _fresh_postgres(postgres)))
    results, quality = [], []
    for database, fresh in targets:
        for people in sizes:
            print(f"building {people:,} people x {MONTHS} months on {database}...", flush=True)
            url = fresh(people)
            figures = _build(url, people, measure=people == 2000)
            results.append(_row(database, figures))
            # Each row as it comes, so a long run's figures survive an interruption.
            print("  " + json.dumps(dict(zip(_HEADERS, results[-1], strict=True))), flush=True)
            # The worlds are throwaway: a 100,000-person one takes gigabytes.
            if database == "SQLite":
                _sqlite_remove(people)
            else:
                _fresh_postgres(url)
            if "quality" in figures:
                quality += _quality_rows(database, figures["quality"])
    print()
    print(table(_HEADERS, results))
    if quality:
        print("\nThe 2,000-person world, measured:\n")
        print(table(["database", "figure", "value"], quality))
    if not postgres:
        print("\nOPSROOM_BENCH_DATABASE_URL is not set: PostgreSQL skipped.")
