"""Background work of the revenue command center. Each task is safe to run twice."""

from typing import Any

from django_tasks import task

from opsroom.revenue.metrics.services import mrr_ledger_update


@task()
def revenue_ledger_update() -> dict[str, Any]:
    """Take in new subscription changes and ended discounts; refresh snapshots and the overview."""
    run = mrr_ledger_update()
    return {
        "rebuilt": run.rebuilt,
        "people": run.people,
        "movements": run.movements,
        "from_day": run.from_day.isoformat() if run.from_day else None,
        "seconds": round(run.seconds, 2),
    }
