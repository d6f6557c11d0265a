"""The support queue: views, filters, search, bulk assign and close."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.core import clock
from opsroom.core.auth import request_staff
from opsroom.core.errors import DomainError, InvalidInput
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.selectors import plan_codes
from opsroom.support.models import Ticket
from opsroom.support.selectors.queue import (
    SLA_STATES,
    VIEWS,
    QueueFilters,
    queue_filters_parse,
    queue_page,
    queue_tickets,
    queue_view_counts,
    staff_assignable,
)
from opsroom.support.services.bulk import tickets_bulk_update
from opsroom.support.sla import TARGETS


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The queue: one view of the tickets, filtered and searched, worst first."""
    user = request_staff(request)
    now = clock.now()
    status = 200
    error = ""
    try:
        filters = queue_filters_parse(request.GET)
        page_number = int(request.GET.get("page", "1") or "1")
    except (InvalidInput, ValueError) as exc:
        error = exc.message if isinstance(exc, InvalidInput) else "page must be a number."
        filters, page_number, status = QueueFilters(), 1, 400
    try:
        page, rows = queue_page(
            tickets=queue_tickets(filters=filters, user_id=user.pk, now=now), page=page_number
        )
    except InvalidInput as exc:
        error, status = exc.message, 400
        page, rows = queue_page(
            tickets=queue_tickets(filters=filters, user_id=user.pk, now=now), page=1
        )
    params = filters.as_params()
    return render(
        request,
        "support/queue.html",
        {
            "filters": filters,
            "views": [
                (key, label, count, urlencode({"view": key}))
                for key, (label, count) in {
                    k: (VIEWS[k], n) for k, n in queue_view_counts(user_id=user.pk, now=now).items()
                }.items()
            ],
            "page": page,
            "rows": rows,
            "now": now,
            "error": error,
            "statuses": Ticket.Status.choices,
            "priorities": Ticket.Priority.choices,
            "categories": Ticket.Category.choices,
            "channels": Ticket.Channel.choices,
            "sla_states": SLA_STATES.items(),
            "sla_targets": TARGETS.items(),
            "plans": plan_codes(),
            "staff": staff_assignable(),
            "query": urlencode({k: v for k, v in params.items() if k != "page"}),
            "can_change": user.has_perm("support.change_ticket"),
        },
        status=status,
    )


@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Assign or close the ticked tickets."""
    permissions_check(request.user, ["support.change_ticket"])
    back = request.POST.get("next", "")
    target = "/support/" + (f"?{back}" if back and "//" not in back and "\n" not in back else "")
    try:
        ids = [int(value) for value in request.POST.getlist("ticket")]
    except ValueError:
        messages.error(request, "Ticket numbers must be numbers.")
        return redirect(target)
    try:
        changed = tickets_bulk_update(
            ticket_ids=ids,
            action=request.POST.get("action", ""),
            assignee_id=request.POST.get("assignee", ""),
            audit=AuditContext.from_request(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(target)
    messages.success(request, f"{changed} ticket{'s' if changed != 1 else ''} updated.")
    return redirect(target)
