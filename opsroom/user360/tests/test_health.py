from datetime import UTC, date, datetime, timedelta

import pytest

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.models import AuditEntry
from opsroom.core.schedule import SCHEDULE
from opsroom.core.services.audit import AuditContext
from opsroom.people.services import person_ids_ensure
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.selectors import PaymentHealth
from opsroom.revenue.tests.factories import PaymentAttemptFactory, SubscriptionFactory
from opsroom.support.tests.factories import TicketFactory
from opsroom.user360.health import (
    HealthInputs,
    HealthSettings,
    health_compute,
    history_append,
    history_points,
    weights_normalise,
)
from opsroom.user360.models import PersonHealth
from opsroom.user360.services.health import (
    health_config_update,
    health_for_person_now,
    health_inputs,
    health_scores_compute,
    health_settings_get,
)
from opsroom.user360.tests.world import errors, events

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SETTINGS = HealthSettings(
    weights={"engagement": 30, "frequency": 25, "adoption": 20, "support": 10, "payment": 15},
    core_features=[f"feature_{i}" for i in range(10)],
)


def _component(result, key):
    return next(c for c in result.components if c.key == key)


def test_the_brief_example_reads_as_its_figures():
    inputs = HealthInputs(
        events_7d=12,
        events_prev_21d=60,  # 20 a week before
        active_days_14d=1,  # 0.5 a week
        active_days_prev_42d=12,  # 2 a week
        core_used=3,
    )
    result = health_compute(inputs, SETTINGS)
    assert _component(result, "engagement").figure.startswith("down 40% this week")
    assert _component(result, "engagement").score == 60
    assert _component(result, "frequency").figure.startswith("2x/week → 0.5x/week")
    assert _component(result, "adoption").figure == "3/10 core features used in the last 30 days"
    assert _component(result, "payment").score is None  # no paid subscription: not applicable
    # 0.30*60 + 0.25*17 + 0.20*30 + 0.10*100, over the 0.85 that applies.
    assert result.score == 45
    assert result.band == "at_risk"


def test_weights_scale_to_one_and_refuse_all_zero():
    assert weights_normalise({"engagement": 1, "support": 3}) == {
        "engagement": 0.25,
        "frequency": 0.0,
        "adoption": 0.0,
        "support": 0.75,
        "payment": 0.0,
    }
    with pytest.raises(InvalidInput, match="positive weight"):
        weights_normalise({"engagement": 0})


@pytest.mark.parametrize(
    ("payment", "score", "figure"),
    [
        (
            PaymentHealth(0, 2, "succeeded", NOW, "", False, True),
            100,
            "2 payments in 60 days, none failed",
        ),
        (
            PaymentHealth(1, 1, "succeeded", NOW, "", False, True),
            60,
            "1 failed payment in 60 days, paid since",
        ),
        (
            PaymentHealth(1, 0, "failed", NOW, "insufficient_funds", True, True),
            0,
            "last payment failed on 2026-03-10 (insufficient_funds)",
        ),
    ],
    ids=["paid", "recovered", "failing"],
)
def test_payment_health(payment, score, figure):
    component = _component(health_compute(HealthInputs(payment=payment), SETTINGS), "payment")
    assert (component.score, component.figure) == (score, figure)


def test_support_friction_counts_tickets_open_tickets_and_errors():
    component = _component(
        health_compute(HealthInputs(tickets_30d=2, open_tickets=1, errors_7d=3), SETTINGS),
        "support",
    )
    assert component.score == 100 - 40 - 10 - 12
    assert component.figure == "2 tickets in 30 days (1 open) · 3 errors in 7 days"


def test_history_keeps_one_score_a_day_and_drops_the_oldest():
    history: dict = {}
    for offset, score in enumerate([50, 55, 60]):
        history = history_append(
            history, on=date(2026, 3, 1) + timedelta(days=offset), score=score, keep=2
        )
    assert history == {"start": "2026-03-02", "scores": [55, 60]}
    # A missed day leaves a gap; a re-run the same day replaces that day's score.
    history = history_append(history, on=date(2026, 3, 5), score=70, keep=10)
    history = history_append(history, on=date(2026, 3, 5), score=71, keep=10)
    assert history_points(history) == [
        (date(2026, 3, 2), 55),
        (date(2026, 3, 3), 60),
        (date(2026, 3, 5), 71),
    ]


@pytest.mark.django_db
def test_the_daily_task_scores_everyone_from_derived_tables_and_keeps_history():
    with clock.clock_frozen_at(NOW):
        active = PersonFactory()
        events(
            active,
            list(range(1, 40)),
            ["login", "app_open", "meal_plan_created", "recipe_added", "subscription_renewed"],
            NOW,
        )
        SubscriptionFactory(person=active)
        PaymentAttemptFactory(person=active, attempted_at=NOW - timedelta(days=5))
        gone = PersonFactory(last_seen_at=NOW - timedelta(days=40))
        events(gone, list(range(40, 60)), ["login"], NOW)
        back_today = PersonFactory(last_seen_at=NOW - timedelta(hours=1))
        events(back_today, list(range(40, 60)), ["login"], NOW)
        gone_paying = PersonFactory(last_seen_at=NOW - timedelta(days=40))
        events(gone_paying, list(range(40, 60)), ["login"], NOW)
        SubscriptionFactory(person=gone_paying)
        newcomer = PersonFactory(signed_up_at=NOW - timedelta(days=2))
        events(newcomer, [0, 1], ["login"], NOW)
        troubled = PersonFactory()
        events(troubled, list(range(1, 30)), ["login", "meal_plan_created"], NOW)
        TicketFactory(requester=troubled, status="open")
        errors(troubled, 5, NOW)
        person_ids_ensure(external_ids=["placeholder-only"])
        run = health_scores_compute()
    with clock.clock_frozen_at(NOW + timedelta(days=1)):
        health_scores_compute()
    assert run.people == 6  # the placeholder is not scored
    assert set(run.core_features) == {"meal_plan_created", "recipe_added"}
    scores = {h.person_id: h for h in PersonHealth.objects.all()}
    assert scores[active.pk].band == "healthy"
    # Free and inactive for 4 weeks: lapsed, not Critical; the same while paying is Critical.
    assert scores[gone.pk].band == "lapsed"
    # Seen today (after the day's windows): not lapsed, whatever the last 4 weeks say.
    assert scores[back_today.pk].band != "lapsed"
    assert scores[gone_paying.pk].band == "critical"
    assert scores[newcomer.pk].band == "new"
    assert scores[troubled.pk].score < scores[active.pk].score
    assert [day for day, _ in history_points(scores[active.pk].history)] == [
        date(2026, 3, 10),
        date(2026, 3, 11),
    ]
    assert scores[active.pk].computed_on == date(2026, 3, 11)


@pytest.mark.django_db
def test_a_person_not_yet_scored_is_scored_on_the_spot():
    with clock.clock_frozen_at(NOW):
        person = PersonFactory()
        events(person, list(range(1, 20)), ["login"], NOW)
        result = health_for_person_now(person_id=person.pk)
    assert 0 < result.score <= 100
    assert not PersonHealth.objects.exists()


@pytest.mark.django_db
def test_admins_change_the_weights_and_core_features_with_an_audit_entry(staff_admin):
    audit = AuditContext(actor=staff_admin, label=staff_admin.username)
    health_config_update(audit=audit, weights={"engagement": 1}, core_features=["recipe_added"])
    settings_ = health_settings_get()
    assert settings_.core_features == ["recipe_added"]
    assert not settings_.core_features_detected
    entry = AuditEntry.objects.get(action="people.health_settings_change")
    assert entry.params["to"]["core_features"] == ["recipe_added"]
    with pytest.raises(InvalidInput, match="Bands need"):
        health_config_update(audit=audit, healthy_min=30, at_risk_min=40)


def test_the_daily_jobs_are_on_the_schedule():
    assert SCHEDULE["people_health_scores"].task == "opsroom.user360.tasks.health_scores_daily"
    assert SCHEDULE["people_feature_lift"].task == "opsroom.user360.tasks.feature_lift_daily"
    assert SCHEDULE["people_error_spread"].task == "opsroom.analytics.tasks.error_spread_hourly"


@pytest.mark.django_db
def test_the_refresh_command_fills_history_and_refuses_bad_days():
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    with clock.clock_frozen_at(NOW):
        person = PersonFactory()
        events(person, list(range(1, 30)), ["login"], NOW)
        newcomer = PersonFactory(signed_up_at=NOW - timedelta(days=1))
        out = StringIO()
        call_command("people_refresh", history_days=3, stdout=out)
    assert "Health: 2 people scored" in out.getvalue()
    days = [day for day, _score in history_points(PersonHealth.objects.get(person=person).history)]
    assert days == [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]
    # Not scored before they signed up.
    newcomer_days = history_points(PersonHealth.objects.get(person=newcomer).history)
    assert [day for day, _score in newcomer_days] == [date(2026, 3, 9), date(2026, 3, 10)]
    with pytest.raises(CommandError, match="between 0 and 365"):
        call_command("people_refresh", history_days=-1)


@pytest.mark.parametrize(
    ("age", "payment", "events_7d", "band"),
    [
        (3, None, 5, "new"),
        (3, PaymentHealth(0, 1, "succeeded", NOW, "", False, True), 0, "new"),
        (None, None, 0, "lapsed"),  # signup unknown, free, inactive
        (200, None, 0, "lapsed"),
        (200, PaymentHealth(0, 1, "succeeded", NOW, "", False, True), 0, "critical"),
        (200, None, 5, "at_risk"),  # free but still coming: judged on the score
    ],
    ids=["new", "new-paying", "unknown-age-gone", "free-gone", "paying-gone", "free-active"],
)
def test_new_and_lapsed_come_before_the_score_bands(age, payment, events_7d, band):
    inputs = HealthInputs(account_age_days=age, payment=payment, events_7d=events_7d)
    assert health_compute(inputs, SETTINGS).band == band


def test_payment_trouble_caps_the_score_in_critical():
    busy = {
        "events_7d": 30,
        "events_prev_21d": 60,
        "active_days_14d": 12,
        "active_days_prev_42d": 30,
        "core_used": 10,
        "account_age_days": 300,
    }
    failing = PaymentHealth(1, 3, "failed", NOW, "card_declined", True, True)
    result = health_compute(HealthInputs(payment=failing, **busy), SETTINGS)
    # 85% of the weight scores 100 and 15% scores 0: 85 before the cap.
    assert (result.score, result.uncapped_score, result.band) == (39, 85, "critical")
    paid = PaymentHealth(0, 3, "succeeded", NOW, "", False, True)
    result = health_compute(HealthInputs(payment=paid, **busy), SETTINGS)
    assert (result.score, result.uncapped_score, result.band) == (100, None, "healthy")


@pytest.mark.django_db
def test_inputs_as_of_a_past_day_ignore_what_came_after():
    with clock.clock_frozen_at(NOW - timedelta(days=20)):
        person = PersonFactory(signed_up_at=NOW - timedelta(days=100))
        SubscriptionFactory(person=person, status="past_due")
    with clock.clock_frozen_at(NOW):
        TicketFactory(requester=person, status="open", created_at=NOW - timedelta(days=1))
        errors(person, 3, NOW)
        PaymentAttemptFactory(person=person, attempted_at=NOW - timedelta(days=1), status="failed")
        past = datetime(2026, 3, 1, tzinfo=UTC)
        then = health_inputs(
            on=past.date(), settings_=health_settings_get(), person_ids=[person.pk], at=past
        )[person.pk]
        now = health_inputs(on=NOW.date(), settings_=health_settings_get(), person_ids=[person.pk])[
            person.pk
        ]
    assert (then.tickets_30d, then.open_tickets, then.errors_7d) == (0, 0, 0)
    assert then.account_age_days == 91
    # The change log had them past due since day -20: delinquent then, without the attempt.
    assert then.payment is not None
    assert then.payment.is_delinquent
    assert then.payment.failed == 0
    assert (now.tickets_30d, now.open_tickets, now.errors_7d) == (1, 1, 3)
    assert now.payment is not None
    assert now.payment.failed == 1
