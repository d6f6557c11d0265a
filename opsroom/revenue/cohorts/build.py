"""Cohort retention from the MRR ledger: customers grouped by the month of their first payment
(or of their signup), and who of them still paid at the end of each following month.

A returning customer stays in their original cohort (a reactivation counts them as retained
again). Only months that have ended are counted. What a cohort paid is its customers'
successful payments net of refunds, in the headline currency (at each month's last rate).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby

from django.db.models import F, Sum
from django.db.models.functions import TruncMonth

from opsroom.people.models import Person
from opsroom.revenue.metrics.selectors import rates_load
from opsroom.revenue.models import CohortCell, MrrMovement, PaymentAttempt

MAX_AGE = 12
MAX_COHORTS = 24
ALL = ""


def month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_last_day(month: date) -> date:
    return month_add(month, 1) - timedelta(days=1)


@dataclass
class _Customer:
    first_paid: date
    plan: str
    channel: str
    signup: date | None
    levels: list[tuple[date, int]]  # (day, customer MRR after that day), in order


def _customers() -> dict[int, _Customer]:
    found: dict[int, _Customer] = {}
    rows = (
        MrrMovement.objects.order_by("person_id", "day", "id")
        .values_list("person_id", "day", "kind", "customer_mrr_after", "plan_code", "channel")
        .iterator(chunk_size=20000)
    )
    for person_id, group in groupby(rows, key=lambda row: row[0]):
        levels: list[tuple[date, int]] = []
        first: tuple[date, str, str] | None = None
        for _, day, kind, after, plan, channel in group:
            if first is None and kind == MrrMovement.Kind.NEW:
                first = (day, plan, channel)
            if levels and levels[-1][0] == day:
                levels[-1] = (day, after)
            else:
                levels.append((day, after))
        if first is not None:
            found[person_id] = _Customer(first[0], first[1], first[2], None, levels)
    signups = Person.objects.filter(id__in=list(found)) if len(found) < 30000 else Person.objects
    for person_id, signed_up, created in signups.values_list(
        "id", "signed_up_at", "created_at"
    ).iterator(chunk_size=20000):
        if person_id in found:
            moment = signed_up or created
            found[person_id].signup = moment.date() if moment else None
    return found


def _level_at(levels: list[tuple[date, int]], day: date) -> int:
    level = 0
    for moved, after in levels:
        if moved > day:
            break
        level = after
    return level


def _payments(person_ids: set[int]) -> dict[int, dict[date, int]]:
    """Net successful payments per customer per month, in the headline currency."""
    rates = rates_load()
    paid: dict[int, dict[date, int]] = defaultdict(dict)
    rows = (
        PaymentAttempt.objects.filter(status=PaymentAttempt.Status.SUCCEEDED)
        .annotate(month=TruncMonth("attempted_at"))
        .values("person_id", "month", "currency")
        .annotate(net=Sum(F("amount") - F("amount_refunded")))
        .values_list("person_id", "month", "currency", "net")
    )
    for person_id, month, currency, net in rows.iterator(chunk_size=20000):
        if person_id not in person_ids or not net:
            continue
        first = month.date().replace(day=1) if hasattr(month, "date") else month.replace(day=1)
        converted = rates.convert(int(net), currency, month_last_day(first))
        if converted is not None:
            paid[person_id][first] = paid[person_id].get(first, 0) + converted
    return paid


def cohort_cells(*, today: date) -> list[CohortCell]:
    """Every cohort cell, by basis, channel and plan (and every channel / every plan)."""
    customers = _customers()
    payments = _payments(set(customers))
    last_complete = today.replace(day=1) - timedelta(days=1)  # the last month that has ended
    oldest = month_add(last_complete.replace(day=1), -(MAX_COHORTS - 1))
    # The most specific cells first (one channel, one plan), then the "every ..." roll-ups.
    sums: dict[tuple[str, date, str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for person_id, customer in customers.items():
        paid_months = payments.get(person_id, {})
        bases: dict[str, date] = {"first_payment": customer.first_paid.replace(day=1)}
        if customer.signup is not None:
            bases["signup"] = customer.signup.replace(day=1)
        for basis, cohort in bases.items():
            if cohort < oldest or cohort > last_complete:
                continue
            start_mrr = _level_at(customer.levels, month_last_day(cohort))
            paid = sum(v for m, v in paid_months.items() if m < cohort)
            for age in range(MAX_AGE + 1):
                month = month_add(cohort, age)
                if month > last_complete:
                    break
                paid += paid_months.get(month, 0)
                level = _level_at(customer.levels, month_last_day(month))
                cell = sums[(basis, cohort, customer.channel, customer.plan, age)]
                cell[0] += 1
                cell[1] += start_mrr
                cell[2] += 1 if level > 0 else 0
                cell[3] += level
                cell[4] += paid
    rolled: dict[tuple[str, date, str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for (basis, cohort, channel, plan, age), values in sums.items():
        for key in {
            (basis, cohort, channel, plan, age),
            (basis, cohort, ALL, plan, age),
            (basis, cohort, channel, ALL, age),
            (basis, cohort, ALL, ALL, age),
        }:
            total = rolled[key]
            for i, value in enumerate(values):
                total[i] += value
    return [
        CohortCell(
            basis=basis,
            cohort=cohort,
            channel=channel,
            plan=plan,
            age=age,
            size=size,
            start_mrr=start_mrr,
            customers=retained,
            mrr=mrr,
            paid=paid,
        )
        for (basis, cohort, channel, plan, age), (size, start_mrr, retained, mrr, paid) in (
            rolled.items()
        )
    ]
