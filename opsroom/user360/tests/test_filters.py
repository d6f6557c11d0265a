import re
from datetime import UTC, datetime, timedelta

import pytest

from opsroom.core import clock
from opsroom.people.services import person_tags_add
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.services import subscription_upsert_many
from opsroom.revenue.tests.factories import PaymentAttemptFactory, PlanFactory, SubscriptionFactory
from opsroom.support.tests.factories import TicketFactory
from opsroom.user360.filters import FilterError, conditions_parse, people_query_build
from opsroom.user360.models import PersonHealth
from opsroom.user360.selectors.filters import people_find, people_ids_matching
from opsroom.user360.tests.world import errors, events

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"field": "shoe_size", "op": "eq", "value": "9"}, "unknown field 'shoe_size'"),
        ({"field": "mrr", "op": "contains", "value": "9"}, "'contains' cannot be used here"),
        ({"field": "mrr", "op": "gt", "value": "lots"}, "'lots' is not an amount"),
        ({"field": "logins", "op": "gte", "value": "3", "days": "x"}, "'x' is not a whole number"),
        ({"field": "logins", "op": "gte", "value": "3", "days": "0"}, "0 is outside 1-3650"),
        ({"field": "health_score", "op": "lt", "value": "150"}, "150 is outside 0-100"),
        ({"field": "signed_up", "op": "after", "value": "yesterday"}, "not a date (YYYY-MM-DD)"),
        ({"field": "subscription_status", "op": "eq", "value": "zombie"}, "'zombie' is not one of"),
        ({"field": "attribute", "op": "eq", "value": "1", "key": ""}, "name the attribute name"),
        (
            {"field": "attribute", "op": "gt", "value": "two", "key": "kids"},
            "not a number to compare",
        ),
        ({"field": "vip", "op": "is", "value": "maybe"}, "answer yes or no"),
        ({"field": "email", "op": "eq", "value": ""}, "give a value"),
    ],
    ids=lambda value: value if isinstance(value, str) else value["field"],
)
def test_bad_conditions_say_what_is_wrong(row, message):
    with pytest.raises(FilterError, match=re.escape(message)):
        conditions_parse([row])


def test_the_condition_list_and_query_parts_are_checked():
    with pytest.raises(FilterError, match="must be a list"):
        conditions_parse({"field": "mrr"})
    with pytest.raises(FilterError, match="must be an object"):
        conditions_parse(["mrr > 3"])
    with pytest.raises(FilterError, match="Unknown quick filter 'hot'"):
        people_query_build(quick="hot")
    with pytest.raises(FilterError, match="Unknown order"):
        people_query_build(sort="shoe")


def _ids(rows=(), quick="", text=""):
    query = people_query_build(text=text, quick=quick, conditions=conditions_parse(list(rows)))
    return set(people_ids_matching(query=query))


@pytest.fixture
def crowd(db):
    """Five people who differ in exactly what the filters look at."""
    with clock.clock_frozen_at(NOW):
        premium = PlanFactory(code="premium", name="Premium", tier="premium", amount=2900)
        basic = PlanFactory(code="basic", name="Basic", tier="basic", amount=900)
        loyal = PersonFactory(
            signed_up_at=NOW - timedelta(days=400), is_vip=True, attributes={"kids": 2}
        )
        SubscriptionFactory(person=loyal, plan=premium)
        events(loyal, list(range(1, 60)), ["login", "meal_plan_created"], NOW)
        failing = PersonFactory(signed_up_at=NOW - timedelta(days=90), attributes={"kids": 1})
        SubscriptionFactory(person=failing, plan=basic, status="past_due")
        PaymentAttemptFactory(person=failing, status="failed", attempted_at=NOW - timedelta(days=2))
        events(failing, [1, 2], ["login"], NOW)
        churned = PersonFactory(
            signed_up_at=NOW - timedelta(days=200), last_seen_at=NOW - timedelta(days=40)
        )
        sub = SubscriptionFactory(
            person=churned, plan=premium, source_updated_at=NOW - timedelta(days=60)
        )
        subscription_upsert_many(
            rows=[
                {
                    "provider_subscription_id": sub.provider_subscription_id,
                    "status": "canceled",
                    "ended_at": NOW - timedelta(days=10),
                    "source_updated_at": NOW - timedelta(days=10),
                }
            ]
        )
        events(churned, list(range(40, 120)), ["login"], NOW)
        newbie = PersonFactory(
            signed_up_at=NOW - timedelta(hours=3), last_seen_at=NOW - timedelta(hours=1)
        )
        events(newbie, [0], ["login"], NOW)
        troubled = PersonFactory(last_seen_at=NOW - timedelta(days=45))
        TicketFactory(requester=troubled, status="open")
        TicketFactory(requester=troubled, status="solved")
        errors(troubled, 4, NOW)
        person_tags_add(people=[troubled, loyal], tag_names=["beta"])
        for person, score, band in [
            (loyal, 90, "healthy"),
            (failing, 30, "critical"),
            (churned, 5, "critical"),
        ]:
            PersonHealth.objects.create(
                person=person, score=score, band=band, computed_on=NOW.date(), computed_at=NOW
            )
    return {
        "loyal": loyal.pk,
        "failing": failing.pk,
        "churned": churned.pk,
        "newbie": newbie.pk,
        "troubled": troubled.pk,
    }


@pytest.mark.parametrize(
    ("quick", "expected"),
    [
        ("at_risk", {"failing"}),  # churned is critical too, but has no live subscription
        ("payment_failed", {"failing"}),
        ("open_tickets", {"troubled"}),
        ("churned_30d", {"churned"}),
        ("vip", {"loyal"}),
        ("new", {"newbie"}),
        ("slipping", {"churned", "troubled"}),
    ],
)
def test_quick_filters(crowd, quick, expected):
    with clock.clock_frozen_at(NOW):
        assert _ids(quick=quick) == {crowd[name] for name in expected}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"field": "mrr", "op": "gte", "value": "29"}], {"loyal"}),
        (
            [{"field": "mrr", "op": "lt", "value": "10"}],
            {"failing", "churned", "newbie", "troubled"},
        ),
        ([{"field": "mrr", "op": "eq", "value": "0"}], {"churned", "newbie", "troubled"}),
        ([{"field": "plan", "op": "eq", "value": "premium"}], {"loyal"}),
        (
            [{"field": "plan", "op": "neq", "value": "premium"}],
            {"failing", "churned", "newbie", "troubled"},
        ),
        ([{"field": "subscription_status", "op": "eq", "value": "past_due"}], {"failing"}),
        ([{"field": "logins", "op": "gte", "value": "20", "days": "30"}], {"loyal"}),
        ([{"field": "logins", "op": "lt", "value": "1", "days": "7"}], {"churned", "troubled"}),
        ([{"field": "event", "op": "gt", "value": "0", "key": "meal_plan_created"}], {"loyal"}),
        ([{"field": "tickets", "op": "gte", "value": "2", "days": "30"}], {"troubled"}),
        (
            [{"field": "open_tickets", "op": "eq", "value": "0"}],
            {"loyal", "failing", "churned", "newbie"},
        ),
        ([{"field": "errors", "op": "gte", "value": "3", "days": "7"}], {"troubled"}),
        ([{"field": "health_score", "op": "lt", "value": "50"}], {"failing", "churned"}),
        ([{"field": "health_band", "op": "eq", "value": "healthy"}], {"loyal"}),
        ([{"field": "tag", "op": "has", "value": "Beta"}], {"loyal", "troubled"}),
        ([{"field": "tag", "op": "has_not", "value": "beta"}], {"failing", "churned", "newbie"}),
        ([{"field": "attribute", "op": "gt", "value": "1", "key": "kids"}], {"loyal"}),
        ([{"field": "attribute", "op": "exists", "key": "kids"}], {"loyal", "failing"}),
        ([{"field": "signed_up", "op": "over_days", "value": "180"}], {"loyal", "churned"}),
        (
            [{"field": "last_seen", "op": "within_days", "value": "7"}],
            {"loyal", "failing", "newbie"},
        ),
        ([{"field": "vip", "op": "is", "value": "yes"}], {"loyal"}),
        # The brief's example: churned users who were active more than 30 days.
        (
            [
                {"field": "subscription_status", "op": "eq", "value": "canceled"},
                {"field": "active_days", "op": "gt", "value": "30", "days": "365"},
            ],
            {"churned"},
        ),
    ],
    ids=lambda value: (
        "+".join(f"{r['field']}:{r['op']}" for r in value) if isinstance(value, list) else ""
    ),
)
def test_conditions(crowd, rows, expected):
    with clock.clock_frozen_at(NOW):
        assert _ids(rows) == {crowd[name] for name in expected}


def test_search_text_narrows_a_filtered_list(crowd):
    with clock.clock_frozen_at(NOW):
        query = people_query_build(text="user-", quick="vip")
        result = people_find(query=query)
        assert [p.pk for p in result.people] == [crowd["loyal"]]
        assert result.is_ranked


def test_a_payment_that_failed_then_succeeded_is_not_a_failed_payment(db):
    with clock.clock_frozen_at(NOW):
        recovered = PersonFactory()
        PaymentAttemptFactory(
            person=recovered, status="failed", attempted_at=NOW - timedelta(days=5)
        )
        PaymentAttemptFactory(
            person=recovered, status="succeeded", attempted_at=NOW - timedelta(days=4)
        )
        failing = PersonFactory()
        PaymentAttemptFactory(
            person=failing, status="succeeded", attempted_at=NOW - timedelta(days=6)
        )
        PaymentAttemptFactory(person=failing, status="failed", attempted_at=NOW - timedelta(days=3))
        old = PersonFactory()
        PaymentAttemptFactory(person=old, status="failed", attempted_at=NOW - timedelta(days=45))
        assert _ids(quick="payment_failed") == {failing.pk}


def test_control_characters_are_refused_in_values_and_dropped_from_search_text():
    with pytest.raises(FilterError, match="control characters"):
        conditions_parse([{"field": "email", "op": "contains", "value": "a\x00b"}])
    assert people_query_build(text="ja\x00ne").text == "jane"


def test_at_risk_follows_the_churn_prediction_once_there_is_one(crowd):
    from opsroom.revenue.models import ChurnPrediction

    for name, band in (("loyal", "medium"), ("failing", "low")):
        ChurnPrediction.objects.create(
            person_id=crowd[name], probability=0.5, band=band, rule_probability=0.5, source="rule"
        )
    with clock.clock_frozen_at(NOW):
        assert _ids(quick="at_risk") == {crowd["loyal"]}
