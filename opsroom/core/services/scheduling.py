"""Claiming periodic job slots: each (job, slot) is enqueued by exactly one scheduler."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from opsroom.core.models import ScheduleSlot
from opsroom.core.schedule import SCHEDULE, due_slot


def schedule_tick(*, now: datetime) -> list[ScheduleSlot]:
    """Enqueue every job whose latest due slot is not claimed yet; return the new claims."""
    claimed = []
    for name, job in SCHEDULE.items():
        slot_at = due_slot(name, now=now)
        try:
            with transaction.atomic():
                slot = ScheduleSlot.objects.create(job=name, slot_at=slot_at, claimed_at=now)
                result = import_string(job.task).enqueue()
                slot.task_result_id = str(result.id)
                slot.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue  # another scheduler claimed this slot first
        claimed.append(slot)
    return claimed
