"""The outbox: intents written in the caller's transaction, queued on commit, performed once
by whichever worker claims them, retried with backoff up to a limit, swept when stuck."""

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from opsroom.core import clock
from opsroom.core.models import AuditEntry, OutboxEntry
from opsroom.core.outbox import registry
from opsroom.core.outbox.registry import OutboxPermanentError, Performer
from opsroom.core.outbox.runner import outbox_backoff, outbox_entry_run, outbox_sweep_run
from opsroom.core.outbox.selectors import outbox_entries_for_target
from opsroom.core.outbox.services import (
    OutboxStateError,
    outbox_enqueue,
    outbox_entry_cancel,
    outbox_entry_retry,
)
from opsroom.core.outbox.tasks import outbox_sweep
from opsroom.core.schedule import SCHEDULE
from opsroom.core.services.audit import AuditContext
from opsroom.core.tests.outbox_worker import (
    PERFORM_TASK,
    WorkerKilled,
    outbox_tasks_queued,
    outbox_tasks_run,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KIND = "test.probe"


@dataclass
class Probe:
    """A side effect that records each call; it raises the queued failures first."""

    calls: list[int] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str, str]] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    during: Any = None  # called inside perform: another worker arriving mid-flight

    def perform(self, entry: OutboxEntry) -> dict[str, Any]:
        self.calls.append(entry.pk)
        if self.during is not None:
            self.during(entry)
        if self.failures:
            raise self.failures.pop(0)
        return {"performed": entry.payload["n"], "call": len(self.calls)}


@pytest.fixture
def probe(monkeypatch):
    probe = Probe()
    performer = Performer(
        kind=KIND,
        label="Probe",
        perform=probe.perform,
        on_done=lambda entry: probe.done.append(entry.pk),
        on_failed=lambda entry: probe.failed.append((entry.pk, entry.status, entry.last_error)),
        on_retry=lambda entry: probe.retried.append(entry.pk),
    )
    monkeypatch.setitem(registry._PERFORMERS, KIND, performer)
    return probe


@pytest.fixture
def worker_mode(settings):
    """Entries wait for a worker (the production default) instead of running on commit."""
    settings.OPSROOM_OUTBOX_INLINE = False
    settings.OPSROOM_OUTBOX_BACKOFF_SECONDS = 30
    settings.OPSROOM_OUTBOX_BACKOFF_MAX_SECONDS = 3600
    settings.OPSROOM_OUTBOX_LEASE_SECONDS = 300
    settings.OPSROOM_OUTBOX_MAX_ATTEMPTS = 8


def _enqueue(n: int = 1, **kwargs: Any) -> OutboxEntry:
    return outbox_enqueue(
        kind=KIND,
        payload={"n": n},
        idempotency_key=kwargs.pop("key", f"probe:{n}"),
        audit=AuditContext.system("tests"),
        **kwargs,
    )


pytestmark = pytest.mark.django_db


def test_the_entry_is_written_in_the_transaction_and_queued_only_on_commit(probe, worker_mode):
    with transaction.atomic():
        entry = _enqueue()
        assert OutboxEntry.objects.filter(pk=entry.pk, status="pending").exists()
        assert outbox_tasks_queued() == []  # nothing leaves before the commit
    assert outbox_tasks_queued() == [entry.pk]
    assert probe.calls == []  # the worker performs it, not the transaction


def test_a_rolled_back_transaction_performs_nothing(probe, settings):
    settings.OPSROOM_OUTBOX_INLINE = True

    def caller_fails_after_enqueueing() -> None:
        with transaction.atomic():
            _enqueue()
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        caller_fails_after_enqueueing()
    assert not OutboxEntry.objects.exists()
    assert not DBTaskResult.objects.filter(task_path=PERFORM_TASK).exists()
    assert probe.calls == []


def test_the_worker_performs_it_outside_the_transaction_and_records_the_outcome(probe, worker_mode):
    entry = _enqueue(n=7)
    assert outbox_tasks_run() == [{"entry_id": entry.pk, "status": "done"}]
    entry.refresh_from_db()
    assert (entry.status, entry.attempts, entry.outcome) == ("done", 1, {"performed": 7, "call": 1})
    assert probe.done == [entry.pk]
    assert entry.done_at is not None
    assert entry.lease_expires_at is None


def test_inline_mode_performs_right_after_the_commit(probe, settings):
    settings.OPSROOM_OUTBOX_INLINE = True
    entry = _enqueue()
    entry.refresh_from_db()
    assert entry.status == "done"
    assert probe.calls == [entry.pk]
    assert outbox_tasks_queued() == []


def test_performing_inside_a_transaction_is_refused(probe, worker_mode):
    entry = _enqueue()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        outbox_entry_run(entry_id=entry.pk)
    assert probe.calls == []


def test_the_same_idempotency_key_is_one_entry(probe, worker_mode):
    first = _enqueue(key="welcome:42")
    again = _enqueue(n=2, key="welcome:42")
    assert again.pk == first.pk
    assert OutboxEntry.objects.count() == 1
    assert outbox_tasks_queued() == [first.pk]


def test_an_unknown_kind_is_refused():
    with pytest.raises(LookupError, match="no installed app performs outbox entries"):
        outbox_enqueue(
            kind="fax.send", payload={}, idempotency_key="k", audit=AuditContext.system()
        )


def test_the_apps_register_their_side_effects():
    assert {"email.send", "stripe.comp_grant"} <= set(registry.performer_kinds())


def test_a_kind_cannot_be_registered_twice():
    held = registry.performer_get("email.send")
    registry.performer_register(held)  # the same performer again (ready() run twice): fine
    with pytest.raises(ImproperlyConfigured, match=r"'email\.send' is registered twice"):
        registry.performer_register(Performer(kind="email.send", label="x", perform=dict))
    assert registry.performer_get("email.send") is held


def test_the_entry_remembers_who_caused_it_and_what_it_concerns(probe, worker_mode, staff_admin):
    audit = AuditContext(actor=staff_admin, label="ada", ip="10.0.0.9", user_agent="Firefox")
    entry = outbox_enqueue(
        kind=KIND,
        payload={"n": 1},
        idempotency_key="k1",
        audit=audit,
        target=staff_admin,
    )
    assert (entry.actor, entry.actor_label, entry.actor_ip) == (staff_admin, "ada", "10.0.0.9")
    assert (entry.target_type, entry.target_id) == ("core.user", str(staff_admin.pk))


def test_a_records_entries_are_listed_for_its_page(probe, worker_mode, staff_admin, staff_support):
    with clock.clock_frozen_at(T0):
        first = _enqueue(n=1, target=staff_admin)
    with clock.clock_frozen_at(T0 + timedelta(minutes=1)):
        second = _enqueue(n=2, target=staff_admin)
    _enqueue(n=3, target=staff_support)
    listed = outbox_entries_for_target(target_type="core.user", target_id=str(staff_admin.pk))
    assert [entry.pk for entry in listed] == [second.pk, first.pk]


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [(1, 15, 30), (2, 30, 60), (4, 120, 240), (12, 1800, 3600)],
    ids=["first", "second", "fourth", "capped"],
)
def test_the_backoff_doubles_with_jitter_up_to_the_cap(worker_mode, attempt, low, high):
    waits = [outbox_backoff(attempt=attempt).total_seconds() for _ in range(200)]
    assert min(waits) >= low
    assert max(waits) <= high
    assert len({round(wait, 3) for wait in waits}) > 100  # jittered, not one fixed wait


def test_a_transient_failure_is_retried_after_the_backoff(probe, worker_mode):
    probe.failures = [ConnectionError("provider unreachable")]
    with clock.clock_frozen_at(T0):
        entry = _enqueue()
        outbox_tasks_run()
    entry.refresh_from_db()
    assert (entry.status, entry.attempts) == ("pending", 1)
    assert entry.last_error == "ConnectionError: provider unreachable"
    wait = (entry.next_attempt_at - T0).total_seconds()
    assert 15 <= wait <= 30
    retry = DBTaskResult.objects.get(task_path=PERFORM_TASK, status="READY")
    assert retry.run_after == entry.next_attempt_at  # queued to run when it is due
    with clock.clock_frozen_at(entry.next_attempt_at - timedelta(seconds=1)):
        assert outbox_entry_run(entry_id=entry.pk).status == "skipped"  # not before
        assert outbox_tasks_run() == []
    with clock.clock_frozen_at(entry.next_attempt_at):
        outbox_tasks_run()
    entry.refresh_from_db()
    assert (entry.status, entry.attempts, entry.last_error) == ("done", 2, "")
    assert probe.calls == [entry.pk, entry.pk]


def test_after_the_last_allowed_attempt_the_outbox_gives_up(probe, worker_mode, settings):
    settings.OPSROOM_OUTBOX_MAX_ATTEMPTS = 3
    probe.failures = [TimeoutError("no answer") for _ in range(5)]
    now = T0
    with clock.clock_frozen_at(now):
        entry = _enqueue()
    for _ in range(3):
        with clock.clock_frozen_at(now):
            outbox_tasks_run()
        entry.refresh_from_db()
        now = entry.next_attempt_at
    assert (entry.status, entry.attempts) == ("dead", 3)
    assert len(probe.calls) == 3
    assert probe.failed == [(entry.pk, "dead", "TimeoutError: no answer")]
    assert outbox_tasks_queued() == []  # no fourth attempt is queued
    with clock.clock_frozen_at(now + timedelta(days=1)):
        assert outbox_sweep_run(now=clock.now()).due == []


def test_a_permanent_failure_is_not_retried(probe, worker_mode):
    probe.failures = [OutboxPermanentError("The provider refused: no such address.")]
    entry = _enqueue()
    outbox_tasks_run()
    entry.refresh_from_db()
    assert (entry.status, entry.attempts) == ("failed", 1)
    assert entry.last_error == "The provider refused: no such address."
    assert probe.failed == [(entry.pk, "failed", "The provider refused: no such address.")]
    assert outbox_tasks_queued() == []


def test_a_second_worker_arriving_mid_flight_does_not_perform_it(probe, worker_mode):
    entry = _enqueue()
    seen = []
    probe.during = lambda entry: seen.append(outbox_entry_run(entry_id=entry.pk).status)
    assert outbox_entry_run(entry_id=entry.pk).status == "done"
    assert seen == ["skipped"]
    assert probe.calls == [entry.pk]


@pytest.mark.django_db(transaction=True)
def test_of_workers_racing_for_one_entry_exactly_one_performs_it(probe, worker_mode):
    if connection.vendor == "sqlite":
        # The test database is SQLite in memory, whose threads share one cache and get
        # "table is locked" at once instead of waiting out the busy timeout as the file
        # database does. SQLite runs one writer at a time anyway; the test above covers it.
        pytest.skip("threads racing need PostgreSQL (or a file database) to wait for locks")
    entry = _enqueue()
    start = threading.Barrier(4)
    statuses: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            statuses.append(outbox_entry_run(entry_id=entry.pk).status)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(statuses) == ["done", "skipped", "skipped", "skipped"]
    assert probe.calls == [entry.pk]
    assert OutboxEntry.objects.get(pk=entry.pk).attempts == 1


def test_a_worker_killed_mid_flight_is_retried_once_its_lease_lapses(probe, worker_mode):
    probe.failures = [WorkerKilled()]
    with clock.clock_frozen_at(T0):
        entry = _enqueue()
        with pytest.raises(WorkerKilled):
            outbox_tasks_run()
    entry.refresh_from_db()
    assert entry.status == "running"
    assert entry.lease_expires_at == T0 + timedelta(seconds=300)
    with clock.clock_frozen_at(T0 + timedelta(seconds=299)):
        assert outbox_sweep.call() == {"reclaimed": 0, "gave_up": 0, "due": 0}
    with clock.clock_frozen_at(T0 + timedelta(seconds=301)):
        assert outbox_sweep.call() == {"reclaimed": 1, "gave_up": 0, "due": 1}
        entry.refresh_from_db()
        assert entry.status == "pending"
        assert "The worker stopped before recording the outcome" in entry.last_error
        outbox_tasks_run()
    entry.refresh_from_db()
    assert (entry.status, entry.attempts) == ("done", 2)
    assert probe.calls == [entry.pk, entry.pk]


def test_a_worker_killed_at_its_last_attempt_gives_up(probe, worker_mode, settings):
    settings.OPSROOM_OUTBOX_MAX_ATTEMPTS = 1
    probe.failures = [WorkerKilled()]
    with clock.clock_frozen_at(T0):
        entry = _enqueue()
        with pytest.raises(WorkerKilled):
            outbox_tasks_run()
    with clock.clock_frozen_at(T0 + timedelta(hours=1)):
        assert outbox_sweep.call() == {"reclaimed": 0, "gave_up": 1, "due": 0}
    entry.refresh_from_db()
    assert entry.status == "dead"
    assert probe.failed[0][:2] == (entry.pk, "dead")


def test_a_worker_whose_lease_lapsed_cannot_overwrite_the_newer_outcome(probe, worker_mode):
    later = T0 + timedelta(minutes=10)

    def lease_lapses_and_another_worker_takes_over(entry: OutboxEntry) -> None:
        if len(probe.calls) == 1:
            with clock.clock_frozen_at(later):
                outbox_sweep_run(now=later)
                assert outbox_entry_run(entry_id=entry.pk).status == "done"

    probe.during = lease_lapses_and_another_worker_takes_over
    with clock.clock_frozen_at(T0):
        entry = _enqueue()
        assert outbox_entry_run(entry_id=entry.pk).status == "lost"
    entry.refresh_from_db()
    assert entry.status == "done"
    assert entry.outcome == {"performed": 1, "call": 2}  # the second worker's, kept
    assert probe.done == [entry.pk]  # recorded once


def test_the_sweep_queues_entries_whose_task_was_lost(probe, worker_mode):
    with clock.clock_frozen_at(T0):
        lost = _enqueue(n=1)
    DBTaskResult.objects.all().delete()  # the queue lost it (e.g. restored from a backup)
    with clock.clock_frozen_at(T0 + timedelta(minutes=10)):
        fresh = _enqueue(n=2)
        swept = outbox_sweep_run(now=clock.now())
    assert swept.due == [lost.pk]
    assert fresh.pk not in swept.due  # just queued: its task is on its way
    with clock.clock_frozen_at(T0 + timedelta(minutes=11)):
        assert outbox_sweep_run(now=clock.now()).due == []  # not queued twice in a row


def test_the_sweep_runs_every_five_minutes():
    job = SCHEDULE["outbox_sweep"]
    assert job.cron == "*/5 * * * *"
    assert import_string(job.task) is outbox_sweep


def test_an_operator_retries_a_failed_entry_with_fresh_attempts(probe, worker_mode, staff_admin):
    probe.failures = [OutboxPermanentError("refused")]
    entry = _enqueue()
    outbox_tasks_run()
    audit = AuditContext(actor=staff_admin, label="ada")
    retried = outbox_entry_retry(entry_id=entry.pk, audit=audit)
    assert (retried.status, retried.attempts) == ("pending", 0)
    assert probe.retried == [entry.pk]
    assert outbox_tasks_queued() == [entry.pk]
    outbox_tasks_run()
    entry.refresh_from_db()
    assert (entry.status, entry.attempts) == ("done", 1)
    record = AuditEntry.objects.get(action="outbox.retry")
    assert (record.actor, record.target_id) == (staff_admin, str(entry.pk))
    assert record.params["from_status"] == "failed"
    assert record.params["last_error"] == "refused"


def test_a_done_entry_cannot_be_retried_nor_canceled(probe, worker_mode):
    entry = _enqueue()
    outbox_tasks_run()
    with pytest.raises(OutboxStateError, match="This entry is done; only pending, failed"):
        outbox_entry_retry(entry_id=entry.pk, audit=AuditContext.system())
    with pytest.raises(OutboxStateError, match="This entry is done"):
        outbox_entry_cancel(entry_id=entry.pk, audit=AuditContext.system())
    assert not AuditEntry.objects.filter(action__startswith="outbox.").exists()


def test_a_canceled_entry_is_not_performed(probe, worker_mode, staff_admin):
    entry = _enqueue()
    outbox_entry_cancel(entry_id=entry.pk, audit=AuditContext(actor=staff_admin, label="ada"))
    outbox_tasks_run()
    entry.refresh_from_db()
    assert entry.status == "canceled"
    assert entry.last_error == "Canceled by ada."
    assert probe.calls == []
    assert probe.failed == [(entry.pk, "canceled", "Canceled by ada.")]
    assert AuditEntry.objects.get(action="outbox.cancel").actor == staff_admin


def test_a_running_entry_cannot_be_canceled(probe, worker_mode):
    entry = _enqueue()
    probe.failures = [WorkerKilled()]
    with pytest.raises(WorkerKilled):
        outbox_tasks_run()
    with pytest.raises(OutboxStateError, match="It is being performed now"):
        outbox_entry_cancel(entry_id=entry.pk, audit=AuditContext.system())
