"""Quick actions on one person (the registry in opsroom.user360.actions). Each checks its
permission, shows what it will do and asks for confirmation, then runs (the services write the
audit entries)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from opsroom.core.auth import request_staff
from opsroom.core.errors import DomainError
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import ImpersonationGrant, Person
from opsroom.people.services.impersonation import (
    ImpersonationRefused,
    impersonation_revoke,
    person_staff_reason,
)
from opsroom.user360.actions import ACTIONS


@require_http_methods(["GET", "POST"])
def action(request: HttpRequest, person_id: int, action: str) -> HttpResponse:
    """A quick action: its form, then what it will do (confirm), then done."""
    quick = ACTIONS.get(action)
    if quick is None:
        raise Http404("No such action.")
    person = get_object_or_404(Person, pk=person_id)
    permissions_check(request.user, quick.permissions)
    form = quick.form(request.POST or None, person, quick.initial(person, request))
    summary: list[tuple[str, str]] = []
    status = 200
    staff_reason = person_staff_reason(person) if action == "impersonate" else ""
    if request.method == "POST":
        if form.is_valid():
            audit = AuditContext.from_request(request)
            try:
                summary = quick.preview(person, form.cleaned_data, audit)
                if request.POST.get("confirm") == "yes":
                    outcome = quick.run(person, form.cleaned_data, audit, request_staff(request))
                    if outcome.page:
                        return render(
                            request, outcome.page, {"person": person, **outcome.page_context}
                        )
                    if outcome.ok:
                        messages.success(request, outcome.message)
                    else:
                        messages.error(request, outcome.message)
                    return redirect("people:detail", person_id=person.pk)
            except ImpersonationRefused as exc:
                form.add_error(None, exc.message)
                status = 403 if staff_reason else 400
                summary = []
            except DomainError as exc:
                form.add_error(None, exc.message)
                summary = []
        if form.errors and status == 200:
            status = 400
    return render(
        request,
        "user360/action.html",
        {
            "person": person,
            "action": action,
            "label": quick.label,
            "form": form,
            "summary": summary,
            "staff_reason": staff_reason,
        },
        status=status,
    )


@require_POST
def impersonation_revoke_view(request: HttpRequest, grant_id: int) -> HttpResponse:
    """Revoke an impersonation grant (anyone who may impersonate may revoke)."""
    grant = get_object_or_404(ImpersonationGrant.objects.select_related("person"), pk=grant_id)
    permissions_check(request.user, ["people.impersonate_person"])
    impersonation_revoke(grant=grant, audit=AuditContext.from_request(request))
    messages.success(request, "Impersonation revoked: the host app refuses its token from now on.")
    return redirect("people:detail", person_id=grant.person_id)
