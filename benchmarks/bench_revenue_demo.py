"""The revenue models' quality on the demo world, each beside its baseline.

Builds the 2,000-person, 18-month demo world (what `make run` sets up) into a throwaway
database, then runs the two evaluation commands a customer would run on their own history:
`revenue_churn_backtest` (the churn model against the design brief's rule score, at two past
days) and `revenue_forecast_backtest` (the MRR forecast against the naive "MRR stays where it
is" forecast). SQLite always; PostgreSQL too when OPSROOM_BENCH_DATABASE_URL is set (the world
is the same, so the figures should match).
"""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.bench_demo import (
    MONTHS,
    ROOT,
    _build,
    _env,
    _fresh_postgres,
    _fresh_sqlite,
    _manage,
    _sqlite_remove,
)
from benchmarks.registry import suite, table

PEOPLE = 2000
AS_OF_DAYS_BACK = (35, 65)  # each leaves a whole 30-day window to score on


def _json(database_url: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "manage.py", *args, "--json"],
        cwd=ROOT,
        env=_env(database_url),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _pct(share: float) -> float:
    return round(100 * share, 1)


def _measure(database: str, url: str) -> tuple[list[list[Any]], list[list[Any]]]:
    print(f"building the {PEOPLE:,}-person demo world on {database}...", flush=True)
    _build(url, PEOPLE, measure=False)
    _manage(url, "revenue_ledger")  # what setup's revenue_refresh does first
    today = datetime.now(UTC).date()
    churn_rows = []
    for back in AS_OF_DAYS_BACK:
        as_of = (today - timedelta(days=back)).isoformat()
        s = _json(url, "revenue_churn_backtest", f"--as-of={as_of}", "--horizon-days=30")
        model, rule = s["model"], s["rule"]
        churn_rows.append(
            [database, as_of, s["test_rows"], s["test_churned"], model["roc_auc"],
             rule["roc_auc"], model["top_decile_lift"], rule["top_decile_lift"],
             model["brier"], rule["brier"]]
        )  # fmt: skip
        print("  " + json.dumps(churn_rows[-1]), flush=True)
    f = _json(url, "revenue_forecast_backtest", "--horizon-months=3")
    forecast_rows = [
        [database, row["months_ahead"], _pct(row["model_mape"]), _pct(row["naive_mape"])]
        for row in f["by_horizon"]
    ]
    forecast_rows.append([database, "all", _pct(f["model_mape"]), _pct(f["naive_mape"])])
    print(f"  forecast: {f['origins']} origins over {f['months']} months", flush=True)
    return churn_rows, forecast_rows


@suite("revenue_demo")
def revenue_demo(quick: bool = False) -> None:
    """Churn model against the rule score, forecast against the naive one, on the demo world."""
    targets = [("SQLite", _fresh_sqlite(PEOPLE))]
    postgres = os.environ.get("OPSROOM_BENCH_DATABASE_URL", "")
    if postgres and not quick:
        targets.append(("PostgreSQL", _fresh_postgres(postgres)))
    churn, forecast = [], []
    for database, url in targets:
        rows = _measure(database, url)
        churn += rows[0]
        forecast += rows[1]
        if database == "SQLite":
            _sqlite_remove(PEOPLE)
        else:
            _fresh_postgres(url)
    print(f"\nChurn within 30 days, demo world ({PEOPLE:,} people, {MONTHS} months): the model "
          "against the rule score (revenue_churn_backtest)\n")  # fmt: skip
    print(
        table(
            ["database", "as of", "customers", "churned", "model AUC", "rule AUC",
             "model lift@10%", "rule lift@10%", "model Brier", "rule Brier"],
            churn,
        )
    )  # fmt: skip
    print("\nMRR forecast error by months ahead: the flow model against the naive forecast "
          "(revenue_forecast_backtest, MAPE)\n")  # fmt: skip
    print(table(["database", "months ahead", "model MAPE %", "naive MAPE %"], forecast))
    if not postgres:
        print("\nOPSROOM_BENCH_DATABASE_URL is not set: PostgreSQL skipped.")
