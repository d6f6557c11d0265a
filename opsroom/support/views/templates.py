"""Response templates: each with its variables, how often replies used it and how those
tickets went (stayed solved, CSAT); admins write and change them."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from opsroom.core.auth import request_staff
from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.support.models import ResponseTemplate, Ticket
from opsroom.support.selectors.templates import TEMPLATE_VARIABLES, template_figures
from opsroom.support.services.replies import response_template_save


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The templates and their results."""
    user = request_staff(request)
    return render(
        request,
        "support/templates.html",
        {
            "figures": template_figures(),
            "can_write": user.has_perm("support.change_responsetemplate"),
        },
    )


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """Write a template or change one; the form comes back with the error when refused."""
    user = request_staff(request)
    template = None
    if template_id is not None:
        template = (
            ResponseTemplate.objects.filter(pk=template_id).first()
            if 0 < template_id < 2**63
            else None
        )
        if template is None:
            raise Http404("No such template.")
    permissions_check(
        user,
        ["support.change_responsetemplate" if template else "support.add_responsetemplate"],
    )
    error = ""
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", ""),
            "category": request.POST.get("category", ""),
            "body": request.POST.get("body", ""),
            "is_active": request.POST.get("is_active") == "1",
        }
        if request.POST.get("key", "").strip():
            values["key"] = request.POST["key"]
        try:
            saved = response_template_save(
                audit=AuditContext.from_request(request), template=template, **values
            )
        except (InvalidInput, Conflict) as exc:
            error = str(exc)
        else:
            messages.success(request, f"Template “{saved.name}” saved.")
            return redirect("support:templates")
    return render(
        request,
        "support/template_edit.html",
        {
            "template": template,
            "values": values,
            "error": error,
            "categories": Ticket.Category.choices,
            "variables": TEMPLATE_VARIABLES,
        },
        status=400 if error else 200,
    )
