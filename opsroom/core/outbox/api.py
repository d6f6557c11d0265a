"""The outbox over the JSON API: list and read entries; retry or cancel one."""

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Router, Status

from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth, staff_or_key
from opsroom.core.models import OutboxEntry, User
from opsroom.core.outbox.schemas import OutboxEntryOut, OutboxErrorOut, OutboxPage
from opsroom.core.outbox.selectors import (
    OutboxFilter,
    outbox_entry_get,
    outbox_entry_list,
    outbox_status_counts,
)
from opsroom.core.outbox.services import (
    OutboxStateError,
    outbox_entry_cancel,
    outbox_entry_retry,
)
from opsroom.core.redaction import payload_redact
from opsroom.core.schemas import Text
from opsroom.core.services.audit import AuditContext

router = Router(tags=["outbox"])
PAGE_SIZE = 50
_MANAGE = [ApiKeyAuth("admin"), StaffSessionAuth()]


def _refused(request: HttpRequest, permission: str) -> Status[Any] | None:
    user = getattr(request, "auth", None)
    if isinstance(user, User) and not user.has_perm(permission):
        return Status(403, {"detail": f"You may not do this (needs {permission})."})
    return None


def _out(entry: OutboxEntry) -> OutboxEntryOut:
    return OutboxEntryOut(
        id=entry.pk,
        kind=entry.kind,
        status=entry.status,
        attempts=entry.attempts,
        next_attempt_at=entry.next_attempt_at,
        last_error=entry.last_error,
        outcome=payload_redact(entry.outcome),
        payload=payload_redact(entry.payload),
        idempotency_key=entry.idempotency_key,
        target_type=entry.target_type,
        target_id=entry.target_id,
        target_label=entry.target_label,
        actor_label=entry.actor_label,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
        done_at=entry.done_at,
    )


@router.get(
    "/outbox",
    response={200: OutboxPage, 400: OutboxErrorOut, 403: OutboxErrorOut},
    auth=staff_or_key("read"),
    operation_id="outbox_list",
)
def outbox_list(
    request: HttpRequest,
    status: Text = "",
    kind: Text = "",
    target_type: Text = "",
    target_id: Text = "",
    page: int = 1,
) -> Status[Any]:
    """Outbox entries (emails, Stripe calls), newest first, by status, kind or target."""
    refused = _refused(request, "core.view_outboxentry")
    if refused is not None:
        return refused
    if status and status not in OutboxEntry.Status.values:
        known = ", ".join(OutboxEntry.Status.values)
        return Status(400, {"detail": f"Unknown status '{status}'; use one of: {known}."})
    entries = outbox_entry_list(
        filters=OutboxFilter(status=status, kind=kind, target_type=target_type, target_id=target_id)
    )
    paginator = Paginator(entries, PAGE_SIZE)
    if page < 1 or (page > paginator.num_pages and paginator.count):
        return Status(400, {"detail": f"page must be between 1 and {paginator.num_pages}."})
    current = paginator.get_page(page)
    return Status(
        200,
        OutboxPage(
            count=paginator.count,
            page=current.number,
            pages=paginator.num_pages,
            status_counts=outbox_status_counts(),
            results=[_out(entry) for entry in current.object_list],
        ),
    )


@router.get(
    "/outbox/{entry_id}",
    response={200: OutboxEntryOut, 403: OutboxErrorOut, 404: OutboxErrorOut},
    auth=staff_or_key("read"),
    operation_id="outbox_get",
)
def outbox_get(request: HttpRequest, entry_id: int) -> Status[Any]:
    """One outbox entry, its payload redacted."""
    refused = _refused(request, "core.view_outboxentry")
    if refused is not None:
        return refused
    entry = outbox_entry_get(entry_id=entry_id)
    if entry is None:
        return Status(404, {"detail": f"There is no outbox entry {entry_id}."})
    return Status(200, _out(entry))


def _act(request: HttpRequest, entry_id: int, *, cancel: bool) -> Status[Any]:
    refused = _refused(request, "core.manage_outbox")
    if refused is not None:
        return refused
    if outbox_entry_get(entry_id=entry_id) is None:
        return Status(404, {"detail": f"There is no outbox entry {entry_id}."})
    audit = AuditContext.from_request(request)
    act = outbox_entry_cancel if cancel else outbox_entry_retry
    try:
        entry = act(entry_id=entry_id, audit=audit)
    except OutboxStateError as exc:
        return Status(409, {"detail": exc.message})
    entry.refresh_from_db()
    return Status(200, _out(entry))


@router.post(
    "/outbox/{entry_id}/retry",
    response={200: OutboxEntryOut, 403: OutboxErrorOut, 404: OutboxErrorOut, 409: OutboxErrorOut},
    auth=_MANAGE,
    operation_id="outbox_retry",
)
def outbox_retry(request: HttpRequest, entry_id: int) -> Status[Any]:
    """Perform a failed, given-up or canceled entry again (or a pending one now); audited."""
    return _act(request, entry_id, cancel=False)


@router.post(
    "/outbox/{entry_id}/cancel",
    response={200: OutboxEntryOut, 403: OutboxErrorOut, 404: OutboxErrorOut, 409: OutboxErrorOut},
    auth=_MANAGE,
    operation_id="outbox_cancel",
)
def outbox_cancel(request: HttpRequest, entry_id: int) -> Status[Any]:
    """Give up an entry that has not been performed; audited."""
    return _act(request, entry_id, cancel=True)
