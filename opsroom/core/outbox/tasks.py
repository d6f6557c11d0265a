"""The outbox's tasks: perform one entry (queued on commit), and the periodic sweep."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django_tasks import task

from opsroom.core import clock
from opsroom.core.outbox.runner import outbox_entry_run, outbox_sweep_run


@task()
def outbox_entry_perform(*, entry_id: int) -> dict[str, Any]:
    """Perform one outbox entry (claimed first: two workers never both perform it)."""
    result = outbox_entry_run(entry_id=entry_id)
    if result.retry_at is not None:
        outbox_entry_queue(entry_id=entry_id, run_after=result.retry_at)
    return {"entry_id": entry_id, "status": result.status}


@task()
def outbox_sweep() -> dict[str, Any]:
    """Queue due retries, and entries whose worker died mid-flight once their lease lapsed."""
    swept = outbox_sweep_run(now=clock.now())
    for entry_id in swept.due:
        outbox_entry_queue(entry_id=entry_id)
    return {name: len(ids) for name, ids in asdict(swept).items()}


def outbox_entry_queue(*, entry_id: int, run_after: datetime | None = None) -> None:
    """Queue the task that performs an entry (or, with OPSROOM_OUTBOX_INLINE, perform it here
    and now); a retry waits until `run_after` where the tasks backend can defer."""
    if run_after is None and settings.OPSROOM_OUTBOX_INLINE:
        outbox_entry_perform.call(entry_id=entry_id)
        return
    perform = outbox_entry_perform
    if run_after is not None:
        if not perform.get_backend().supports_defer:
            return  # the sweep queues it once it is due
        perform = perform.using(run_after=run_after)
    perform.enqueue(entry_id=entry_id)
