"""Writes of the outbox: an intent in the caller's transaction; operators' retry and cancel."""

from functools import partial
from typing import Any

from django.db import IntegrityError, models, transaction

from opsroom.core import clock
from opsroom.core.errors import Conflict
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.registry import performer_get
from opsroom.core.outbox.tasks import outbox_entry_queue
from opsroom.core.services.audit import AuditContext, audit_record


class OutboxStateError(Conflict):
    """The entry is not in a state that allows what was asked (e.g. cancel a running entry)."""


@transaction.atomic
def outbox_enqueue(
    *,
    kind: str,
    payload: dict[str, Any],
    idempotency_key: str,
    audit: AuditContext,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
) -> OutboxEntry:
    """Write a side effect in the caller's transaction; it is queued when that transaction
    commits, and nothing happens if it rolls back. A key already written returns its entry."""
    if performer_get(kind) is None:
        raise LookupError(f"no installed app performs outbox entries of kind {kind!r}")
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_label = target_label or str(target)
    now = clock.now()
    try:
        with transaction.atomic():
            entry = OutboxEntry.objects.create(
                kind=kind,
                payload=payload,
                idempotency_key=idempotency_key,
                next_attempt_at=now,
                enqueued_at=now,
                target_type=target_type,
                target_id=target_id[:100],
                target_label=target_label[:200],
                actor=audit.actor,
                api_key=audit.api_key,
                actor_label=audit.label[:150],
                actor_ip=audit.ip,
                actor_user_agent=audit.user_agent[:300],
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        held = OutboxEntry.objects.filter(idempotency_key=idempotency_key).first()
        if held is None:
            raise
        return held
    # robust: the intent is committed whatever happens here; the sweep queues it if this fails.
    transaction.on_commit(partial(outbox_entry_queue, entry_id=entry.pk), robust=True)
    return entry


def outbox_entry_audit_context(entry: OutboxEntry) -> AuditContext:
    """The audit context of whoever caused an entry, to audit its outcome in their name."""
    return AuditContext(
        actor=entry.actor,
        api_key=entry.api_key,
        label=entry.actor_label,
        ip=entry.actor_ip,
        user_agent=entry.actor_user_agent,
    )


def _audit(audit: AuditContext, action: str, entry: OutboxEntry, **params: Any) -> None:
    audit_record(
        audit,
        action=action,
        target=entry,
        params={
            "kind": entry.kind,
            "concerns": f"{entry.target_type}:{entry.target_id}" if entry.target_type else "",
            **params,
        },
    )


@transaction.atomic
def outbox_entry_retry(*, entry_id: int, audit: AuditContext) -> OutboxEntry:
    """Perform an entry again now: a failed, given-up or canceled one with a fresh set of
    attempts, or a pending one without waiting for its backoff."""
    entry = OutboxEntry.objects.select_for_update().get(pk=entry_id)
    if not entry.is_retryable:
        raise OutboxStateError(
            f"This entry is {entry.get_status_display().lower()}; only pending, failed, "
            "given-up or canceled entries can be retried."
        )
    previous = entry.status
    previous_attempts = entry.attempts
    now = clock.now()
    entry.status = OutboxEntry.Status.PENDING
    entry.next_attempt_at = now
    entry.enqueued_at = now
    entry.updated_at = now
    if previous != OutboxEntry.Status.PENDING:
        entry.attempts = 0
    entry.save(update_fields=["status", "next_attempt_at", "enqueued_at", "updated_at", "attempts"])
    performer = performer_get(entry.kind)
    if previous != OutboxEntry.Status.PENDING and performer is not None and performer.on_retry:
        performer.on_retry(entry)
    _audit(
        audit,
        "outbox.retry",
        entry,
        from_status=previous,
        attempts=previous_attempts,
        last_error=entry.last_error[:300],
    )
    transaction.on_commit(partial(outbox_entry_queue, entry_id=entry.pk), robust=True)
    return entry


@transaction.atomic
def outbox_entry_cancel(*, entry_id: int, audit: AuditContext) -> OutboxEntry:
    """Give up an entry that has not been performed (pending, failed or given up)."""
    entry = OutboxEntry.objects.select_for_update().get(pk=entry_id)
    if not entry.is_cancelable:
        running = entry.status == OutboxEntry.Status.RUNNING
        hint = " It is being performed now; wait for its outcome." if running else ""
        raise OutboxStateError(
            f"This entry is {entry.get_status_display().lower()}; only pending, failed or "
            f"given-up entries can be canceled.{hint}"
        )
    previous = entry.status
    now = clock.now()
    entry.status = OutboxEntry.Status.CANCELED
    entry.last_error = entry.last_error or f"Canceled by {audit.label}."
    entry.updated_at = now
    entry.save(update_fields=["status", "last_error", "updated_at"])
    performer = performer_get(entry.kind)
    if performer is not None and performer.on_failed:
        performer.on_failed(entry)
    _audit(audit, "outbox.cancel", entry, from_status=previous, attempts=entry.attempts)
    return entry
