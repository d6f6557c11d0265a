"""The data-flow tracer page: one person's (or one request's) story across the system."""

from datetime import timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.analytics.forms import form_data_or_refuse
from opsroom.analytics.tracer import person_trace
from opsroom.core import clock
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.refusals import permissions_needed
from opsroom.people.selectors import (
    people_by_ids,
    person_ids_by_email,
    person_ids_by_external_id,
)
from opsroom.telemetry.selectors import api_request_by_request_id

AROUND_REQUEST = timedelta(minutes=30)


class TraceForm(forms.Form):
    person = forms.CharField(required=False, max_length=254, label="Person (user id or email)")
    request = forms.CharField(required=False, max_length=128, label="Or a request id")
    days = forms.TypedChoiceField(
        choices=[(1, "1 day"), (7, "7 days"), (30, "30 days")], coerce=int, initial=7,
        required=False, label="Looking back",
    )  # fmt: skip


@require_GET
@permissions_needed("telemetry.view_apirequest")
def trace(request: HttpRequest) -> HttpResponse:
    """Everything around a person over the last days, or around one request."""
    form = TraceForm(request.GET if request.GET else None)
    context: dict[str, object] = {"form": form, "items": None}
    if form.is_bound:
        data = form_data_or_refuse(form)
        now = clock.now()
        if data["request"]:
            api_request = api_request_by_request_id(request_id=str(data["request"]))
            if api_request is None:
                raise NotFound("No recorded request has this request id.")
            if api_request.person_id is None:
                raise InvalidInput("This request names no person, so there is nothing to trace.")
            person_id = api_request.person_id
            since = api_request.occurred_at - AROUND_REQUEST
            until = api_request.occurred_at + AROUND_REQUEST
            context["api_request"] = api_request
        elif data["person"]:
            text = str(data["person"]).strip()
            found = person_ids_by_external_id(external_ids=[text]).get(text)
            if found is None and "@" in text:
                found = person_ids_by_email(emails=[text.lower()]).get(text.lower())
            if found is None:
                raise NotFound("No person with this user id or email.")
            person_id = found
            since, until = now - timedelta(days=int(data["days"] or 7)), now  # type: ignore[call-overload]
        else:
            raise InvalidInput("Name a person (user id or email) or a request id.")
        context |= {
            "person": people_by_ids(ids=[person_id]).get(person_id),
            "items": person_trace(person_id=person_id, since=since, until=until),
            "since": since,
            "until": until,
        }
    return render(request, "analytics/trace.html", context)
