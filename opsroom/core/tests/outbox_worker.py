"""Driving the outbox in tests as a worker would: run the queued tasks, or kill the worker.

`outbox_tasks_run` runs the outbox tasks that django-tasks-db holds (those due at the
clock's time), the way `db_worker` does. `WorkerKilled` stands for a worker killed mid-flight
(SIGKILL, OOM, a deploy): a BaseException, so no `except Exception` records anything after it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult, get_date_max

from opsroom.core import clock
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox import registry

PERFORM_TASK = "opsroom.core.outbox.tasks.outbox_entry_perform"


class WorkerKilled(BaseException):
    """The worker process died here; nothing after this line ran."""


def outbox_tasks_run() -> list[dict[str, Any]]:
    """Run every queued outbox task that is due now (by Opsroom's clock), oldest first."""
    from opsroom.core.outbox.tasks import outbox_entry_perform

    results: list[dict[str, Any]] = []
    while True:
        now = clock.now()
        due = [
            row
            for row in DBTaskResult.objects.filter(task_path=PERFORM_TASK, status="READY").order_by(
                "enqueued_at"
            )
            if row.run_after == get_date_max() or row.run_after <= now
        ]
        if not due:
            return results
        row = due[0]
        row.claim("test-worker")
        result = outbox_entry_perform.call(**row.args_kwargs["kwargs"])
        row.set_successful(result)
        results.append(result)


def outbox_tasks_queued() -> list[int]:
    """The entry ids of the outbox tasks waiting in the queue."""
    rows = DBTaskResult.objects.filter(task_path=PERFORM_TASK, status="READY")
    return [row.args_kwargs["kwargs"]["entry_id"] for row in rows.order_by("enqueued_at")]


@contextmanager
def killed_after_perform(monkeypatch: pytest.MonkeyPatch, kind: str) -> Iterator[list[Any]]:
    """Let the performer of `kind` do its side effect, then kill the worker before the outbox
    records anything; yields the outcomes the killed attempts had in hand."""
    performer = registry.performer_get(kind)
    assert performer is not None
    lost: list[Any] = []
    real: Callable[[OutboxEntry], dict[str, Any]] = performer.perform

    def perform_then_die(entry: OutboxEntry) -> dict[str, Any]:
        lost.append(real(entry))
        raise WorkerKilled

    monkeypatch.setitem(registry._PERFORMERS, kind, replace(performer, perform=perform_then_die))
    try:
        yield lost
    finally:
        monkeypatch.setitem(registry._PERFORMERS, kind, performer)
