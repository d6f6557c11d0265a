from datetime import timedelta

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from opsroom.core import clock
from opsroom.core.models import ScheduleSlot

RETENTION = timedelta(days=14)


@task()
def task_results_prune() -> dict[str, int]:
    """Delete finished task results and claimed schedule slots past the retention period."""
    cutoff = clock.now() - RETENTION
    results, _ = DBTaskResult.objects.filter(
        status__in=["SUCCESSFUL", "FAILED"], finished_at__lt=cutoff
    ).delete()
    slots, _ = ScheduleSlot.objects.filter(slot_at__lt=cutoff).delete()
    return {"task_results": results, "schedule_slots": slots}
