"""The Stripe drift check of one customer."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from opsroom.core.errors import NotFound
from opsroom.core.schemas import ErrorOut
from opsroom.people.models import Person
from opsroom.revenue.api.access import MANAGE, permission_require
from opsroom.revenue.schemas.stripe_drift import DriftDifferenceOut, StripeDriftOut
from opsroom.revenue.stripe_drift import stripe_drift_for_person

router = Router()


@router.get(
    "/revenue/people/{person_id}/stripe-drift",
    response={200: StripeDriftOut, 403: ErrorOut, 404: ErrorOut},
    auth=MANAGE,
    operation_id="revenue_stripe_drift",
    summary="One customer's drift from Stripe",
)
def stripe_drift(request: HttpRequest, person_id: int) -> Any:
    """Read the customer, subscriptions and recent invoices from Stripe now and list every
    field where Opsroom differs (`state`: in_sync, drift, not_configured, no_customer or
    stripe_error, with a message). Staff need revenue.check_stripe_drift, keys the admin scope."""
    permission_require(request, "revenue.check_stripe_drift")
    person = Person.objects.filter(pk=person_id).first() if 0 < person_id < 2**63 else None
    if person is None:
        raise NotFound(f"No person {person_id}.")
    report = stripe_drift_for_person(person=person)
    return StripeDriftOut(
        person_id=report.person_id,
        customer_id=report.customer_id,
        state=report.state,
        message=report.message,
        checked_at=report.checked_at,
        subscriptions_compared=report.subscriptions_compared,
        invoices_compared=report.invoices_compared,
        differences=[DriftDifferenceOut(**d.__dict__) for d in report.differences],
    )
