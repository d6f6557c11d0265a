"""The Stripe drift check: one customer's billing records in Opsroom against Stripe's, and a
lookup by person id or Stripe customer id (linked from the integration debugger)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from opsroom.core.refusals import permissions_needed
from opsroom.people.models import Person
from opsroom.revenue.stripe_drift import (
    person_for_stripe_customer,
    stripe_configured,
    stripe_drift_for_person,
)
from opsroom.revenue.views.access import section

PERMISSION = "revenue.check_stripe_drift"
_ID_LIMIT = 2**63


def _person_id(text: str) -> int | None:
    text = text.strip()
    if text.startswith("cus_"):
        return person_for_stripe_customer(customer_id=text[:128])
    if text.isdigit() and 0 < int(text) < _ID_LIMIT:
        return int(text) if Person.objects.filter(pk=int(text)).exists() else None
    return None


@require_GET
@permissions_needed(PERMISSION)
def stripe_drift_lookup(request: HttpRequest) -> HttpResponse:
    """Find a customer by person id or Stripe customer id, then check them."""
    query = request.GET.get("q", "").replace("\x00", "")[:200]
    if query.strip():
        person_id = _person_id(query)
        if person_id is not None:
            return redirect("revenue:stripe_drift", person_id=person_id)
    return render(
        request,
        "revenue/stripe_drift_lookup.html",
        section(
            "payments",
            query=query,
            not_found=bool(query.strip()),
            configured=stripe_configured(),
        ),
        status=404 if query.strip() else 200,
    )


@require_GET
@permissions_needed(PERMISSION)
def stripe_drift(request: HttpRequest, person_id: int) -> HttpResponse:
    """One customer: what Opsroom holds against what Stripe says, field by field."""
    person = Person.objects.filter(pk=person_id).first() if person_id < _ID_LIMIT else None
    if person is None:
        raise Http404("No such person.")
    report = stripe_drift_for_person(person=person)
    return render(
        request,
        "revenue/stripe_drift.html",
        section("payments", person=person, report=report),
    )
