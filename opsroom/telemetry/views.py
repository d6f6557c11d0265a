"""Debug pages of telemetry: webhook deliveries and the status of each integration."""

import json
from datetime import timedelta
from typing import cast

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from opsroom.core import clock
from opsroom.core.jsonshape import json_bounded
from opsroom.core.refusals import permissions_needed
from opsroom.telemetry.models import IntegrationDelivery
from opsroom.telemetry.selectors import (
    DeliveryFilter,
    delivery_list,
    delivery_sources,
    integration_status,
)

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
