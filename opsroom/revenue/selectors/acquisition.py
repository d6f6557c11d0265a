"""What became of the people a channel brought (trial, paying customer, MRR now) and what each
channel and campaign cost, in the headline currency: the inputs of attribution, on the same
definitions as the overview's CAC (a customer is someone with a `new` MRR movement)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q, Sum

from opsroom.revenue.metrics.selectors import rates_load
from opsroom.revenue.models import MarketingSpend, MrrMovement, Subscription, SubscriptionChange

CHUNK = 2000


@dataclass(frozen=True)
class AcquisitionOutcome:
    had_trial: bool
    is_customer: bool  # has paid at some point (a `new` MRR movement)
    mrr: int  # now, minor units of the headline currency (0 when not paying)


def acquisition_outcomes_for_people(*, person_ids: Sequence[int]) -> dict[int, AcquisitionOutcome]:
    """Trial, customer and MRR now of some people; people with none of them are left out."""
    trial: set[int] = set()
    customers: set[int] = set()
    mrr: dict[int, int] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        trial.update(
            Subscription.objects.filter(person_id__in=chunk)
            .filter(Q(trial_start__isnull=False) | Q(status=Subscription.Status.TRIALING))
            .values_list("person_id", flat=True)
        )
        trial.update(
            SubscriptionChange.objects.filter(
                person_id__in=chunk, kind=SubscriptionChange.Kind.TRIAL_STARTED
            ).values_list("person_id", flat=True)
        )
        movements = MrrMovement.objects.filter(person_id__in=chunk)
        customers.update(
            movements.filter(kind=MrrMovement.Kind.NEW).values_list("person_id", flat=True)
        )
        for pk, total in (
            movements.filter(amount__isnull=False)
            .values("person_id")
            .annotate(total=Sum("amount"))
            .values_list("person_id", "total")
        ):
            mrr[pk] = int(total or 0)
    return {
        pk: AcquisitionOutcome(
            had_trial=pk in trial, is_customer=pk in customers, mrr=max(mrr.get(pk, 0), 0)
        )
        for pk in trial | customers | set(mrr)
    }


@dataclass(frozen=True)
class SpendTotal:
    channel: str
    campaign: str
    amount: int  # minor units of the headline currency
    unconverted: int  # spend in currencies without an exchange rate (native minor units)


def marketing_spend_totals(*, start: date, end: date) -> list[SpendTotal]:
    """Spend per channel and campaign over the months from `start` to `end` (inclusive), in
    the headline currency (each month at its last day's rate)."""
    rates = rates_load()
    totals: dict[tuple[str, str], list[int]] = {}
    rows = MarketingSpend.objects.filter(
        month__gte=start.replace(day=1), month__lte=end
    ).values_list("channel", "campaign", "month", "amount", "currency")
    for channel, campaign, month, amount, currency in rows:
        month_end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        converted = rates.convert(amount, currency, month_end)
        held = totals.setdefault((channel, campaign), [0, 0])
        if converted is None:
            held[1] += amount
        else:
            held[0] += converted
    return [
        SpendTotal(channel, campaign, amount, unconverted)
        for (channel, campaign), (amount, unconverted) in sorted(totals.items())
    ]


def headline_currency() -> str:
    """The currency MRR and converted spend are in."""
    return str(settings.OPSROOM_CURRENCY)
