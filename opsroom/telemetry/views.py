"""Debug pages of telemetry: webhook deliveries and the status of each integration; the API
request inspector with replay against staging."""

import json
from datetime import timedelta
from typing import cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.core import clock
from opsroom.core.errors import DomainError
from opsroom.core.jsonshape import json_bounded
from opsroom.core.refusals import permissions_needed
from opsroom.core.services.audit import AuditContext
from opsroom.telemetry.forms import RequestFilterForm
from opsroom.telemetry.models import IntegrationDelivery
from opsroom.telemetry.replay import (
    api_request_curl,
    api_request_replay,
    replay_refusal,
    replay_url,
)
from opsroom.telemetry.selectors import (
    DeliveryFilter,
    api_request_get,
    api_request_list,
    delivery_list,
    delivery_sources,
    integration_status,
)
from opsroom.telemetry.spans import N_PLUS_ONE_MIN, is_n_plus_one, span_groups

STATUS_WINDOW = timedelta(hours=24)


class DeliveryFilterForm(forms.Form):
    source = forms.ChoiceField(required=False)
    outcome = forms.ChoiceField(
        required=False, choices=[("", "any outcome"), *IntegrationDelivery.Outcome.choices]
    )
    event_type = forms.CharField(required=False, max_length=100, label="Type contains")
    external_id = forms.CharField(required=False, max_length=128, label="External id")

    def __init__(self, *args: object, sources: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        source = cast(forms.ChoiceField, self.fields["source"])
        source.choices = [("", "any source"), *((s, s) for s in sources)]

    def filters(self) -> DeliveryFilter:
        data = self.cleaned_data if self.is_bound else {}
        return DeliveryFilter(
            source=data.get("source", ""),
            outcome=data.get("outcome", ""),
            event_type=data.get("event_type", ""),
            external_id=data.get("external_id", ""),
        )


@require_GET
@permissions_needed("telemetry.view_integrationdelivery")
def delivery_index(request: HttpRequest) -> HttpResponse:
    """Integration status per source, and the deliveries with filters."""
    sources = delivery_sources()
    outcomes = IntegrationDelivery.Outcome.values
    form = DeliveryFilterForm(request.GET or None, sources=sources)
    valid = form.is_valid() if form.is_bound else True
    deliveries = delivery_list(filters=form.filters()) if valid else None
    page = (
        Paginator(deliveries, 50).get_page(request.GET.get("page"))
        if deliveries is not None
        else None
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "telemetry/delivery_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "statuses": [
                (status, [status.outcomes.get(outcome, 0) for outcome in outcomes])
                for status in integration_status(since=clock.now() - STATUS_WINDOW)
            ],
            "outcomes": outcomes,
        },
        status=200 if valid else 400,
    )


@require_GET
@permissions_needed("telemetry.view_integrationdelivery")
def delivery_detail(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """One delivery with its (redacted) payload."""
    delivery = get_object_or_404(
        IntegrationDelivery.objects.select_related("person", "api_key"), pk=delivery_id
    )
    payload = json.dumps(
        json_bounded(delivery.payload), indent=2, sort_keys=True, ensure_ascii=False
    )
    return render(
        request, "telemetry/delivery_detail.html", {"delivery": delivery, "payload": payload}
    )


PAGE = 50


@require_GET
@permissions_needed("telemetry.view_apirequest")
def request_index(request: HttpRequest) -> HttpResponse:
    """Every recorded API request, filterable; newest first."""
    form = RequestFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    rows = (
        api_request_list(filters=form.filters(), offset=(page - 1) * PAGE, limit=PAGE + 1)
        if valid
        else []
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "telemetry/request_list.html",
        {
            "form": form,
            "requests": rows[:PAGE],
            "page_number": page,
            "has_next": len(rows) > PAGE,
            "n_plus_one_min": N_PLUS_ONE_MIN,
            "query": query.urlencode(),
        },
        status=200 if valid else 400,
    )


@require_GET
@permissions_needed("telemetry.view_apirequest")
def request_detail(request: HttpRequest, request_pk: int) -> HttpResponse:
    """One request: its (redacted) bodies, as curl, and its replays beside it."""
    api_request = api_request_get(request_pk=request_pk)
    if api_request is None:
        raise Http404("No such request.")
    return render(
        request,
        "telemetry/request_detail.html",
        {
            "api_request": api_request,
            "request_body": _pretty(api_request.request_body),
            "response_body": _pretty(api_request.response_body),
            "curl": api_request_curl(api_request),
            "replays": [
                (replay, _pretty(replay.response_body)) for replay in api_request.replays.all()[:10]
            ],
            "span_groups": span_groups(api_request.spans or []),
            "n_plus_one": is_n_plus_one(api_request.repeated_queries),
            "n_plus_one_min": N_PLUS_ONE_MIN,
            "replay_refusal": replay_refusal(),
            "replay_url": replay_url(api_request) if not replay_refusal() else "",
        },
    )


@require_POST
@permissions_needed("telemetry.replay_apirequest")
def request_replay(request: HttpRequest, request_pk: int) -> HttpResponse:
    """Replay a request against staging (admins only; audited)."""
    api_request = api_request_get(request_pk=request_pk)
    if api_request is None:
        raise Http404("No such request.")
    try:
        replay = api_request_replay(
            api_request=api_request, audit=AuditContext.from_request(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if replay.error:
            messages.error(request, f"The replay failed: {replay.error}")
        else:
            messages.success(request, f"Replayed: staging answered {replay.status}.")
    return redirect("telemetry:request_detail", request_pk=api_request.pk)


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, sort_keys=True, ensure_ascii=False)
    except ValueError:
        return body
