"""Hand-computed MRR cases, sent through the batch API and read back from the MRR endpoint.

Each case is a story of one or two customers told as batches (the clock set to each batch's
time); the ledger is brought up to date after every batch, as the periodic task would, and the
expected figures per month are worked out by hand in the comments. A rebuild from scratch must
then give the very same numbers. Plans: monthly $30.00 (3000), family monthly $50.00 (5000),
annual $240.00 (24000 a year, 2000 a month), seat $10.00 a seat.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from conftest import signed_in as signed_in_client
from opsroom.core import clock
from opsroom.ingest.tests.conftest import IngestClient, key_issue
from opsroom.revenue.metrics.services import (
    RateRow,
    exchange_rate_record_many,
    mrr_ledger_rebuild,
    mrr_ledger_update,
)
from opsroom.revenue.models import MrrDay, MrrMovement

PLANS = [
    {"price_id": "monthly", "code": "monthly", "name": "Monthly", "interval": "month",
     "amount": 3000, "currency": "usd"},
    {"price_id": "family", "code": "family", "name": "Family", "interval": "month",
     "amount": 5000, "currency": "usd"},
    {"price_id": "annual", "code": "annual", "name": "Annual", "interval": "year",
     "amount": 24000, "currency": "usd"},
    {"price_id": "seat", "code": "seat", "name": "Seat", "interval": "month",
     "amount": 1000, "currency": "usd"},
    {"price_id": "euro", "code": "euro", "name": "Euro monthly", "interval": "month",
     "amount": 2000, "currency": "eur"},
    {"price_id": "cad", "code": "cad", "name": "CAD monthly", "interval": "month",
     "amount": 4000, "currency": "cad"},
]  # fmt: skip
END = datetime(2026, 6, 30, 23, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def sub(sub_id: str, user: str, when: str, status: str = "active", **fields: Any) -> dict:
    item = {
        "subscription_id": sub_id,
        "user_id": user,
        "status": status,
        "price_id": "monthly",
        "updated_at": at(when).isoformat(),
    }
    for name, value in fields.items():
        is_time = isinstance(value, str) and name.endswith(("_at", "_end", "_start"))
        item[name] = at(value).isoformat() if is_time else value
    return item


@dataclass
class Case:
    steps: list[tuple[str, str, list[dict]]]  # (time, kind, items)
    # month -> the figures expected for it (only the figures named are checked)
    expected: dict[str, dict[str, int]]
    rates: list[tuple[str, str, str]] = field(default_factory=list)  # (currency, day, rate)


# fmt: off
CASES: dict[str, Case] = {
    # A monthly plan from Jan 10: new 3000 in January, then 3000 every month.
    "monthly-new": Case(
        steps=[("2026-01-10 09:00", "subscriptions", [sub("s1", "u1", "2026-01-10 09:00",
                                                          started_at="2026-01-10 09:00")])],
        expected={
            "2026-01": {"mrr": 3000, "new": 3000, "customers": 1, "new_customers": 1},
            "2026-02": {"mrr": 3000, "new": 0, "customers": 1},
        },
    ),
    # An annual plan of 24000: 24000 / 12 = 2000 a month, all of it new in January.
    "annual-plan": Case(
        steps=[("2026-01-05 12:00", "subscriptions", [sub("s1", "u1", "2026-01-05 12:00",
                                                          price_id="annual")])],
        expected={"2026-01": {"mrr": 2000, "new": 2000}, "2026-06": {"mrr": 2000}},
    ),
    # 3000 from Jan 5; family (5000) from Feb 15: +2000 expansion in February.
    "mid-month-upgrade": Case(
        steps=[
            ("2026-01-05 10:00", "subscriptions", [sub("s1", "u1", "2026-01-05 10:00")]),
            ("2026-02-15 10:00", "subscriptions",
             [sub("s1", "u1", "2026-02-15 10:00", price_id="family")]),
        ],
        expected={
            "2026-01": {"mrr": 3000, "new": 3000},
            "2026-02": {"mrr": 5000, "expansion": 2000, "new": 0, "customers": 1},
        },
    ),
    # Family (5000) from Jan 5; monthly (3000) from Mar 20: -2000 contraction in March.
    "mid-month-downgrade": Case(
        steps=[
            ("2026-01-05 10:00", "subscriptions",
             [sub("s1", "u1", "2026-01-05 10:00", price_id="family")]),
            ("2026-03-20 10:00", "subscriptions", [sub("s1", "u1", "2026-03-20 10:00")]),
        ],
        expected={
            "2026-02": {"mrr": 5000},
            "2026-03": {"mrr": 3000, "contraction": -2000, "churn": 0},
        },
    ),
    # 3 seats x 1000 from Jan 8 (3000); 5 seats from Feb 1: +2000; 2 seats from Apr 2: -3000.
    "quantity-change": Case(
        steps=[
            ("2026-01-08 10:00", "subscriptions",
             [sub("s1", "u1", "2026-01-08 10:00", price_id="seat", quantity=3)]),
            ("2026-02-01 10:00", "subscriptions",
             [sub("s1", "u1", "2026-02-01 10:00", price_id="seat", quantity=5)]),
            ("2026-04-02 10:00", "subscriptions",
             [sub("s1", "u1", "2026-04-02 10:00", price_id="seat", quantity=2)]),
        ],
        expected={
            "2026-01": {"mrr": 3000, "new": 3000},
            "2026-02": {"mrr": 5000, "expansion": 2000},
            "2026-04": {"mrr": 2000, "contraction": -3000},
        },
    ),
    # 3000 at 50% off until Mar 10 (the provider never says it ended): 1500 new in January;
    # the ledger's run after Mar 10 writes the end of the discount: +1500 expansion in March.
    "discount-expiry": Case(
        steps=[
            ("2026-01-10 10:00", "subscriptions",
             [sub("s1", "u1", "2026-01-10 10:00", discount_percent="50",
                  discount_ends_at="2026-03-10 00:00")]),
            ("2026-03-12 08:00", "ledger", []),
        ],
        expected={
            "2026-01": {"mrr": 1500, "new": 1500},
            "2026-02": {"mrr": 1500, "expansion": 0},
            "2026-03": {"mrr": 3000, "expansion": 1500},
        },
    ),
    # 3000 from Jan 10; a 20% discount from Feb 1 (forever): -600 contraction; 500 off each
    # month instead from Apr 1 (2500): +100 expansion.
    "discount-start": Case(
        steps=[
            ("2026-01-10 10:00", "subscriptions", [sub("s1", "u1", "2026-01-10 10:00")]),
            ("2026-02-01 10:00", "subscriptions",
             [sub("s1", "u1", "2026-02-01 10:00", discount_percent="20")]),
            ("2026-04-01 10:00", "subscriptions",
             [sub("s1", "u1", "2026-04-01 10:00", discount_percent="0", discount_amount=500)]),
        ],
        expected={
            "2026-02": {"mrr": 2400, "contraction": -600},
            "2026-04": {"mrr": 2500, "expansion": 100},
        },
    ),
    # Past due on Feb 3, recovered on Feb 10: past-due subscriptions count until they end, so
    # February has no movement at all and MRR stays 3000.
    "past-due-recovered": Case(
        steps=[
            ("2026-01-03 10:00", "subscriptions", [sub("s1", "u1", "2026-01-03 10:00")]),
            ("2026-02-03 10:00", "subscriptions",
             [sub("s1", "u1", "2026-02-03 10:00", status="past_due")]),
            ("2026-02-10 10:00", "subscriptions", [sub("s1", "u1", "2026-02-10 10:00")]),
        ],
        expected={
            "2026-02": {"mrr": 3000, "churn": 0, "reactivation": 0, "new": 0, "customers": 1},
        },
    ),
    # Past due on Feb 3, canceled after the retries on Feb 20: -3000 churn in February.
    "past-due-churned": Case(
        steps=[
            ("2026-01-03 10:00", "subscriptions", [sub("s1", "u1", "2026-01-03 10:00")]),
            ("2026-02-03 10:00", "subscriptions",
             [sub("s1", "u1", "2026-02-03 10:00", status="past_due")]),
            ("2026-02-20 10:00", "subscriptions",
             [sub("s1", "u1", "2026-02-20 10:00", status="canceled",
                  ended_at="2026-02-20 10:00")]),
        ],
        expected={
            "2026-02": {"mrr": 0, "churn": -3000, "customers": 0, "churned_customers": 1},
        },
    ),
    # Set to cancel on Feb 10 (still paying until the period ends), ended on Mar 1: the churn
    # is March's, not February's.
    "cancel-at-period-end": Case(
        steps=[
            ("2026-01-01 10:00", "subscriptions", [sub("s1", "u1", "2026-01-01 10:00")]),
            ("2026-02-10 10:00", "subscriptions",
             [sub("s1", "u1", "2026-02-10 10:00", cancel_at_period_end=True)]),
            ("2026-03-01 10:00", "subscriptions",
             [sub("s1", "u1", "2026-03-01 10:00", status="canceled",
                  ended_at="2026-03-01 10:00")]),
        ],
        expected={
            "2026-02": {"mrr": 3000, "churn": 0},
            "2026-03": {"mrr": 0, "churn": -3000},
        },
    ),
    # A trial from Jan 1 is not MRR; converted on Jan 15: new 3000 in January. A second
    # trialist (u2) lets the trial lapse on Jan 20: nothing, ever.
    "trials": Case(
        steps=[
            ("2026-01-01 10:00", "subscriptions",
             [sub("s1", "u1", "2026-01-01 10:00", status="trialing"),
              sub("s2", "u2", "2026-01-01 10:00", status="trialing")]),
            ("2026-01-15 10:00", "subscriptions", [sub("s1", "u1", "2026-01-15 10:00")]),
            ("2026-01-20 10:00", "subscriptions",
             [sub("s2", "u2", "2026-01-20 10:00", status="incomplete_expired",
                  ended_at="2026-01-20 10:00")]),
        ],
        expected={
            "2026-01": {"mrr": 3000, "new": 3000, "churn": 0, "customers": 1,
                        "new_customers": 1},
        },
    ),
    # Churned on Feb 1 (-3000); back with a new subscription on Apr 5: reactivation, not new.
    "reactivation": Case(
        steps=[
            ("2026-01-01 10:00", "subscriptions", [sub("s1", "u1", "2026-01-01 10:00")]),
            ("2026-02-01 10:00", "subscriptions",
             [sub("s1", "u1", "2026-02-01 10:00", status="canceled",
                  ended_at="2026-02-01 10:00")]),
            ("2026-04-05 10:00", "subscriptions",
             [sub("s2", "u1", "2026-04-05 10:00", price_id="family")]),
        ],
        expected={
            "2026-02": {"mrr": 0, "churn": -3000},
            "2026-03": {"mrr": 0, "customers": 0},
            "2026-04": {"mrr": 5000, "reactivation": 5000, "new": 0,
                        "reactivated_customers": 1, "new_customers": 0},
        },
    ),
    # Monthly 3000 and annual 2000 for one customer (5000); the annual one canceled on Mar 3:
    # contraction -2000, not churn, and the customer still counts.
    "two-subscriptions-one-cancelled": Case(
        steps=[
            ("2026-01-02 10:00", "subscriptions",
             [sub("s1", "u1", "2026-01-02 10:00"),
              sub("s2", "u1", "2026-01-02 10:00", price_id="annual")]),
            ("2026-03-03 10:00", "subscriptions",
             [sub("s2", "u1", "2026-03-03 10:00", price_id="annual", status="canceled",
                  ended_at="2026-03-03 10:00")]),
        ],
        expected={
            "2026-01": {"mrr": 5000, "new": 5000, "customers": 1, "new_customers": 1},
            "2026-03": {"mrr": 3000, "contraction": -2000, "churn": 0, "customers": 1},
        },
    ),
    # Paid 3000 on Jan 1 and refunded in full on Jan 5 while the subscription goes on: a
    # refund is cash, not MRR. u2 is refunded and canceled at once on Feb 2: -3000 churn.
    "refunds": Case(
        steps=[
            ("2026-01-01 10:00", "subscriptions",
             [sub("s1", "u1", "2026-01-01 10:00"), sub("s2", "u2", "2026-01-01 10:00")]),
            ("2026-01-01 10:05", "invoices",
             [{"invoice_id": "in1", "user_id": "u1", "subscription_id": "s1", "status": "paid",
               "issued_at": "2026-01-01T10:00:00+00:00", "total": 3000, "amount_paid": 3000}]),
            ("2026-01-01 10:06", "payments",
             [{"payment_id": "ch1", "user_id": "u1", "invoice_id": "in1", "amount": 3000,
               "status": "succeeded", "attempted_at": "2026-01-01T10:00:00+00:00"}]),
            ("2026-01-05 10:00", "payments",
             [{"payment_id": "ch1", "user_id": "u1", "invoice_id": "in1", "amount": 3000,
               "status": "succeeded", "attempted_at": "2026-01-01T10:00:00+00:00",
               "amount_refunded": 3000}]),
            ("2026-02-02 10:00", "subscriptions",
             [sub("s2", "u2", "2026-02-02 10:00", status="canceled",
                  ended_at="2026-02-02 10:00")]),
        ],
        expected={
            "2026-01": {"mrr": 6000, "new": 6000, "contraction": 0, "churn": 0},
            "2026-02": {"mrr": 3000, "churn": -3000, "customers": 1},
        },
    ),
    # Subscribed and canceled on the same day (Jan 20): the day nets to nothing.
    "same-day-in-and-out": Case(
        steps=[
            ("2026-01-20 09:00", "subscriptions", [sub("s1", "u1", "2026-01-20 09:00")]),
            ("2026-01-20 09:40", "subscriptions",
             [sub("s1", "u1", "2026-01-20 09:40", status="canceled",
                  ended_at="2026-01-20 09:40")]),
        ],
        expected={"2026-01": {"mrr": 0, "new": 0, "churn": 0, "customers": 0}},
    ),
    # Monthly (3000) to annual of 36000 (3000 a month) on Feb 10: the same MRR, no movement.
    "switch-to-annual-same-value": Case(
        steps=[
            ("2026-01-10 10:00", "subscriptions", [sub("s1", "u1", "2026-01-10 10:00")]),
            ("2026-02-10 10:00", "subscriptions",
             [sub("s1", "u1", "2026-02-10 10:00", status="canceled",
                  ended_at="2026-02-10 10:00"),
              sub("s2", "u1", "2026-02-10 10:00", price_id="annual", amount=36000)]),
        ],
        expected={
            "2026-02": {"mrr": 3000, "new": 0, "expansion": 0, "contraction": 0, "churn": 0,
                        "customers": 1},
        },
    ),
    # 2000 EUR a month at 1.10 USD from Jan 1: new 2200 USD. The rate moves to 1.20 on Mar 1:
    # no movement. 3000 EUR from Apr 1: +1000 EUR at 1.20 = +1200. Canceled May 1: churn
    # removes exactly what was added, -(2200 + 1200) = -3400.
    "other-currency": Case(
        rates=[("eur", "2026-01-01", "1.10"), ("eur", "2026-03-01", "1.20")],
        steps=[
            ("2026-01-01 10:00", "subscriptions",
             [sub("s1", "u1", "2026-01-01 10:00", price_id="euro")]),
            ("2026-04-01 10:00", "subscriptions",
             [sub("s1", "u1", "2026-04-01 10:00", price_id="euro", amount=3000)]),
            ("2026-05-01 10:00", "subscriptions",
             [sub("s1", "u1", "2026-05-01 10:00", price_id="euro", amount=3000,
                  status="canceled", ended_at="2026-05-01 10:00")]),
        ],
        expected={
            "2026-01": {"mrr": 2200, "new": 2200},
            "2026-03": {"mrr": 2200, "expansion": 0, "contraction": 0},
            "2026-04": {"mrr": 3400, "expansion": 1200},
            "2026-05": {"mrr": 0, "churn": -3400},
        },
    ),
    # A CAD subscription with no CAD rate on record is left out of the headline figures
    # (and counted as unconverted), never added as if it were dollars.
    "currency-without-rate": Case(
        steps=[
            ("2026-01-04 10:00", "subscriptions",
             [sub("s1", "u1", "2026-01-04 10:00"),
              sub("s2", "u2", "2026-01-04 10:00", price_id="cad")]),
        ],
        expected={"2026-01": {"mrr": 3000, "new": 3000, "customers": 2}},
    ),
}
# fmt: on


@pytest.fixture
def ingest(staff_admin: Any) -> IngestClient:
    return IngestClient(key_issue(staff_admin, ["ingest"]))


def _run(ingest: IngestClient, case: Case) -> None:
    with clock.clock_frozen_at(at("2025-12-31 12:00")):
        ingest.ok("plans", PLANS)
        for currency, day, rate in case.rates:
            exchange_rate_record_many(
                rows=[RateRow(currency=currency, day=at(day).date(), rate=rate)], audit=None
            )
    for when, kind, items in case.steps:
        with clock.clock_frozen_at(at(when)):
            if items:
                answer = ingest.ok(kind, items)
                assert answer["counts"]["rejected"] == 0, answer
            mrr_ledger_update()


def _months(client: Any) -> dict[str, dict[str, int]]:
    response = client.get("/api/v1/revenue/mrr?start=2026-01&end=2026-06&interval=month")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["currency"] == "usd"
    return {period["period"]: period for period in body["periods"]}


def _snapshot() -> tuple[list[tuple], list[tuple]]:
    days = list(MrrDay.objects.order_by("day").values_list())
    movements = list(
        MrrMovement.objects.order_by("person_id", "day", "subscription_id").values_list(
            "person_id", "subscription_id", "day", "kind", "amount", "customer_delta"
        )
    )
    return [row[1:] for row in days], movements


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(CASES))
def test_hand_computed_case(name, ingest, staff_admin):
    case = CASES[name]
    _run(ingest, case)
    with clock.clock_frozen_at(END):
        mrr_ledger_update()
        incremental = _snapshot()
        months = _months(signed_in_client(staff_admin))
        for month, figures in case.expected.items():
            got = {key: months[month][key] for key in figures}
            assert got == figures, f"{name} {month}"
        # The movements of each month add up to its change in MRR.
        previous = 0
        for month in sorted(months):
            period = months[month]
            moved = sum(
                period[k] for k in ("new", "expansion", "contraction", "churn", "reactivation")
            )
            assert period["mrr"] - previous == moved, f"{name} {month}"
            previous = period["mrr"]
        mrr_ledger_rebuild()
        assert _snapshot() == incremental


@pytest.mark.django_db
def test_a_movement_lists_the_subscription_behind_it(ingest, staff_admin):
    _run(ingest, CASES["two-subscriptions-one-cancelled"])
    with clock.clock_frozen_at(END):
        answer = signed_in_client(staff_admin).get(
            "/api/v1/revenue/movements?kind=contraction&start=2026-03&end=2026-03"
        )
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == -2000
    assert [(r["provider_subscription_id"], r["amount"], r["person_external_id"])
            for r in body["results"]] == [("s2", -2000, "u1")]  # fmt: skip


@pytest.mark.django_db
def test_the_unconverted_currency_is_counted_apart(ingest):
    _run(ingest, CASES["currency-without-rate"])
    with clock.clock_frozen_at(END):
        mrr_ledger_update()
    assert MrrDay.objects.get(day=at("2026-01-04 00:00").date()).unconverted == 1
    assert MrrMovement.objects.get(currency="cad").amount is None
