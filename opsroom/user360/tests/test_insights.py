from datetime import UTC, datetime, timedelta

import pytest

from opsroom.analytics.models import ErrorSpread, FeatureLift
from opsroom.analytics.services.lift import two_proportion_p_value
from opsroom.analytics.services.spread import error_spread_refresh
from opsroom.core import clock
from opsroom.people.snapshot import person_snapshot_get
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.tests.factories import PaymentAttemptFactory, SubscriptionFactory
from opsroom.telemetry.services import api_request_record_many
from opsroom.user360.selectors.insights import insights_for_person
from opsroom.user360.services.health import feature_lift_refresh
from opsroom.user360.tests.world import errors, events, jane

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _insights(person):
    with clock.clock_frozen_at(NOW):
        return {i.key: i for i in insights_for_person(snapshot=person_snapshot_get(person=person))}


def test_jane_is_inactive_unusually_for_her_renews_soon_and_hits_one_endpoint():
    with clock.clock_frozen_at(NOW):
        person = jane(NOW).person
    found = _insights(person)
    inactivity = found["inactivity"]
    assert inactivity.title == "Hasn't logged in for 8 days (unusual for this person)"
    assert inactivity.numbers == {"days_inactive": 8, "median_gap_days": 1, "longest_gap_days": 1}
    assert inactivity.evidence[1] == "Longest gap before this: 1 day"
    errors_insight = found["repeated_errors"]
    assert errors_insight.title == "3 errors in the last 7 days on POST /api/recipes/generate"
    renewal = found["renewal_low_engagement"]
    assert renewal.title == "Renews in 5 days ($29.00) with low engagement"
    assert renewal.evidence[0] == "Active on 7 of the last 14 days"
    # The engagement drop is implied by the inactivity and not repeated.
    assert "engagement_drop" not in found


def test_a_gap_that_is_usual_for_the_person_is_not_an_insight():
    with clock.clock_frozen_at(NOW):
        weekly = PersonFactory()
        events(weekly, list(range(9, 120, 9)), ["login"], NOW)  # every 9 days, last 9 days ago
    assert "inactivity" not in _insights(weekly)


def test_an_engagement_drop_against_their_own_weeks():
    with clock.clock_frozen_at(NOW):
        person = PersonFactory()
        events(person, list(range(8, 29)), ["login", "recipe_added"], NOW)  # 14 a week
        events(person, [1, 2], ["login", "recipe_added"], NOW)  # 4 this week
    insight = _insights(person)["engagement_drop"]
    assert insight.title == "Engagement down 71% this week"
    assert insight.numbers == {"events_7d": 4, "baseline_per_week": 14.0}


def test_a_bug_affecting_other_users_that_a_newer_release_stopped():
    with clock.clock_frozen_at(NOW):
        person = PersonFactory()
        errors(person, 2, NOW - timedelta(days=2))
        for _ in range(12):
            errors(PersonFactory(), 1, NOW - timedelta(days=2))
        api_request_record_many(
            rows=[
                {
                    "request_id": f"new-release-{i}",
                    "method": "GET",
                    "route": "/api/meal-plans",
                    "status": 200,
                    "duration_ms": 40.0,
                    "release": "2026.11.2",
                    "occurred_at": NOW - timedelta(days=1, minutes=i),
                }
                for i in range(60)
            ]
        )
        assert error_spread_refresh() == 1
    insight = _insights(person)["bug_spread"]
    assert insight.title.startswith("Bug affecting 12 other users: fixed in 2026.11.2")
    assert insight.severity == "info"
    assert insight.evidence[3].startswith("No occurrence since release 2026.11.2 went out")
    assert "(60 API calls on it)" in insight.evidence[3]
    assert insight.evidence[0].startswith("Error: ")  # the error's title, whole
    spread = ErrorSpread.objects.get()
    assert (spread.people, spread.occurrences, spread.last_release) == (13, 14, "2026.11.1")


def test_a_bug_still_occurring_is_escalated():
    with clock.clock_frozen_at(NOW):
        person = PersonFactory()
        errors(person, 1, NOW)
        errors(PersonFactory(), 1, NOW)
        error_spread_refresh()
    insight = _insights(person)["bug_spread"]
    assert insight.title.startswith("Bug affecting 1 other user, still occurring")
    assert insight.action_kind == "ticket"


def test_a_failed_payment_with_its_decline_code_and_retry():
    with clock.clock_frozen_at(NOW):
        person = PersonFactory()
        SubscriptionFactory(person=person, status="past_due")
        PaymentAttemptFactory(
            person=person, status="succeeded", attempted_at=NOW - timedelta(days=40)
        )
        PaymentAttemptFactory(
            person=person,
            status="failed",
            decline_code="insufficient_funds",
            attempt_number=2,
            attempted_at=NOW - timedelta(days=2),
            next_retry_at=NOW + timedelta(days=3),
        )
    insight = _insights(person)["payment_failed"]
    assert insight.severity == "critical"
    assert insight.title == "Payment of $29.00 failed 2 days ago (insufficient_funds)"
    assert insight.evidence == [
        "Attempt 2: insufficient_funds",
        "1 failed attempt in 30 days",
        "Card Visa •••• 4242",
        "Next retry 2026-03-13",
    ]


def test_a_scheduled_cancellation():
    with clock.clock_frozen_at(NOW):
        person = PersonFactory()
        SubscriptionFactory(
            person=person, cancel_at_period_end=True, current_period_end=NOW + timedelta(days=9)
        )
    insight = _insights(person)["cancellation_scheduled"]
    assert insight.title == "Cancellation scheduled: $29.00 MRR ends 2026-03-19"


def _cohort(count, *, adopt, retained):
    for index in range(count):
        person = PersonFactory(signed_up_at=NOW - timedelta(days=150))
        signup_days_ago = 150
        names = ["login"] + (["meal_plan_template"] if index < adopt else [])
        events(person, [signup_days_ago - 2], names, NOW)
        if index < retained:
            events(person, [signup_days_ago - 70], ["login"], NOW)


def test_similar_users_engaged_after_a_feature_with_the_lift_and_its_base():
    with clock.clock_frozen_at(NOW):
        from opsroom.core.services.audit import AuditContext
        from opsroom.user360.services.health import health_config_update

        health_config_update(audit=AuditContext.system(), core_features=["meal_plan_template"])
        # 40 adopters of whom 32 stayed active (80%); 60 others of whom 15 did (25%).
        _cohort(40, adopt=40, retained=32)
        _cohort(60, adopt=0, retained=15)
        assert feature_lift_refresh() == 2  # free users and everyone, both with 1-3 early days
        person = PersonFactory(signed_up_at=NOW - timedelta(days=120))
        events(person, [118, 1, 2, 3], ["login"], NOW)  # one active day in their first month
    lift = FeatureLift.objects.get(segment="all|1-3")
    assert (lift.adopters, lift.adopters_retained, lift.others, lift.others_retained) == (
        40,
        32,
        60,
        15,
    )
    assert lift.lift == pytest.approx(3.2)
    insight = _insights(person)["similar_users_feature"]
    assert (
        insight.title
        == "Similar users engaged after 'Meal plan template' (3.2x as likely to stay active)"
    )
    assert insight.evidence[0] == (
        "Among 100 free users about as active in their first month (1-3 active days): 80% of "
        "the 40 who used it then were active 2 months later, vs 25% of the 60 who did not"
    )


def test_people_who_never_used_the_app_early_get_no_comparison():
    with clock.clock_frozen_at(NOW):
        from opsroom.core.services.audit import AuditContext
        from opsroom.user360.services.health import health_config_update

        health_config_update(audit=AuditContext.system(), core_features=["meal_plan_template"])
        _cohort(40, adopt=40, retained=32)
        _cohort(60, adopt=0, retained=15)
        feature_lift_refresh()
        late = PersonFactory(signed_up_at=NOW - timedelta(days=120))
        events(late, [1, 2, 3], ["login"], NOW)  # nothing in their first month
    assert "similar_users_feature" not in _insights(late)


def test_the_two_proportion_test():
    assert two_proportion_p_value(32, 40, 15, 60) < 0.001
    assert two_proportion_p_value(10, 20, 10, 20) == pytest.approx(1.0)
    assert two_proportion_p_value(0, 0, 1, 2) == 1.0


def test_insights_come_most_urgent_first():
    with clock.clock_frozen_at(NOW):
        person = jane(NOW).person
        PaymentAttemptFactory(person=person, status="failed", attempted_at=NOW - timedelta(days=1))
    with clock.clock_frozen_at(NOW):
        ordered = insights_for_person(snapshot=person_snapshot_get(person=person))
    assert ordered[0].key == "payment_failed"
    assert [i.severity for i in ordered] == sorted(
        (i.severity for i in ordered), key=["critical", "warning", "opportunity", "info"].index
    )


@pytest.mark.django_db
def test_each_insight_opens_the_email_it_recommends(staff_support):
    from urllib.parse import parse_qs, urlparse

    from conftest import signed_in
    from opsroom.messaging.tests.factories import EmailTemplateFactory
    from opsroom.people.tests.factories import PersonFactory
    from opsroom.user360.selectors.insights import Insight
    from opsroom.user360.views.person import _insight_rows

    for key, name in [
        ("card_expiring", "Card expiring"),
        ("update_card_reminder", "Dunning: update card"),
        ("winback_offer", "Win-back: offer"),
        ("winback_miss_you", "Win-back: we miss you"),
        ("onboarding_templates", "Onboarding: templates"),
    ]:
        EmailTemplateFactory(key=key, name=name)
    person = PersonFactory()

    def insight(key, hints, subject="", body=""):
        return Insight(key, "warning", "t", [], "a", "email", {}, hints, subject, body)

    rows = _insight_rows(
        person,
        [
            insight("payment_failed", ("update card", "update_card", "payment failed")),
            insight("inactivity", ("miss you", "miss_you", "we miss")),
            insight(
                "similar_users_feature", ("grocery_list_created",), "A tip", "Hi Jo,\n\nTry it."
            ),
        ],
    )
    templates = [row["template"].key if row["template"] else None for row in rows]
    assert templates == ["update_card_reminder", "winback_miss_you", None]
    draft = parse_qs(urlparse(rows[2]["email_url"]).query)
    assert draft == {"subject": ["A tip"], "body": ["Hi Jo,\n\nTry it."]}
    form = signed_in(staff_support).get(rows[2]["email_url"]).context["form"]
    assert (form["subject"].value(), form["body"].value()) == ("A tip", "Hi Jo,\n\nTry it.")
