from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from opsroom.core import clock
from opsroom.core.models import ScheduleSlot
from opsroom.core.schedule import SCHEDULE, due_slot, next_run
from opsroom.core.services.scheduling import schedule_tick
from opsroom.core.tasks import task_results_prune

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_the_due_slot_is_the_latest_at_or_before_now():
    assert due_slot("task_results_prune", now=NOW) == datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    exact = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    assert due_slot("task_results_prune", now=exact) == exact
    assert next_run("task_results_prune", after=NOW) == datetime(2026, 11, 25, 3, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_two_schedulers_enqueue_each_slot_once():
    first = schedule_tick(now=NOW)
    second = schedule_tick(now=NOW)  # a second scheduler, same moment
    assert [slot.job for slot in first] == list(SCHEDULE)
    assert second == []
    assert ScheduleSlot.objects.count() == len(SCHEDULE)
    assert DBTaskResult.objects.count() == len(SCHEDULE)
    assert {slot.task_result_id for slot in ScheduleSlot.objects.all()} == {
        str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)
    }


@pytest.mark.django_db
def test_the_next_slot_is_enqueued_when_it_comes():
    schedule_tick(now=NOW)
    later = datetime(2026, 11, 25, 3, 31, tzinfo=UTC)
    enqueued = schedule_tick(now=later)
    assert [slot.slot_at for slot in enqueued if slot.job == "task_results_prune"] == [
        datetime(2026, 11, 25, 3, 30, tzinfo=UTC)
    ]


@pytest.mark.django_db
def test_the_prune_task_deletes_only_old_finished_runs():
    with clock.clock_frozen_at(NOW):
        schedule_tick(now=datetime(2026, 10, 1, 4, 0, tzinfo=UTC))
        DBTaskResult.objects.update(
            status="SUCCESSFUL", finished_at=datetime(2026, 10, 1, 4, 1, tzinfo=UTC)
        )
        schedule_tick(now=NOW)
        outcome = task_results_prune.call()
    # Every job's October run and slot are old enough to go; this month's stay.
    assert outcome == {"task_results": len(SCHEDULE), "schedule_slots": len(SCHEDULE)}
    assert DBTaskResult.objects.count() == len(SCHEDULE)


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection
def test_the_worker_runs_what_the_scheduler_enqueued():
    schedule_tick(now=clock.now())
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    statuses = list(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == ["SUCCESSFUL"] * len(SCHEDULE)


@pytest.mark.django_db
def test_the_scheduler_command_runs_once_and_refuses_a_bad_interval(capsys):
    call_command("opsroom_scheduler", once=True)
    assert "Enqueued task_results_prune" in capsys.readouterr().out
    with pytest.raises(CommandError, match="positive"):
        call_command("opsroom_scheduler", interval=0, once=True)


@pytest.mark.django_db
def test_the_jobs_page_shows_runs_failures_and_the_schedule(staff_admin, staff_analyst):
    from conftest import signed_in

    schedule_tick(now=NOW)
    DBTaskResult.objects.update(
        status="FAILED", exception_class_path="builtins.ValueError", traceback="Traceback: boom"
    )
    response = signed_in(staff_admin).get("/debug/jobs/", {"status": "FAILED"})
    assert response.status_code == 200
    assert b"Traceback: boom" in response.content
    assert response.context["counts"] == {"FAILED": len(SCHEDULE)}
    assert response.context["schedule"][0]["last_slot"] == datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    assert signed_in(staff_analyst).get("/debug/jobs/").status_code == 403
