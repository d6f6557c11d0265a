"""What a comp is: their current subscription made free for some months (whatever its plan);
a new subscription to a chosen plan only for someone without one."""

from datetime import UTC, datetime, timedelta

import pytest

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.people.snapshot import person_snapshot_get
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.selectors import complimentary_preview
from opsroom.revenue.services import subscription_complimentary_request
from opsroom.revenue.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def plans():
    family = PlanFactory(code="family", name="Family monthly", amount=1999)
    premium = PlanFactory(code="premium", name="Premium monthly", amount=2900)
    annual = PlanFactory(code="annual", name="Family annual", amount=19900, interval="year")
    return family, premium, annual


def _subscribed(plan, **fields):
    person = PersonFactory()
    with clock.clock_frozen_at(NOW):
        SubscriptionFactory(
            person=person, plan=plan, current_period_end=NOW + timedelta(days=14), **fields
        )
    return person


def _preview(person, plan=None, months=3):
    return complimentary_preview(
        person_id=person.pk,
        plan_id=plan.pk if plan else None,
        months=months,
        now=NOW,
        with_stripe=False,
    )


def test_the_comp_is_on_their_current_subscription_with_the_charges_it_waives(plans):
    family, _premium, _annual = plans
    preview = _preview(_subscribed(family))
    assert (preview.plan_name, preview.creates_subscription) == ("Family monthly", False)
    assert preview.until == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert preview.charges_skipped == [
        NOW + timedelta(days=14),
        datetime(2027, 1, 12, 12, 0, tzinfo=UTC),
        datetime(2027, 2, 12, 12, 0, tzinfo=UTC),
    ]
    assert preview.next_paid_at == datetime(2027, 3, 12, 12, 0, tzinfo=UTC)
    assert preview.charge_amount == 1999


def test_naming_another_plan_than_theirs_is_refused(plans):
    family, premium, _annual = plans
    person = _subscribed(family)
    with pytest.raises(InvalidInput, match="They are on Family monthly"):
        _preview(person, plan=premium)
    assert _preview(person, plan=family).plan_name == "Family monthly"


def test_an_annual_subscription_is_comped_in_whole_years(plans):
    _family, _premium, annual = plans
    person = _subscribed(annual, interval="year")
    with pytest.raises(InvalidInput, match="billed every 12 months"):
        _preview(person, months=3)
    assert len(_preview(person, months=12).charges_skipped) == 1


def test_someone_without_a_subscription_must_be_given_a_plan(plans):
    _family, premium, _annual = plans
    person = PersonFactory()
    with pytest.raises(InvalidInput, match="choose the plan"):
        _preview(person)
    preview = _preview(person, plan=premium)
    assert (preview.plan_name, preview.creates_subscription) == ("Premium monthly", True)
    assert preview.next_paid_at is None  # without Stripe it simply ends


def test_after_the_grant_the_snapshot_shows_the_end_and_the_next_paid_charge(plans, staff_billing):
    family, _premium, _annual = plans
    person = _subscribed(family)
    with clock.clock_frozen_at(NOW):
        grant = subscription_complimentary_request(
            person=person,
            plan=None,
            months=3,
            audit=AuditContext(actor=staff_billing, label="bea"),
            reason="outage",
        )
        billing = person_snapshot_get(person=person).billing
    assert grant.subscription.plan_id == family.pk
    assert (billing.mrr, billing.next_charge_amount) == (0, 0)
    assert billing.complimentary_until == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert billing.next_paid_charge_at == datetime(2027, 3, 12, 12, 0, tzinfo=UTC)
    assert billing.next_paid_charge_amount == 1999
    audit = AuditEntry.objects.get(action="subscription.comp_grant")
    assert (audit.params["plan"], audit.params["until"]) == ("family", "2027-02-28")
