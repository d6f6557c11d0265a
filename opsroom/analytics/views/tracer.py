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
from opsroom.revenue.selectors import subscription_by_provider_id
from opsroom.support.selectors import ticket_get_by_number
from opsroom.telemetry.selectors import api_request_by_request_id

AROUND_REQUEST = timedelta(minutes=30)


class TraceForm(forms.Form):
    person = forms.CharField(required=False, max_length=254, label="Person (user id or email)")
    request = forms.CharField(required=False, max_length=128, label="Or a request id")
    ticket = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                label="Or a ticket number")  # fmt: skip
    subscription = forms.CharField(
        required=False, max_length=128, label="Or a subscription (provider id, e.g. sub_...)"
    )
    days = forms.TypedChoiceField(
        choices=[(1, "1 day"), (7, "7 days"), (30, "30 days")], coerce=int, initial=7,
        required=False, label="Looking back",
    )  # fmt: skip


@require_GET
@permissions_needed("telemetry.view_apirequest")
def trace(request: HttpRequest) -> HttpResponse:
    """Everything around a person over the last days, around one request, from a ticket
    (the days before it was opened, until now) or from a subscription (its person)."""
    form = TraceForm(request.GET if request.GET else None)
    context: dict[str, object] = {"form": form, "items": None}
    if form.is_bound:
        data = form_data_or_refuse(form)
        now = clock.now()
        back = timedelta(days=int(data["days"] or 7))  # type: ignore[call-overload]
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
        elif data["ticket"]:
            ticket = ticket_get_by_number(number=int(data["ticket"]))  # type: ignore[call-overload]
            if ticket is None:
                raise NotFound("No ticket has this number.")
            person_id = ticket.requester_id
            since = ticket.created_at - back
            until = max(now, ticket.created_at)
            context["ticket"] = ticket
        elif data["subscription"]:
            subscription = subscription_by_provider_id(
                provider_subscription_id=str(data["subscription"]).strip()
            )
            if subscription is None:
                raise NotFound("No subscription has this provider id.")
            person_id = subscription.person_id
            since, until = now - back, now
            context["subscription"] = subscription
        elif data["person"]:
            text = str(data["person"]).strip()
            found = person_ids_by_external_id(external_ids=[text]).get(text)
            if found is None and "@" in text:
                found = person_ids_by_email(emails=[text.lower()]).get(text.lower())
            if found is None:
                raise NotFound("No person with this user id or email.")
            person_id = found
            since, until = now - back, now
        else:
            raise InvalidInput(
                "Name a person (user id or email), a request id, a ticket or a subscription."
            )
        context |= {
            "person": people_by_ids(ids=[person_id]).get(person_id),
            "items": person_trace(person_id=person_id, since=since, until=until),
            "since": since,
            "until": until,
        }
    return render(request, "analytics/trace.html", context)
