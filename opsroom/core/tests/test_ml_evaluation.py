"""Evaluation, thresholds and calibration, checked against scikit-learn and scipy."""

import math

import numpy as np
import pytest
from scipy.stats import beta
from sklearn.calibration import calibration_curve
from sklearn.datasets import make_classification
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    classification_report,
    confusion_matrix,
    f1_score,
    roc_auc_score,
)
from sklearn.svm import LinearSVC

from opsroom.core.errors import InvalidInput
from opsroom.core.ml.calibration import TemperatureScaler, calibrated_prefit
from opsroom.core.ml.evaluation import (
    binary_evaluate,
    calibration_table,
    expected_calibration_error,
    multiclass_evaluate,
    top_decile_lift,
)
from opsroom.core.ml.thresholds import (
    min_accepted,
    precision_at,
    precision_lower_bound,
    threshold_for_precision,
)


@pytest.fixture
def multiclass_rows():
    rng = np.random.default_rng(7)
    labels = np.array(["billing", "bug", "how_to", "other"])
    y_true = rng.choice(labels, size=500)
    flip = rng.random(500) < 0.3
    y_pred = np.where(flip, rng.choice(labels, size=500), y_true)
    confidence = np.clip(np.where(flip, 0.45, 0.85) + rng.normal(0, 0.1, 500), 0, 1)
    return list(y_true), list(y_pred), confidence


def test_multiclass_figures_match_scikit_learn(multiclass_rows):
    y_true, y_pred, confidence = multiclass_rows
    report = multiclass_evaluate(y_true=y_true, y_pred=y_pred, confidence=confidence)
    reference = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    assert report.n == 500
    assert report.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    assert report.macro_f1 == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert report.labels == ["billing", "bug", "how_to", "other"]
    for row in report.per_class:
        assert row.precision == pytest.approx(reference[row.label]["precision"])
        assert row.recall == pytest.approx(reference[row.label]["recall"])
        assert row.f1 == pytest.approx(reference[row.label]["f1-score"])
        assert row.support == reference[row.label]["support"]
    assert report.confusion == confusion_matrix(y_true, y_pred, labels=report.labels).tolist()


def test_the_reliability_table_matches_scikit_learns_calibration_curve(multiclass_rows):
    y_true, y_pred, confidence = multiclass_rows
    correct = np.array(y_true) == np.array(y_pred)
    report = multiclass_evaluate(y_true=y_true, y_pred=y_pred, confidence=confidence)
    prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=10, strategy="uniform")
    filled = [b for b in report.reliability if b.count]
    assert [b.observed for b in filled] == pytest.approx(list(prob_true))
    assert [b.mean_predicted for b in filled] == pytest.approx(list(prob_pred))
    assert sum(b.count for b in report.reliability) == 500
    counts, _ = np.histogram(confidence, bins=np.linspace(0, 1, 11))
    assert [b.count for b in report.reliability] == counts.tolist()


def test_expected_calibration_error_is_the_weighted_gap_per_bin():
    # Two bins: four rows said 0.9 (three right), two rows said 0.3 (one right).
    table = calibration_table(
        predicted=[0.9, 0.9, 0.9, 0.9, 0.3, 0.3], observed=[1, 1, 1, 0, 1, 0], bins=10
    )
    expected = 4 / 6 * abs(0.75 - 0.9) + 2 / 6 * abs(0.5 - 0.3)
    assert expected_calibration_error(table) == pytest.approx(expected)


def test_a_perfectly_calibrated_table_has_no_error():
    table = calibration_table(predicted=[0.5, 0.5, 1.0, 1.0], observed=[1, 0, 1, 1])
    assert expected_calibration_error(table) == pytest.approx(0.0)


def test_evaluation_refuses_mismatched_lengths():
    with pytest.raises(InvalidInput):
        multiclass_evaluate(y_true=["a", "b"], y_pred=["a"])
    with pytest.raises(InvalidInput):
        binary_evaluate(y_true=[0, 1], scores=[0.5])
    with pytest.raises(InvalidInput):
        binary_evaluate(y_true=[0, 2], scores=[0.5, 0.5])


def test_binary_figures_match_scikit_learn():
    rng = np.random.default_rng(3)
    y = rng.random(400) < 0.2
    scores = np.clip(0.2 + 0.4 * y + rng.normal(0, 0.15, 400), 0, 1)
    report = binary_evaluate(y_true=y.astype(int), scores=scores)
    assert report.n == 400
    assert report.positives == int(y.sum())
    assert report.roc_auc == pytest.approx(roc_auc_score(y, scores))
    assert report.brier == pytest.approx(brier_score_loss(y, scores))
    prob_true, _ = calibration_curve(y, scores, n_bins=10)
    assert [b.observed for b in report.calibration if b.count] == pytest.approx(list(prob_true))


def test_roc_auc_of_a_textbook_example():
    report = binary_evaluate(y_true=[0, 0, 1, 1], scores=[0.1, 0.4, 0.35, 0.8])
    assert report.roc_auc == pytest.approx(0.75)


def test_roc_auc_is_absent_when_only_one_class_is_present():
    assert binary_evaluate(y_true=[0, 0, 0], scores=[0.1, 0.2, 0.3]).roc_auc is None


def test_top_decile_lift():
    # 100 rows, 10 positives; the top 10 scores hold 5 of them: 50% against a 10% base rate.
    y = [1] * 5 + [0] * 5 + [1] * 5 + [0] * 85
    scores = [1.0 - i / 100 for i in range(100)]
    assert top_decile_lift(y_true=y, scores=scores) == pytest.approx(5.0)
    assert top_decile_lift(y_true=[0, 0], scores=[0.3, 0.4]) is None


def test_the_minimum_count_is_where_a_perfect_record_reaches_the_target():
    assert min_accepted(0.99, 0.05) == 299
    assert precision_lower_bound(correct=299, accepted=299) >= 0.99
    assert precision_lower_bound(correct=298, accepted=298) < 0.99
    assert min_accepted(0.9, 0.05) == math.ceil(math.log(0.05) / math.log(0.9))


@pytest.mark.parametrize(("correct", "accepted"), [(95, 100), (400, 404), (3, 10), (10, 10)])
def test_the_precision_bound_is_clopper_pearson(correct, accepted):
    # One-sided 95% lower bound: the 5% quantile of Beta(x, n - x + 1).
    expected = beta.ppf(0.05, correct, accepted - correct + 1)
    assert precision_lower_bound(correct=correct, accepted=accepted) == pytest.approx(expected)


def _held_back(right_above: int, mixed: int, seed: int = 0):
    """Confident rows that are right, then less confident rows right only half the time."""
    rng = np.random.default_rng(seed)
    confidence = np.r_[np.linspace(0.999, 0.9, right_above), np.linspace(0.89, 0.3, mixed)]
    correct = np.r_[np.ones(right_above, bool), rng.random(mixed) < 0.5]
    return confidence, correct


def test_the_threshold_is_the_lowest_that_keeps_the_target():
    confidence, correct = _held_back(400, 200)
    choice = threshold_for_precision(confidence=confidence, correct=correct, target=0.99)
    assert choice.outcome == "met"
    assert choice.precision >= 0.99
    assert choice.accepted >= 400
    # One more row (the next confidence down) would break the target.
    below = confidence[confidence < choice.threshold].max()
    at_next = precision_at(confidence=confidence, correct=correct, threshold=below)
    assert at_next.precision < 0.99
    at = precision_at(confidence=confidence, correct=correct, threshold=choice.threshold)
    assert (at.precision, at.coverage, at.accepted) == (
        choice.precision,
        choice.coverage,
        choice.accepted,
    )
    assert choice.coverage == choice.accepted / 600
    assert choice.precision_lower == pytest.approx(
        beta.ppf(
            0.05,
            round(choice.precision * choice.accepted),
            choice.accepted - round(choice.precision * choice.accepted) + 1,
        )
    )


def test_too_few_held_back_rows_claim_nothing():
    confidence, correct = _held_back(200, 50)
    choice = threshold_for_precision(confidence=confidence, correct=correct, target=0.99)
    assert choice.outcome == "too_few_rows"
    assert choice.threshold is None
    assert choice.coverage == 0.0
    assert choice.min_accepted == 299


def test_enough_rows_but_never_precise_enough():
    rng = np.random.default_rng(1)
    confidence = rng.random(1000)
    correct = rng.random(1000) < 0.8
    choice = threshold_for_precision(confidence=confidence, correct=correct, target=0.99)
    assert choice.outcome == "target_not_reached"
    assert choice.threshold is None


def test_rows_tied_at_the_threshold_are_accepted_together():
    confidence = np.r_[np.full(300, 0.95), np.full(10, 0.8)]
    correct = np.r_[np.ones(300, bool), np.zeros(10, bool)]
    choice = threshold_for_precision(confidence=confidence, correct=correct, target=0.99)
    assert choice.threshold == 0.95
    assert choice.accepted == 300


def test_temperature_scaling_recovers_the_temperature_that_made_the_labels():
    rng = np.random.default_rng(11)
    scores = rng.normal(0, 3, size=(4000, 5))
    probabilities = np.exp(scores / 2.0)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(5, p=p) for p in probabilities])
    scaler = TemperatureScaler().fit(scores, y)
    assert scaler.temperature == pytest.approx(2.0, rel=0.1)
    assert scaler.transform(scores).sum(axis=1) == pytest.approx(np.ones(4000))


def test_prefit_calibration_gives_probabilities_closer_to_the_truth():
    X, y = make_classification(
        n_samples=3000, n_features=20, n_informative=6, flip_y=0.1, random_state=5
    )
    train, held, test = slice(0, 1500), slice(1500, 2250), slice(2250, None)
    svm = LinearSVC(C=10.0).fit(X[train], y[train])
    raw = 1 / (1 + np.exp(-svm.decision_function(X[test])))
    calibrated = calibrated_prefit(svm, X[held], y[held], method="sigmoid")
    probabilities = calibrated.predict_proba(X[test])[:, 1]
    assert brier_score_loss(y[test], probabilities) < brier_score_loss(y[test], raw)
