"""The overview cards on a small world worked out by hand, and the pages that show them."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.people.models import Person
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.metrics.overview import overview_figures
from opsroom.revenue.metrics.services import mrr_ledger_update
from opsroom.revenue.models import RevenueSettings
from opsroom.revenue.services import SpendRow, marketing_spend_record_many, subscription_upsert_many
from opsroom.revenue.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db
TODAY = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def _sub(key, person, at, *, status="active", amount=3000, interval="month", quantity=1):
    return {
        "provider_subscription_id": key,
        "person_id": person.pk,
        "plan_id": PlanFactory(provider_price_id="p", amount=3000).pk,
        "status": status,
        "amount": amount,
        "interval": interval,
        "quantity": quantity,
        "currency": "usd",
        "started_at": at,
        "source_updated_at": at,
    }


def _world():
    """Ten customers at 3000 on Apr 1 (30000). In the 30 days to Jun 30 (after May 31):
    - two churn (Jun 5, Jun 20): -6000, customers 10 -> 8;
    - one upgrades to 3 seats (Jun 10): +6000 expansion;
    - one downgrades to 2000 (Jun 12): -1000 contraction;
    - two new customers (Jun 15): +6000.
    In the 30 days before (May 1 - May 31): one churns (May 10), leaving 10 of 11.
    """
    old = datetime(2026, 4, 1, 9, tzinfo=UTC)
    people = [PersonFactory(external_id=f"c{i}", acquisition_channel="organic") for i in range(13)]
    with clock.clock_frozen_at(old):
        subscription_upsert_many(rows=[_sub(f"s{i}", people[i], old) for i in range(11)])
    steps = [
        (datetime(2026, 5, 10, 9, tzinfo=UTC), [_sub("s10", people[10], None, status="canceled")]),
        (datetime(2026, 6, 5, 9, tzinfo=UTC), [_sub("s0", people[0], None, status="canceled")]),
        (datetime(2026, 6, 10, 9, tzinfo=UTC), [_sub("s2", people[2], None, quantity=3)]),
        (datetime(2026, 6, 12, 9, tzinfo=UTC), [_sub("s3", people[3], None, amount=2000)]),
        (
            datetime(2026, 6, 15, 9, tzinfo=UTC),
            [_sub("s11", people[11], None), _sub("s12", people[12], None)],
        ),
        (datetime(2026, 6, 20, 9, tzinfo=UTC), [_sub("s1", people[1], None, status="canceled")]),
    ]
    for at, rows in steps:
        for row in rows:
            row["source_updated_at"] = row["started_at"] = at
        with clock.clock_frozen_at(at):
            subscription_upsert_many(rows=rows)
    # Spend of the three complete months before June: 60000 for 3 new customers... in April
    # (the ten founders count as new in April: 10 + 1 = 11 new in Apr-May).
    marketing_spend_record_many(
        rows=[
            SpendRow("ads", date(2026, 3, 1), 11000, "usd"),
            SpendRow("ads", date(2026, 4, 1), 22000, "usd"),
            SpendRow("ads", date(2026, 5, 1), 11000, "usd"),
        ]
    )
    with clock.clock_frozen_at(TODAY):
        mrr_ledger_update()


def test_the_cards_are_what_the_definitions_give_by_hand():
    _world()
    f = overview_figures(day=TODAY.date())
    # Jun 30: 33000 - 6000 churn + 6000 expansion - 1000 contraction + 6000 new = 35000.
    assert (f["mrr_start"], f["mrr"], f["mrr_change"]) == (30000, 35000, 5000)
    assert f["arr"] == 420000
    assert f["growth_percent"] == pytest.approx(16.67)
    assert f["movements"] == {
        "new": 6000,
        "expansion": 6000,
        "contraction": -1000,
        "churn": -6000,
        "reactivation": 0,
    }
    assert (f["customers_start"], f["customers"], f["churned_customers"]) == (10, 10, 2)
    assert f["customer_churn_percent"] == 20.0  # 2 of the 10 at the start
    assert f["customer_churn_previous_percent"] == pytest.approx(9.09)  # 1 of 11
    assert f["gross_mrr_churn_percent"] == pytest.approx(23.33)  # 7000 / 30000
    assert f["net_mrr_churn_percent"] == pytest.approx(3.33)  # (7000 - 6000) / 30000
    assert f["quick_ratio"] == pytest.approx(12000 / 7000, abs=0.01)
    assert f["arpa"] == 3500
    # 90 days to Jun 30 (after Apr 1): 3 churned of the 11 paying on Apr 1, per 30 days:
    # 3 / 11 / 3 = 9.09%; LTV = 3500 / 0.0909 = 38500.
    assert f["ltv_churn_percent"] == pytest.approx(9.09)
    assert f["ltv"] == 38500
    # Customers paying on May 31 (s1..s9 and s2's seats...): 30000 then, now 30000 - 6000
    # (s0, s1) + 6000 (s2) - 1000 (s3) = 29000: 96.67%.
    assert f["nrr_percent"] == pytest.approx(96.67)
    # CAC: 44000 spent in Mar-May for the 11 new customers of those months: 4000.
    assert (f["marketing_spend"], f["cac_new_customers"], f["cac"]) == (44000, 11, 4000)
    assert f["ltv_cac"] == pytest.approx(9.62)
    assert f["subscriptions"] == 10


def test_the_overview_page_shows_the_cards_and_links_to_the_customers(staff_analyst):
    _world()
    with clock.clock_frozen_at(TODAY):
        page = signed_in(staff_analyst).get("/revenue/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-figure="mrr"' in html
    assert "$350" in html
    assert "/revenue/definitions/#customer_churn" in html
    assert "kind=churn" in html


def test_the_customers_page_lists_who_pays_by_mrr_with_their_names(staff_analyst):
    _world()
    with clock.clock_frozen_at(TODAY):
        page = signed_in(staff_analyst).get("/revenue/customers/")
    assert page.status_code == 200
    html = page.content.decode()
    people = {p.external_id: p for p in Person.objects.all()}
    # c2 (3 seats: 9000) first, then the 3000s by id, c3 (2000) last; c0, c1, c10 churned.
    order = ["c2", "c4", "c5", "c6", "c7", "c8", "c9", "c11", "c12", "c3"]
    positions = [html.index(f"/people/{people[key].pk}/") for key in order]
    assert positions == sorted(positions)
    assert people["c2"].email in html
    assert "$90" in html
    assert all(f"/people/{people[key].pk}/" not in html for key in ("c0", "c1", "c10"))


def test_the_movements_page_lists_who_churned(staff_analyst):
    _world()
    with clock.clock_frozen_at(TODAY):
        page = signed_in(staff_analyst).get("/revenue/movements/?kind=churn&start=2026-06-01")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="badge move-churn"') == 2
    assert "\u2212$60" in html
    assert html.count("data-trace-link") == 2  # each subscription opens the tracer
    assert "/debug/trace/?subscription=" in html


def test_an_analyst_reads_the_settings_but_may_not_change_them(staff_analyst):
    client = signed_in(staff_analyst)
    assert client.get("/revenue/settings/").status_code == 200
    refused = client.post(
        "/revenue/settings/",
        {"action": "targets", "growth_target_percent": "12", "ltv_cac_healthy": "3"},
    )
    assert refused.status_code == 403
    assert not RevenueSettings.objects.exists()


def test_the_billing_specialist_sets_the_target_and_enters_spend(staff_billing):
    client = signed_in(staff_billing)
    saved = client.post(
        "/revenue/settings/",
        {"action": "targets", "growth_target_percent": "15", "ltv_cac_healthy": "3"},
    )
    assert saved.status_code == 302
    assert RevenueSettings.objects.get().growth_target_percent == 15
    spent = client.post(
        "/revenue/settings/",
        {
            "action": "spend",
            "channel": "google_ads",
            "month": "2026-05",
            "amount": "1250.50",
            "currency": "usd",
        },
    )
    assert spent.status_code == 302
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "revenue.settings_update",
        "revenue.marketing_spend_set",
    }


def test_a_spend_csv_with_a_bad_line_is_refused_whole(staff_billing):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = b"channel,month,amount,currency\nads,2026-04,100.00,usd\nads,April,5,usd\n"
    answer = signed_in(staff_billing).post(
        "/revenue/settings/",
        {"action": "import", "file": SimpleUploadedFile("spend.csv", csv)},
    )
    assert answer.status_code == 400
    assert "Line 3" in answer.content.decode()
    good = b"channel,campaign,month,amount,currency\nads,spring,2026-04,100.00,usd\n"
    done = signed_in(staff_billing).post(
        "/revenue/settings/",
        {"action": "import", "file": SimpleUploadedFile("spend.csv", good)},
    )
    assert done.status_code == 302


def test_the_mrr_endpoint_refuses_a_bad_interval_and_a_bad_month(staff_analyst):
    client = signed_in(staff_analyst)
    assert client.get("/api/v1/revenue/mrr?interval=fortnight").status_code == 400
    bad = client.get("/api/v1/revenue/mrr?start=2026-13")
    assert bad.status_code == 400
    assert "YYYY-MM" in bad.json()["detail"]
    assert client.get("/api/v1/revenue/mrr?start=2026-06&end=2026-01").status_code == 400


def test_days_without_movements_still_have_a_snapshot():
    _world()
    from opsroom.revenue.models import MrrDay

    days = list(MrrDay.objects.order_by("day").values_list("day", flat=True))
    assert days[0] == date(2026, 4, 1)
    assert days[-1] == TODAY.date()
    assert len(days) == (TODAY.date() - date(2026, 4, 1)).days + 1
    assert all(b - a == timedelta(days=1) for a, b in pairwise(days))
