"""The outbox page: side effects with their attempts, errors and outcomes; retry and cancel."""

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.forms import OutboxFilterForm
from opsroom.core.outbox.registry import performer_get
from opsroom.core.outbox.selectors import outbox_entry_list, outbox_kinds, outbox_status_counts
from opsroom.core.outbox.services import (
    OutboxStateError,
    outbox_entry_cancel,
    outbox_entry_retry,
)
from opsroom.core.redaction import payload_redact
from opsroom.core.selectors import AuditFilter, audit_entry_list
from opsroom.core.services.audit import AuditContext


def _shown(value: Any) -> str:
    return json.dumps(payload_redact(value), indent=2, ensure_ascii=False, sort_keys=True)


@require_GET
@permission_required("core.view_outboxentry", raise_exception=True)
def outbox_list(request: HttpRequest) -> HttpResponse:
    """Outbox entries with filters; failed ones can be retried or canceled from here."""
    form = OutboxFilterForm(request.GET or None, kinds=outbox_kinds())
    valid = form.is_valid() or not request.GET
    entries = outbox_entry_list(filters=form.filters()) if valid else None
    page = Paginator(entries, 50).get_page(request.GET.get("page")) if entries is not None else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/outbox/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "counts": outbox_status_counts(),
            "here": request.get_full_path(),
        },
        status=200 if valid else 400,
    )


@require_GET
@permission_required("core.view_outboxentry", raise_exception=True)
def outbox_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    """One entry: what it does (payload, redacted), its attempts, error, outcome and history."""
    entry = get_object_or_404(OutboxEntry, pk=entry_id)
    performer = performer_get(entry.kind)
    history = audit_entry_list(
        filters=AuditFilter(target_type="core.outboxentry", target_id=str(entry.pk))
    )[:50]
    return render(
        request,
        "core/outbox/detail.html",
        {
            "entry": entry,
            "label": performer.label if performer else "(no installed app performs this kind)",
            "payload": _shown(entry.payload),
            "outcome": _shown(entry.outcome) if entry.outcome else "",
            "history": history,
            "here": request.get_full_path(),
        },
    )


def _back(request: HttpRequest, entry_id: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return redirect(target)
    return redirect("outbox_detail", entry_id=entry_id)


@require_POST
@permission_required("core.manage_outbox", raise_exception=True)
def outbox_retry_view(request: HttpRequest, entry_id: int) -> HttpResponse:
    get_object_or_404(OutboxEntry, pk=entry_id)
    try:
        entry = outbox_entry_retry(entry_id=entry_id, audit=AuditContext.from_request(request))
    except OutboxStateError as exc:
        messages.error(request, exc.message)
    else:
        entry.refresh_from_db()
        messages.success(request, f"Entry #{entry.pk} ({entry.kind}) retried: now {entry.status}.")
    return _back(request, entry_id)


@require_POST
@permission_required("core.manage_outbox", raise_exception=True)
def outbox_cancel_view(request: HttpRequest, entry_id: int) -> HttpResponse:
    get_object_or_404(OutboxEntry, pk=entry_id)
    try:
        entry = outbox_entry_cancel(entry_id=entry_id, audit=AuditContext.from_request(request))
    except OutboxStateError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Entry #{entry.pk} ({entry.kind}) canceled; it will not run.")
    return _back(request, entry_id)
