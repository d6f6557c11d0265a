"""Cohort retention worked out by hand, and an insight that finds a cohort hurt beyond chance."""

from datetime import UTC, date, datetime

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.cohorts.insights import cohort_insights
from opsroom.revenue.cohorts.selectors import cohort_table
from opsroom.revenue.cohorts.services import cohorts_refresh
from opsroom.revenue.metrics.services import mrr_ledger_update
from opsroom.revenue.services import payment_attempt_upsert_many, subscription_upsert_many
from opsroom.revenue.tests.factories import PlanFactory
from opsroom.telemetry.services import error_event_record_many

pytestmark = pytest.mark.django_db
TODAY = date(2026, 7, 10)


def _at(y, m, d):
    return datetime(y, m, d, 10, tzinfo=UTC)


def _write(key, person, at, *, status="active", plan="basic", amount=1000):
    row = {
        "provider_subscription_id": key,
        "person_id": person.pk,
        "plan_id": PlanFactory(provider_price_id=plan, code=plan, amount=amount).pk,
        "status": status,
        "amount": amount,
        "interval": "month",
        "currency": "usd",
        "started_at": at,
        "source_updated_at": at,
    }
    with clock.clock_frozen_at(at):
        subscription_upsert_many(rows=[row])


def test_retention_and_ltv_of_a_small_world_by_hand():
    """January cohort: a, b, c (a on 'pro' at 2000). b churns in February, c in April and
    comes back in May (reactivation: counted again, in January's cohort). February: d."""
    a, b, c, d = (PersonFactory(acquisition_channel=ch) for ch in ("ads", "ads", "seo", "seo"))
    _write("a", a, _at(2026, 1, 5), plan="pro", amount=2000)
    _write("b", b, _at(2026, 1, 9))
    _write("c", c, _at(2026, 1, 20))
    _write("d", d, _at(2026, 2, 3))
    _write("b", b, _at(2026, 2, 9), status="canceled")
    _write("c", c, _at(2026, 4, 2), status="canceled")
    _write("c2", c, _at(2026, 5, 1))
    payment_attempt_upsert_many(
        rows=[
            {
                "provider_attempt_id": f"ch{i}",
                "person_id": person.pk,
                "amount": amount,
                "amount_refunded": refunded,
                "status": "succeeded",
                "attempted_at": at,
            }
            for i, (person, amount, refunded, at) in enumerate(
                [
                    (a, 2000, 0, _at(2026, 1, 5)),
                    (a, 2000, 0, _at(2026, 2, 5)),
                    (b, 1000, 1000, _at(2026, 1, 9)),  # refunded: nothing paid
                    (c, 1000, 0, _at(2026, 1, 20)),
                ]
            )
        ]
    )
    with clock.clock_frozen_at(datetime(2026, 7, 10, tzinfo=UTC)):
        mrr_ledger_update()
    cohorts_refresh(today=TODAY)
    january, february = cohort_table(basis="first_payment")
    assert (january.cohort, january.size, january.start_mrr) == (date(2026, 1, 1), 3, 4000)
    # Paying at the ends of Jan..Jun: a b c, a c, a c, a, a c, a c; July has not ended.
    assert january.retained[:7] == [3, 2, 2, 1, 2, 2, None]
    assert january.customers[1] == pytest.approx(2 / 3)
    assert january.mrr[3] == pytest.approx(2000 / 4000)
    assert january.ltv == round((2000 + 2000 + 0 + 1000) / 3)
    assert (february.size, february.retained[:6]) == (1, [1, 1, 1, 1, 1, None])
    ads = cohort_table(basis="first_payment", channel="ads")
    assert [(row.size, row.retained[1]) for row in ads] == [(2, 1)]
    pro = cohort_table(basis="first_payment", plan="pro")
    assert [(row.size, row.retained[5]) for row in pro] == [(1, 1)]


def test_a_cohort_that_churns_far_more_than_the_trend_is_found():
    """Eight monthly cohorts of 30: 2 of each leave in their second month, except June's,
    where 15 do. June is the one insight, at M1, with a BH-adjusted p-value."""
    for month in range(1, 9):
        for i in range(30):
            person = PersonFactory()
            _write(f"s{month}-{i}", person, _at(2025, month, 3))
            leaves = 15 if month == 6 else 2
            if i < leaves:
                _write(f"s{month}-{i}", person, _at(2025, month + 1, 10), status="canceled")
    with clock.clock_frozen_at(datetime(2026, 1, 5, tzinfo=UTC)):
        mrr_ledger_update()
    cohorts_refresh(today=date(2026, 1, 5))
    rows = cohort_table(basis="first_payment")
    insights = cohort_insights(rows=rows)
    assert [(i.cohort, i.age, i.is_worse) for i in insights] == [(date(2025, 6, 1), 1, True)]
    insight = insights[0]
    assert insight.retention == pytest.approx(15 / 30)
    assert insight.trend == pytest.approx(28 / 30)
    assert insight.p_value < 0.001
    assert "Win-back campaign for the June 2025 cohort" in insight.action


def test_the_refresh_stores_an_insight_cohorts_context_and_the_page_reads_it(
    django_assert_max_num_queries,
):
    """June's cohort met an error in its window (and one after it, not counted); the refresh
    stores that context, and the insights read it without touching the error log again."""
    people = []
    for month in range(1, 9):
        for i in range(30):
            person = PersonFactory()
            people.append(person)
            _write(f"s{month}-{i}", person, _at(2025, month, 3))
            if i < (15 if month == 6 else 2):
                _write(f"s{month}-{i}", person, _at(2025, month + 1, 10), status="canceled")
    error_event_record_many(
        rows=[
            {
                "event_id": f"e{n}",
                "fingerprint": "fp-save" if n < 4 else "fp-late",
                "title": "Recipe save fails" if n < 4 else "Later error",
                "level": "error",
                "release": "2025.23" if n < 4 else "2025.40",
                "person": people[n],
                "occurred_at": _at(2025, 6, 10 + n) if n < 4 else _at(2025, 10, 1),
            }
            for n in range(8)
        ]
    )
    with clock.clock_frozen_at(datetime(2026, 1, 5, tzinfo=UTC)):
        mrr_ledger_update()
        cohorts_refresh(today=date(2026, 1, 5))
    rows = cohort_table(basis="first_payment")
    # One query for the stored contexts, none on the error log.
    with django_assert_max_num_queries(1):
        (insight,) = cohort_insights(rows=rows)
    assert insight.cohort == date(2025, 6, 1)
    assert insight.context[0].startswith("error “Recipe save fails” first seen 2025-06-10")
    assert "4 times for 4 people" in insight.context[0]
    assert "release 2025.23 went out" in insight.context
    assert not any("Later error" in note or "2025.40" in note for note in insight.context)
    assert "check that the errors above are fixed" in insight.action


def test_the_cohort_page_and_api(staff_analyst):
    person = PersonFactory()
    _write("s1", person, _at(2026, 1, 5))
    with clock.clock_frozen_at(datetime(2026, 3, 2, tzinfo=UTC)):
        mrr_ledger_update()
    cohorts_refresh(today=date(2026, 3, 2))
    client = signed_in(staff_analyst)
    page = client.get("/revenue/cohorts/?measure=mrr")
    assert page.status_code == 200
    assert 'class="heat-10"' in page.content.decode()
    body = client.get("/api/v1/revenue/cohorts").json()
    assert [c["cohort"] for c in body["cohorts"]] == ["2026-01"]
    assert body["cohorts"][0]["customer_retention"][:3] == [1.0, 1.0, None]
    assert client.get("/api/v1/revenue/cohorts?basis=weekly").status_code == 400
