"""Plans, plan terms, billing customers and marketing spend."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from opsroom.revenue.models import (
    BillingCustomer,
    MarketingSpend,
    Plan,
)


def plan_list(*, active_only: bool = True) -> list[Plan]:
    """Plans by price, for menus (e.g. which plan to grant free)."""
    plans = Plan.objects.all()
    if active_only:
        plans = plans.filter(is_active=True)
    return list(plans.order_by("amount", "code"))


def plan_get(*, plan_id: int) -> Plan | None:
    """One plan by id."""
    return Plan.objects.filter(pk=plan_id).first()


@dataclass(frozen=True)
class PlanTerms:
    id: int
    amount: int
    currency: str
    interval: str
    interval_count: int


def plan_terms_by_price(*, price_ids: Sequence[str]) -> dict[str, PlanTerms]:
    """Map provider price ids to their plan's id and price terms."""
    rows = Plan.objects.filter(provider_price_id__in=set(price_ids)).values_list(
        "provider_price_id", "id", "amount", "currency", "interval", "interval_count"
    )
    return {
        price_id: PlanTerms(plan_id, amount, currency, interval, interval_count)
        for price_id, plan_id, amount, currency, interval, interval_count in rows
    }


def billing_customer_person_ids(*, provider_customer_ids: Sequence[str]) -> dict[str, int]:
    """Map provider customer ids to the id of the person each belongs to."""
    return dict(
        BillingCustomer.objects.filter(
            provider_customer_id__in=set(provider_customer_ids)
        ).values_list("provider_customer_id", "person_id")
    )


def billing_customer_of_person(*, person_id: int) -> str | None:
    """The provider customer id a person is billed under, if any."""
    return (
        BillingCustomer.objects.filter(person_id=person_id)
        .values_list("provider_customer_id", flat=True)
        .first()
    )


def marketing_spend_list(*, start: date, end: date) -> list[MarketingSpend]:
    """Spend per channel, campaign and month for the months from `start` to `end` (inclusive)."""
    return list(
        MarketingSpend.objects.filter(month__gte=start.replace(day=1), month__lte=end).order_by(
            "month", "channel", "campaign", "currency"
        )
    )
