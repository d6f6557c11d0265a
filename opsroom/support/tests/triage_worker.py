"""Running the queued triage tasks as `db_worker` would (tests have no worker process)."""

from typing import Any

from django_tasks_db.models import DBTaskResult

TRIAGE_TASK = "opsroom.support.tasks.tickets_triage"


def triage_tasks_queued() -> list[list[int]]:
    """The ticket ids of each queued triage task, oldest first."""
    rows = DBTaskResult.objects.filter(task_path=TRIAGE_TASK, status="READY").order_by(
        "enqueued_at"
    )
    return [row.args_kwargs["kwargs"]["ticket_ids"] for row in rows]


def triage_tasks_run() -> list[dict[str, Any]]:
    """Run every queued triage task, oldest first."""
    from opsroom.support.tasks import tickets_triage

    results = []
    for row in DBTaskResult.objects.filter(task_path=TRIAGE_TASK, status="READY").order_by(
        "enqueued_at"
    ):
        row.claim("test-worker")
        result = tickets_triage.call(**row.args_kwargs["kwargs"])
        row.set_successful(result)
        results.append(result)
    return results
