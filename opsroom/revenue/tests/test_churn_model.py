"""The churn model on a history where churners fade in a way the rule score cannot see (they
still log in every other day, but less each time): trained on the past by a time split,
calibrated, judged beside the rule, stored, and used for predictions only when it beats it."""

import json
import random
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from opsroom.core.models import AuditEntry, ModelArtifact
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import ActivityDaily
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.churn.services import churn_model_train, churn_predictions_refresh, risk_band
from opsroom.revenue.churn.training import MODEL_NAME, churn_backtest_run
from opsroom.revenue.models import ChurnBandChange, ChurnPrediction, MrrMovement
from opsroom.revenue.tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db
START, END = date(2026, 1, 1), date(2026, 6, 30)


def _move(person, sub, day, kind, amount, delta):
    return MrrMovement(
        day=day,
        person=person,
        subscription=sub,
        kind=kind,
        amount=amount,
        native_amount=amount,
        currency="usd",
        customer_delta=delta,
        subscription_delta=delta,
    )


def _history(people=160, seed=7):
    """Half the customers churn on a day between mid-February and the end; for 30 days before
    they log in (every other day, as everyone does) once instead of five times a day."""
    rng = random.Random(seed)
    moves, activity = [], []
    for i in range(people):
        person = PersonFactory(external_id=f"c{i}")
        sub = SubscriptionFactory(person=person, provider_subscription_id=f"sub_c{i}")
        moves.append(_move(person, sub, START, "new", 1000, 1))
        churn = START + timedelta(days=rng.randint(45, 180)) if i % 2 else None
        if churn and churn <= END:
            moves.append(_move(person, sub, churn, "churn", -1000, -1))
        day = START + timedelta(days=i % 2)
        while day <= (churn or END):
            fading = churn is not None and day >= churn - timedelta(days=30)
            for name in ("login", "meal_plan_created", "recipe_viewed"):
                count = 1 if fading else rng.randint(4, 6)
                activity.append(ActivityDaily(person=person, day=day, name=name, count=count))
            day += timedelta(days=2)
    MrrMovement.objects.bulk_create(moves)
    ActivityDaily.objects.bulk_create(activity, batch_size=2000)


def test_trained_before_the_day_and_judged_after_it_the_model_beats_the_blind_rule():
    _history()
    backtest = churn_backtest_run(as_of=date(2026, 5, 31), horizon_days=30)
    assert backtest.train_days[-1] < backtest.calibration_day < backtest.as_of
    # No training window reaches past the day it predicts from.
    assert backtest.calibration_day + timedelta(days=30) <= backtest.as_of
    assert backtest.model.positives >= 5
    assert backtest.rule.roc_auc is not None
    assert backtest.rule.roc_auc < 0.6
    assert backtest.model.roc_auc is not None
    assert backtest.model.roc_auc > 0.9
    assert backtest.model_beats_rule
    # Calibrated: the mean probability is near the churn rate it predicts.
    table = backtest.model.calibration
    predicted = sum(b.mean_predicted * b.count for b in table if b.count) / backtest.model.n
    assert abs(predicted - backtest.model.base_rate) < 0.1


def test_the_backtest_command_prints_figures_and_refuses_what_it_cannot_judge(capsys):
    _history(people=120)
    call_command("revenue_churn_backtest", "--as-of", "2026-05-31", "--json")
    figures = json.loads(capsys.readouterr().out)
    assert set(figures["model"]) == {"roc_auc", "brier", "top_decile_lift"}
    for key in ("model_auc", "rule_auc", "model_lift", "rule_lift", "model_brier", "rule_brier"):
        assert isinstance(figures[key], float), key
    assert figures["people"] == figures["test_rows"] > 0
    assert 0 < figures["churned"] < figures["people"]
    assert sum(b["count"] for b in figures["model_calibration"]) == figures["people"]
    assert figures["test_rows"] > 0
    assert figures["horizon_days"] == 30
    call_command("revenue_churn_backtest", "--as-of", "2026-05-31")
    text = capsys.readouterr().out
    assert "ROC AUC" in text
    assert "Calibration" in text
    with pytest.raises(CommandError, match="go past the history"):
        call_command("revenue_churn_backtest", "--as-of", "2026-06-15")
    with pytest.raises(CommandError, match="Too little history"):
        call_command("revenue_churn_backtest", "--as-of", "2026-01-20")
    with pytest.raises(CommandError, match="not a date"):
        call_command("revenue_churn_backtest", "--as-of", "31/05/2026")
    with pytest.raises(CommandError, match="horizon"):
        call_command("revenue_churn_backtest", "--as-of", "2026-05-31", "--horizon-days", "2")


def test_no_history_is_a_clear_error():
    with pytest.raises(CommandError, match="No revenue history"):
        call_command("revenue_churn_backtest", "--as-of", "2026-05-31")


def test_the_model_is_stored_with_a_card_and_predicts_only_once_active(settings):
    _history()
    artifact = churn_model_train(audit=AuditContext.system("test"))
    assert artifact.name == MODEL_NAME
    assert artifact.primary_metric == "roc_auc"
    assert artifact.is_active
    assert artifact.beats_baseline
    assert artifact.baseline_metrics["method"] == "the brief's rule score"
    assert AuditEntry.objects.filter(action="model.train").exists()
    run = churn_predictions_refresh(today=END)
    assert (run.source, run.model_version) == ("model", artifact.version)
    prediction = ChurnPrediction.objects.filter(band="high").first()
    assert prediction is not None
    assert prediction.factors
    assert prediction.rule_probability == ChurnPrediction.objects.first().rule_probability
    # Switched off: the rule score is back in use.
    ModelArtifact.objects.filter(pk=artifact.pk).update(is_active=False)
    assert churn_predictions_refresh(today=END).source == "rule"


def test_predictions_follow_the_paying_customers_and_record_band_moves():
    _history(people=40)
    first = churn_predictions_refresh(today=date(2026, 3, 1))
    assert first.source == "rule"
    assert first.customers == ChurnPrediction.objects.count()
    ChurnPrediction.objects.update(band="high")
    later = churn_predictions_refresh(today=date(2026, 3, 2))
    assert later.band_changes == ChurnBandChange.objects.count() > 0
    churned = MrrMovement.objects.filter(kind="churn", day__lte=END).values("person_id")
    churn_predictions_refresh(today=END + timedelta(days=1))
    assert not ChurnPrediction.objects.filter(person_id__in=churned).exists()


@pytest.mark.parametrize(
    ("p", "band"), [(0.71, "high"), (0.7, "medium"), (0.4, "medium"), (0.39, "low")]
)
def test_risk_bands(p, band):
    assert risk_band(p) == band


def test_the_weekly_task_says_why_it_did_not_train_and_the_daily_one_predicts():
    from opsroom.revenue.tasks import churn_model_weekly, churn_predictions_daily

    assert churn_model_weekly.call()["trained"] is False
    assert churn_predictions_daily.call()["customers"] == 0


@pytest.mark.django_db(transaction=True)
def test_snapshots_built_by_threads_are_the_ones_built_one_by_one(monkeypatch):
    from opsroom.revenue.churn import training

    _history(people=40)
    days = [date(2026, 3, 1), date(2026, 3, 15), date(2026, 4, 1), date(2026, 4, 15)]
    monkeypatch.setattr(training, "SNAPSHOT_THREADS", 1)
    alone = training.snapshots_build(days=days, horizon_days=30)
    monkeypatch.setattr(training, "SNAPSHOT_THREADS", 4)
    monkeypatch.setattr(training.os, "cpu_count", lambda: 4)
    calls = []
    real = training._snapshot_alone
    monkeypatch.setattr(training, "_snapshot_alone", lambda d, h: calls.append(d) or real(d, h))
    threaded = training.snapshots_build(days=days, horizon_days=30)
    assert sorted(calls) == days  # the threads built them
    assert [s.day for s in threaded] == days
    for one, other in zip(alone, threaded, strict=True):
        assert one.person_ids == other.person_ids
        assert one.signals == other.signals
        assert list(one.churned) == list(other.churned)
    assert any(s.churned.sum() for s in threaded)
