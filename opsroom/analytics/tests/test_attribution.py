"""Attribution: first, last and any touch up to signup by channel, campaign and landing page;
trials, customers and MRR from revenue; spend entered in Revenue (its CAC's input) and CAC;
the period filter; the page, the API and bad input."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from conftest import signed_in
from opsroom.analytics.models import AttributionCell
from opsroom.analytics.services.attribution import attribution_refresh, attribution_report
from opsroom.core.clock import clock_frozen_at
from opsroom.people.services import person_upsert_many
from opsroom.revenue.metrics.services import mrr_ledger_update
from opsroom.revenue.services import SpendRow, marketing_spend_record_many
from opsroom.revenue.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 20, 12, tzinfo=UTC)


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def _touch(at, channel, campaign="", page=""):
    return {"occurred_at": at, "channel": channel, "campaign": campaign, "landing_page": page}


@pytest.fixture
def world():
    """Alice: blog post, then a brand search ad; pays. Bob: a social ad, then a brand search ad
    (a referral after signup does not count); never pays. Carol: no touches (organic), on a
    trial. Eve: a social ad to a landing page; pays. Dan signed up too long ago."""
    with clock_frozen_at(_at(5, 1)):
        people = person_upsert_many(
            rows=[
                {
                    "external_id": "alice",
                    "signed_up_at": _at(6, 10),
                    "acquisition_channel": "paid_search",
                    "touches": [
                        _touch(_at(6, 1), "content", page="/blog/picky-eaters"),
                        _touch(_at(6, 9), "paid_search", "brand"),
                    ],
                },
                {
                    "external_id": "bob",
                    "signed_up_at": _at(6, 12),
                    "touches": [
                        _touch(_at(6, 11), "paid_search", "brand"),
                        _touch(_at(6, 1), "paid_social", "spring"),
                        _touch(_at(6, 20), "referral"),
                    ],
                },
                {
                    "external_id": "carol",
                    "signed_up_at": _at(7, 1),
                    "acquisition_channel": "organic",
                },
                {
                    "external_id": "eve",
                    "signed_up_at": _at(5, 3),
                    "touches": [_touch(_at(5, 2), "paid_social", "spring", "/lp/spring")],
                },
                {
                    "external_id": "dan",
                    "signed_up_at": datetime(2025, 1, 5, tzinfo=UTC),
                    "acquisition_channel": "paid_search",
                },
            ]
        ).by_key
    plan = PlanFactory(provider_price_id="price_family", amount=2900, trial_days=14)
    with clock_frozen_at(_at(6, 10)):
        SubscriptionFactory(person=people["alice"], plan=plan, status="active",
                            trial_start=_at(6, 10), started_at=_at(6, 10))  # fmt: skip
    with clock_frozen_at(_at(5, 3)):
        SubscriptionFactory(person=people["eve"], plan=plan, status="active", started_at=_at(5, 3))
    with clock_frozen_at(_at(7, 1)):
        SubscriptionFactory(person=people["carol"], plan=plan, status="trialing",
                            trial_start=_at(7, 1), started_at=_at(7, 1))  # fmt: skip
    marketing_spend_record_many(
        rows=[
            SpendRow("paid_search", date(2026, 6, 1), 10000, "usd", campaign="brand"),
            SpendRow("paid_social", date(2026, 5, 1), 20000, "usd", campaign="spring"),
            SpendRow("paid_social", date(2026, 6, 1), 5000, "usd"),
            SpendRow("paid_social", date(2026, 1, 1), 99999, "usd"),  # outside the period
        ]
    )
    with clock_frozen_at(NOW):
        mrr_ledger_update(now=NOW)
        attribution_refresh(now=NOW)
    return people


def _rows(by, model, start=date(2026, 5, 1), end=date(2026, 7, 1)):
    report = attribution_report(start=start, end=end, by=by, model=model)
    return {(r.channel, r.campaign, r.landing_page): r for r in report.rows}


def test_first_last_and_any_touch_by_channel_with_spend_and_cac(world):
    rows = _rows("channel", "last")

    search, social = rows[("paid_search", "", "")], rows[("paid_social", "", "")]
    content, organic = rows[("content", "", "")], rows[("organic", "", "")]
    assert [search.first["signups"], search.last["signups"], search.any["signups"]] == [0, 2, 2]
    assert [social.first["signups"], social.last["signups"], social.any["signups"]] == [2, 1, 2]
    assert [content.first["signups"], content.last["signups"]] == [1, 0]
    assert organic.last["signups"] == 1
    assert organic.last["trials"] == 1
    assert ("referral", "", "") not in rows  # touched after signing up
    assert search.last["customers"] == 1
    assert search.last["trials"] == 1
    assert search.last["mrr"] == 2900
    assert search.last["paying"] == 1
    assert search.conversion_rate == pytest.approx(0.5)
    assert search.spend == 10000
    assert search.cac == pytest.approx(10000)
    assert social.spend == 25000
    assert social.last["customers"] == 1
    assert social.cac == pytest.approx(25000)
    assert organic.last["customers"] == 0
    assert organic.spend is None
    assert organic.cac is None


def test_first_touch_credit_moves_the_customers(world):
    rows = _rows("channel", "first")

    assert rows[("content", "", "")].credited["customers"] == 1  # Alice came through the blog
    assert rows[("paid_search", "", "")].credited["customers"] == 0
    assert rows[("paid_search", "", "")].cac is None  # spend, but no customer credited
    assert rows[("paid_social", "", "")].credited["signups"] == 2


def test_by_campaign_and_by_landing_page(world):
    campaigns = _rows("campaign", "last")
    pages = _rows("content", "last")

    assert campaigns[("paid_search", "brand", "")].last["signups"] == 2
    assert campaigns[("paid_social", "spring", "")].first["signups"] == 2
    assert campaigns[("paid_social", "spring", "")].spend == 20000
    unallocated = campaigns[("paid_social", "", "")]
    assert unallocated.spend == 5000
    assert unallocated.any["signups"] == 0
    blog = pages[("", "", "/blog/picky-eaters")]
    assert [blog.first["signups"], blog.last["signups"], blog.any["customers"]] == [1, 0, 1]
    assert pages[("", "", "/lp/spring")].last["customers"] == 1
    assert all(row.spend is None for row in pages.values())  # spend is per channel


def test_the_period_keeps_to_its_signup_months_and_their_spend(world):
    june = _rows("channel", "last", start=date(2026, 6, 1), end=date(2026, 6, 1))

    assert june[("paid_social", "", "")].spend == 5000  # May's campaign spend is outside
    assert june[("paid_social", "", "")].any["signups"] == 1  # Bob; Eve signed up in May
    assert ("organic", "", "") not in june  # Carol signed up in July


def test_a_refresh_replaces_the_months_it_keeps(world):
    with clock_frozen_at(NOW):
        attribution_refresh(now=NOW)

    assert AttributionCell.objects.filter(dimension="channel", month=date(2026, 6, 1)).count() == 3
    assert not AttributionCell.objects.filter(month__lt=date(2025, 7, 1)).exists()  # Dan


def test_the_page(world, staff_analyst):
    client = signed_in(staff_analyst)

    with clock_frozen_at(NOW):
        page = client.get(reverse("analytics:attribution"), {"by": "campaign"})

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-row="paid_search/brand"' in html
    assert "(no campaign)" in html
    assert "2026-05" in html  # the default period: the last 3 months


def test_the_api(world, staff_analyst):
    client = signed_in(staff_analyst)

    with clock_frozen_at(NOW):
        body = client.get(
            "/api/v1/attribution", {"start": "2026-05", "end": "2026-07", "model": "first"}
        ).json()

    assert (body["start"], body["end"], body["by"], body["model"]) == (
        "2026-05", "2026-07", "channel", "first",
    )  # fmt: skip
    content = next(row for row in body["rows"] if row["channel"] == "content")
    assert content["first_touch"]["customers"] == 1
    assert content["conversion_rate"] == 1.0
    social = next(row for row in body["rows"] if row["channel"] == "paid_social")
    assert (social["spend"], social["cac"]) == (25000, 25000.0)


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-13"},
        {"end": "July"},
        {"start": "2026-07", "end": "2026-05"},
        {"start": "2020-01", "end": "2026-01"},
        {"by": "nope"},
        {"model": "middle"},
        {"by": "channel\x00"},
    ],
)
def test_bad_input_is_a_400(staff_analyst, params):
    client = signed_in(staff_analyst)

    api = client.get("/api/v1/attribution", params)
    page = client.get(reverse("analytics:attribution"), params)

    assert api.status_code == 400, api.content
    assert page.status_code == 400


def test_before_the_first_run(staff_analyst):
    response = signed_in(staff_analyst).get(reverse("analytics:attribution"))

    assert "Not computed yet" in response.content.decode()
