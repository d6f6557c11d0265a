"""Performing outbox entries: claim one, perform it outside any transaction, settle it.

The claim is a conditional UPDATE (pending -> running, with a token and a lease), so of two
workers given the same entry exactly one performs it, on SQLite as on PostgreSQL. Settling is
conditional on the token too: a worker whose lease lapsed (and whose entry another worker took
over) cannot overwrite the newer outcome.
"""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.db.models import F

from opsroom.core import clock
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.registry import OutboxPermanentError, Outcome, Performer, performer_get

logger = logging.getLogger(__name__)

Status = OutboxEntry.Status


@dataclass(frozen=True)
class RunResult:
    entry_id: int
    # The entry's status after this run; "skipped" when it was not due or someone else had it,
    # "lost" when this run's claim lapsed before it could record its outcome.
    status: str
    retry_at: datetime | None = None


@dataclass(frozen=True)
class SweepResult:
    reclaimed: list[int] = field(default_factory=list)
    gave_up: list[int] = field(default_factory=list)
    due: list[int] = field(default_factory=list)


def outbox_backoff(*, attempt: int) -> timedelta:
    """The wait before attempt `attempt + 1`: exponential, capped, with jitter.

    "Equal jitter": half the exponential delay is kept, the other half is random, so retries
    of entries that failed together (a provider outage) spread out instead of arriving at once.
    """
    base = settings.OPSROOM_OUTBOX_BACKOFF_SECONDS
    ceiling = min(settings.OPSROOM_OUTBOX_BACKOFF_MAX_SECONDS, base * 2 ** max(attempt - 1, 0))
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))


def _error_text(exc: BaseException) -> str:
    text = str(exc)
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:2000]


def outbox_entry_run(*, entry_id: int) -> RunResult:
    """Claim an entry, perform it, and settle it: done, retried later, failed or given up."""
    now = clock.now()
    token = uuid4().hex
    lease = timedelta(seconds=settings.OPSROOM_OUTBOX_LEASE_SECONDS)
    # durable: performing inside someone's transaction would hold its locks across the network
    # call and leave a side effect that a rollback cannot undo; this refuses to.
    with transaction.atomic(durable=True):
        claimed = OutboxEntry.objects.filter(
            pk=entry_id, status=Status.PENDING, next_attempt_at__lte=now
        ).update(
            status=Status.RUNNING,
            attempts=F("attempts") + 1,
            claim_token=token,
            lease_expires_at=now + lease,
            updated_at=now,
        )
    if not claimed:
        return RunResult(entry_id, "skipped")
    entry = OutboxEntry.objects.get(pk=entry_id)
    performer = performer_get(entry.kind)
    if performer is None:
        error = f"No installed app performs entries of kind {entry.kind!r}."
        return _settle_failure(entry, token, None, error, permanent=True)
    try:
        outcome = performer.perform(entry)
    except OutboxPermanentError as exc:
        # The performer's message is written for operators; its class name adds nothing.
        return _settle_failure(entry, token, performer, str(exc)[:2000], permanent=True)
    except Exception as exc:
        logger.warning("outbox entry %s (%s) failed: %s", entry.pk, entry.kind, exc)
        return _settle_failure(entry, token, performer, _error_text(exc), permanent=False)
    try:
        return _settle_done(entry, token, performer, outcome)
    except Exception as exc:
        # Recording rolled back; the entry is retried and `perform`, being idempotent, finds
        # the side effect already made.
        logger.exception("outbox entry %s (%s): recording the outcome failed", entry.pk, entry.kind)
        error = f"Recording the outcome failed: {_error_text(exc)}"
        return _settle_failure(entry, token, performer, error, permanent=False)


def _settle_done(
    entry: OutboxEntry, token: str, performer: Performer, outcome: Outcome
) -> RunResult:
    now = clock.now()
    with transaction.atomic(durable=True):
        settled = OutboxEntry.objects.filter(
            pk=entry.pk, status=Status.RUNNING, claim_token=token
        ).update(
            status=Status.DONE,
            outcome=outcome,
            last_error="",
            claim_token="",
            lease_expires_at=None,
            done_at=now,
            updated_at=now,
        )
        if not settled:
            return RunResult(entry.pk, "lost")
        entry.status, entry.outcome, entry.last_error, entry.done_at = Status.DONE, outcome, "", now
        if performer.on_done is not None:
            performer.on_done(entry)
    return RunResult(entry.pk, Status.DONE)


def _settle_failure(
    entry: OutboxEntry,
    token: str,
    performer: Performer | None,
    error: str,
    *,
    permanent: bool,
    retry_at: datetime | None = None,
) -> RunResult:
    now = clock.now()
    if permanent:
        status, retry_at = Status.FAILED, None
    elif entry.attempts >= settings.OPSROOM_OUTBOX_MAX_ATTEMPTS:
        status, retry_at = Status.DEAD, None
    else:
        status = Status.PENDING
        retry_at = retry_at or now + outbox_backoff(attempt=entry.attempts)
    with transaction.atomic(durable=True):
        settled = OutboxEntry.objects.filter(
            pk=entry.pk, status=Status.RUNNING, claim_token=token
        ).update(
            status=status,
            last_error=error,
            next_attempt_at=retry_at or F("next_attempt_at"),
            enqueued_at=now if retry_at else F("enqueued_at"),
            claim_token="",
            lease_expires_at=None,
            updated_at=now,
        )
        if not settled:
            return RunResult(entry.pk, "lost")
        entry.status, entry.last_error = status, error
        if status != Status.PENDING and performer is not None and performer.on_failed:
            _on_failed(entry, performer.on_failed)
    return RunResult(entry.pk, status, retry_at)


def _on_failed(entry: OutboxEntry, on_failed: Callable[[OutboxEntry], None]) -> None:
    try:
        with transaction.atomic():
            on_failed(entry)
    except Exception as exc:
        # The entry is settled all the same; an error here must not keep it running forever.
        logger.exception("outbox entry %s (%s): on_failed raised", entry.pk, entry.kind)
        entry.last_error = f"{entry.last_error}\n(recording the failure failed: {exc})"[:4000]
        OutboxEntry.objects.filter(pk=entry.pk).update(last_error=entry.last_error)


def outbox_sweep_run(*, now: datetime, limit: int = 1000) -> SweepResult:
    """Free entries whose worker died mid-flight (lease lapsed), and list the pending entries
    that are due but were not queued recently (their task was lost), marking them queued."""
    reclaimed: list[int] = []
    gave_up: list[int] = []
    stale = OutboxEntry.objects.filter(status=Status.RUNNING, lease_expires_at__lt=now)
    for entry in stale.order_by("lease_expires_at")[:limit]:
        error = (
            "The worker stopped before recording the outcome "
            f"(its claim lapsed at {entry.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC)."
        )
        performer = performer_get(entry.kind)
        token = entry.claim_token
        result = _settle_failure(entry, token, performer, error, permanent=False, retry_at=now)
        if result.status == Status.PENDING:
            reclaimed.append(entry.pk)
        elif result.status == Status.DEAD:
            gave_up.append(entry.pk)
    grace = now - timedelta(seconds=settings.OPSROOM_OUTBOX_LEASE_SECONDS)
    waiting = OutboxEntry.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=grace, enqueued_at__lte=grace
    )
    due = list(waiting.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    OutboxEntry.objects.filter(pk__in=due, status=Status.PENDING).update(enqueued_at=now)
    return SweepResult(reclaimed=reclaimed, gave_up=gave_up, due=reclaimed + due)
