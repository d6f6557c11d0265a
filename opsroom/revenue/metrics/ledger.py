"""The MRR ledger of one customer: pure functions from their subscription change log.

Each change-log entry holds the subscription's MRR after it (`mrr_after`, by revenue.mrr's one
rule). A customer's changes are grouped by UTC day: the day's movement is what the day did to
the customer's total MRR (ChartMogul's customer-level rule), written as one row per
subscription that changed, so sums by kind, by plan or by interval all add up:

- new: the customer's MRR goes from 0 to more, for the first time;
- reactivation: from 0 to more, after having paid before;
- expansion / contraction: up / down while staying above 0 (a second subscription cancelled
  is contraction, a discount that ends is expansion);
- churn: down to 0;
- neutral: the customer's MRR did not change (a switch between plans of one price).

Amounts in other currencies are converted at the rate of the movement's day; churn removes
exactly what the subscription had added, so MRR is always the sum of the movements and
exchange rates never make a movement of their own.
"""

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby

from opsroom.core.money import currency_exponent, money_round, money_to_decimal
from opsroom.revenue.models import MrrMovement

Kind = MrrMovement.Kind


@dataclass(frozen=True)
class ChangeRow:
    """One change-log entry, as the ledger needs it."""

    subscription_id: int
    occurred_at: datetime
    mrr_after: int
    currency: str
    plan_code: str


@dataclass(frozen=True)
class CustomerFacts:
    person_id: int
    channel: str
    country: str


class Rates:
    """Exchange rates into the headline currency, each valid from its day until the next."""

    def __init__(self, headline: str, table: dict[str, list[tuple[date, Decimal]]]) -> None:
        self.headline = headline
        self._days = {currency: [day for day, _ in rows] for currency, rows in table.items()}
        self._rates = {currency: [rate for _, rate in rows] for currency, rows in table.items()}

    def rate(self, currency: str, day: date) -> Decimal | None:
        """The rate that applies on a day, or None when none was recorded by then."""
        if currency == self.headline:
            return Decimal(1)
        days = self._days.get(currency)
        if not days:
            return None
        index = bisect.bisect_right(days, day) - 1
        return self._rates[currency][index] if index >= 0 else None

    def convert(self, amount: int, currency: str, day: date) -> int | None:
        """Minor units of `currency` in minor units of the headline currency on a day."""
        if currency == self.headline:
            return amount
        rate = self.rate(currency, day)
        if rate is None:
            return None
        major = money_to_decimal(amount, currency) * rate
        return money_round(major.scaleb(currency_exponent(self.headline)))


@dataclass
class _Held:
    native: int = 0
    converted: int | None = 0  # None once an amount could not be converted
    currency: str = ""
    plan_code: str = ""


def customer_movements(
    *,
    customer: CustomerFacts,
    changes: Sequence[ChangeRow],
    intervals: dict[int, str],
    rates: Rates,
) -> list[MrrMovement]:
    """The ledger rows of one customer from their changes (in occurred_at, id order)."""
    held: dict[int, _Held] = {}
    has_paid = False
    rows: list[MrrMovement] = []
    for day, day_changes in groupby(changes, key=lambda change: change.occurred_at.date()):
        before = {sub_id: state.native for sub_id, state in held.items()}
        converted_before = sum(state.converted or 0 for state in held.values())
        touched: list[int] = []
        for change in day_changes:
            state = held.setdefault(change.subscription_id, _Held())
            state.native = change.mrr_after
            state.currency = change.currency
            state.plan_code = change.plan_code or state.plan_code
            if change.subscription_id not in touched:
                touched.append(change.subscription_id)
        changed = [sub_id for sub_id in touched if held[sub_id].native != before.get(sub_id, 0)]
        if not changed:
            continue
        amounts: dict[int, int | None] = {}
        for sub_id in changed:
            state, old = held[sub_id], before.get(sub_id, 0)
            if state.native == 0:
                amounts[sub_id] = -state.converted if state.converted is not None else None
                state.converted = 0
                continue
            step = rates.convert(state.native - old, state.currency, day)
            if step is None or state.converted is None:
                amounts[sub_id], state.converted = None, None
            else:
                amounts[sub_id], state.converted = step, state.converted + step
        converted_after = sum(state.converted or 0 for state in held.values())
        paid_before = any(native > 0 for native in before.values())
        pays_after = any(state.native > 0 for state in held.values())
        kind = _kind(
            paid_before=paid_before,
            pays_after=pays_after,
            has_paid=has_paid,
            difference=_difference(amounts, held, before, changed),
        )
        has_paid = has_paid or pays_after
        customer_delta = _CUSTOMER_DELTA.get(kind, 0)
        for index, sub_id in enumerate(changed):
            state, old = held[sub_id], before.get(sub_id, 0)
            rows.append(
                MrrMovement(
                    day=day,
                    person_id=customer.person_id,
                    subscription_id=sub_id,
                    kind=kind,
                    amount=amounts[sub_id],
                    native_amount=state.native - old,
                    currency=state.currency,
                    customer_delta=customer_delta if index == 0 else 0,
                    subscription_delta=_subscription_delta(old, state.native),
                    customer_mrr_before=converted_before,
                    customer_mrr_after=converted_after,
                    plan_code=state.plan_code,
                    interval=intervals.get(sub_id, ""),
                    channel=customer.channel,
                    country=customer.country,
                )
            )
    return rows


_CUSTOMER_DELTA: dict[str, int] = {"new": 1, "reactivation": 1, "churn": -1}


def _difference(
    amounts: dict[int, int | None],
    held: dict[int, _Held],
    before: dict[int, int],
    changed: list[int],
) -> int:
    if all(amount is not None for amount in amounts.values()):
        return sum(amount or 0 for amount in amounts.values())
    # Something could not be converted: judge the direction in the subscriptions' own money.
    return sum(held[sub_id].native - before.get(sub_id, 0) for sub_id in changed)


def _kind(*, paid_before: bool, pays_after: bool, has_paid: bool, difference: int) -> str:
    if not paid_before and pays_after:
        return Kind.REACTIVATION if has_paid else Kind.NEW
    if paid_before and not pays_after:
        return Kind.CHURN
    if difference > 0:
        return Kind.EXPANSION
    if difference < 0:
        return Kind.CONTRACTION
    return Kind.NEUTRAL


def _subscription_delta(old: int, new: int) -> int:
    if old == 0 and new > 0:
        return 1
    if old > 0 and new == 0:
        return -1
    return 0


def interval_label(interval: str, interval_count: int) -> str:
    """'month', 'year', '3 months': how a subscription is billed."""
    if interval_count <= 1:
        return interval
    return f"{interval_count} {interval}s"


def changes_by_person(
    rows: Iterable[tuple[int, int, datetime, int, str, int | None]], plan_codes: dict[int, str]
) -> Iterable[tuple[int, list[ChangeRow]]]:
    """Group (person, subscription, occurred_at, mrr_after, currency, plan id) rows, ordered by
    person then time, into each person's change list."""
    for person_id, group in groupby(rows, key=lambda row: row[0]):
        yield (
            person_id,
            [
                ChangeRow(
                    subscription_id=sub_id,
                    occurred_at=at,
                    mrr_after=mrr,
                    currency=currency,
                    plan_code=plan_codes.get(plan_id, "") if plan_id else "",
                )
                for _, sub_id, at, mrr, currency, plan_id in group
            ],
        )
