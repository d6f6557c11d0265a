"""Cohort comparison: retention, active days and feature adoption by channel (and the other
dimensions), each group tested against the rest with Holm's adjustment; people count for a
measure only once its days have passed; the page and bad input."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from conftest import signed_in
from opsroom.analytics.models import CohortComparison
from opsroom.analytics.services.cohorts import cohorts_refresh
from opsroom.core.clock import clock_frozen_at
from opsroom.people.models import ActivityDaily
from opsroom.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 20, 12, tzinfo=UTC)
SIGNUP = datetime(2026, 5, 1, 9, tzinfo=UTC)


@pytest.fixture
def cohort():
    rows = []
    for i in range(40):
        ads = PersonFactory(acquisition_channel="ads", signed_up_at=SIGNUP,
                            attributes={"platform": "ios"})  # fmt: skip
        done = ((3, "app_open"), (5, "meal_plan_created"), (30, "app_open"))
        rows += [
            ActivityDaily(person=ads, day=(SIGNUP + timedelta(days=d)).date(), name=name, count=1)
            for d, name in done
        ]
        organic = PersonFactory(acquisition_channel="organic", signed_up_at=SIGNUP,
                                attributes={"platform": "ios"})  # fmt: skip
        if i < 10:
            rows.append(ActivityDaily(person=organic, day=(SIGNUP + timedelta(days=2)).date(),
                                      name="app_open", count=1))  # fmt: skip
    PersonFactory(acquisition_channel="ads", signed_up_at=NOW - timedelta(days=3))  # too new
    PersonFactory(acquisition_channel="ads", signed_up_at=NOW - timedelta(days=400))  # too old
    ActivityDaily.objects.bulk_create(rows)


def _refresh():
    with clock_frozen_at(NOW):
        return cohorts_refresh(now=NOW)


def _metrics(dimension):
    comparison = CohortComparison.objects.get(dimension=dimension)
    return {row["group"]: (row["people"], row["metrics"]) for row in comparison.rows}


def test_retention_by_channel_with_holm_adjusted_tests(cohort):
    compared = _refresh()

    assert compared == 81  # 80 + the one too new to count for anything; not the old one
    by_channel = _metrics("channel")
    ads_people, ads = by_channel["ads"]
    organic_people, organic = by_channel["organic"]
    assert (ads_people, organic_people) == (41, 40)
    assert ads["week1"]["n"] == 40  # the newest person's first week has not passed
    assert ads["week1"]["value"] == 1.0
    assert organic["week1"]["value"] == pytest.approx(0.25)
    raw = proportions_ztest([40, 10], [40, 40])[1]
    adjusted = multipletests([raw, raw], method="holm")[1][0]
    assert ads["week1"]["p_adjusted"] == pytest.approx(adjusted)
    assert (ads["week1"]["direction"], organic["week1"]["direction"]) == ("higher", "lower")
    assert ads["day30"]["value"] == 1.0
    assert organic["day30"]["value"] == 0.0
    assert ads["active_days"]["value"] == 2.0  # days 3 and 5; day 30 is outside the first 30
    assert ads["active_days"]["direction"] == ""  # no spread within the groups: not tested
    assert ads["feature:meal_plan_created"]["value"] == 1.0
    assert organic["feature:meal_plan_created"]["value"] == 0.0


def test_no_difference_is_claimed_between_alike_groups(cohort):
    _refresh()

    platform = _metrics("platform")
    people, ios = platform["ios"]
    assert (people, platform["(none)"][0]) == (80, 1)  # the newest person has no platform
    assert ios["week1"]["direction"] == ""  # nobody else's first week has passed
    month = _metrics("signup month")
    assert set(month) == {"2026-05", "2026-07"}


def test_the_page_side_by_side(cohort, staff_analyst):
    _refresh()
    client = signed_in(staff_analyst)

    page = client.get(reverse("analytics:cohorts"), {"by": "channel"})

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-group="ads"' in html
    assert 'data-claim="higher"' in html
    assert 'data-claim="lower"' in html
    assert "used meal_plan_created in the first 30 days" in html


@pytest.mark.parametrize("by", ["nope", "channel\x00", "x" * 500])
def test_a_bad_grouping_is_a_400(staff_analyst, by):
    response = signed_in(staff_analyst).get(reverse("analytics:cohorts"), {"by": by})

    assert response.status_code == 400
    assert "by is one of" in response.content.decode()


def test_before_the_first_run(staff_analyst):
    response = signed_in(staff_analyst).get(reverse("analytics:cohorts"))

    assert "Not computed yet" in response.content.decode()
