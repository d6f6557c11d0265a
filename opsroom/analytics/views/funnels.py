"""Funnels: the list with a form to define one, a funnel's steps, drop-offs, timings and
breakdowns, and the people who dropped at a step."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.analytics.forms import FunnelForm
from opsroom.analytics.models import Funnel, FunnelResult
from opsroom.analytics.services.funnels import funnel_create, funnel_delete
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_needed
from opsroom.core.services.audit import AuditContext
from opsroom.people.selectors import people_by_ids

PEOPLE_SHOWN = 200


@require_GET
@permissions_needed("analytics.view_funnel")
def funnel_list(request: HttpRequest) -> HttpResponse:
    """Every funnel with its headline, and the form to define one."""
    funnels = Funnel.objects.select_related("result").order_by("name", "id")
    rows = [(f, getattr(f, "result", None)) for f in funnels]
    return render(request, "analytics/funnel_list.html", {"rows": rows, "form": FunnelForm()})


@require_POST
@permissions_needed("analytics.add_funnel")
def funnel_new(request: HttpRequest) -> HttpResponse:
    """Define a funnel (audited); its figures follow within a minute."""
    form = FunnelForm(request.POST)
    if not form.is_valid():
        funnels = Funnel.objects.select_related("result").order_by("name", "id")
        rows = [(f, getattr(f, "result", None)) for f in funnels]
        return render(
            request, "analytics/funnel_list.html", {"rows": rows, "form": form}, status=400
        )
    data = form.cleaned_data
    funnel = funnel_create(
        name=data["name"],
        steps=data["steps"],
        window_days=data["window_days"],
        period_days=data["period_days"],
        audit=AuditContext.from_request(request),
    )
    messages.success(request, f"Funnel “{funnel.name}” saved; its figures are being computed.")
    return redirect("analytics:funnel_detail", funnel_id=funnel.pk)


@require_POST
@permissions_needed("analytics.delete_funnel")
def funnel_remove(request: HttpRequest, funnel_id: int) -> HttpResponse:
    """Delete a funnel (audited)."""
    funnel_delete(funnel_id=funnel_id, audit=AuditContext.from_request(request))
    messages.success(request, "Funnel deleted.")
    return redirect("analytics:funnel_list")


@require_GET
@permissions_needed("analytics.view_funnel")
def funnel_detail(request: HttpRequest, funnel_id: int) -> HttpResponse:
    """A funnel's figures; with ?dropped=K, the people who reached step K and went no further."""
    funnel = Funnel.objects.filter(pk=funnel_id).first()
    if funnel is None:
        raise Http404("No such funnel.")
    result: FunnelResult | None = getattr(funnel, "result", None)
    dropped_at, dropped = None, []
    if "dropped" in request.GET:
        text = request.GET["dropped"]
        if not text.isdigit() or int(text) >= len(funnel.steps) - 1:
            raise InvalidInput(f"dropped is a step number from 0 to {len(funnel.steps) - 2}.")
        dropped_at = int(text)
        ids = (result.dropped.get(text, []) if result else [])[:PEOPLE_SHOWN]
        found = people_by_ids(ids=ids)
        dropped = [found[pk] for pk in ids if pk in found]
    steps = []
    if result:
        for k, step in enumerate(result.steps):
            steps.append({**step, "index": k, "is_last": k == len(result.steps) - 1})
    return render(
        request,
        "analytics/funnel_detail.html",
        {
            "funnel": funnel,
            "result": result,
            "steps": steps,
            "dropped_at": dropped_at,
            "dropped_step": funnel.steps[dropped_at] if dropped_at is not None else "",
            "next_step": funnel.steps[dropped_at + 1] if dropped_at is not None else "",
            "dropped": dropped,
            "dropped_total": (
                result.steps[dropped_at]["dropped"] if result and dropped_at is not None else 0
            ),
        },
    )
