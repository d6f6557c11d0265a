"""Train the product's triage pipeline on one labelled set and judge it on another.

Used by `manage.py support_triage_eval` and by the benchmark, so both report the same figures.
Accuracy, macro-F1 and calibration are over the in-scope test rows (the classifier's best
guess); precision and coverage are at the confidence threshold chosen on rows held back from
the training set, over all test rows, where accepting an out-of-scope row is a mistake.
"""

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from opsroom.core.ml.evaluation import multiclass_evaluate
from opsroom.core.ml.thresholds import precision_at
from opsroom.support.ml.data import LabelledTexts
from opsroom.support.ml.model import TriageClassifier, TriagePrediction


@dataclass(frozen=True)
class TriageEvaluation:
    method: str
    embeddings: bool
    train_rows: int
    test_rows: int
    labels: int
    accuracy: float | None
    macro_f1: float | None
    ece: float | None
    target_precision: float
    threshold: float | None
    threshold_outcome: str
    held_back_precision: float | None
    precision: float | None
    precision_lower: float | None
    coverage: float
    accepted: int
    out_of_scope_rows: int
    out_of_scope_accepted: int
    train_seconds: float
    predict_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def triage_evaluate(
    *, train: LabelledTexts, test: LabelledTexts, classifier: TriageClassifier
) -> tuple[TriageEvaluation, list[TriagePrediction]]:
    """Fit the classifier on `train`, predict `test`, and measure it."""
    started = time.perf_counter()
    classifier.fit(train.texts, train.labels)
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predictions = classifier.predict(test.texts)
    predict_seconds = time.perf_counter() - started

    truth = np.array(test.labels, dtype=object)
    in_scope = truth != ""
    best = np.array([p.best_label for p in predictions], dtype=object)
    confidence = np.array([p.confidence for p in predictions], dtype=float)
    accepted = np.array([p.label is not None for p in predictions], dtype=bool)
    report = (
        multiclass_evaluate(
            y_true=list(truth[in_scope]),
            y_pred=list(best[in_scope]),
            confidence=confidence[in_scope],
        )
        if in_scope.any()
        else None
    )
    choice = classifier.threshold
    at = precision_at(
        confidence=np.where(accepted, confidence, -1.0),
        correct=(best == truth) & in_scope,
        threshold=choice.threshold if choice is not None else None,
    )
    evaluation = TriageEvaluation(
        method=classifier.method,
        embeddings=classifier.embedding_model is not None,
        train_rows=len(train.texts),
        test_rows=len(test.texts),
        labels=len(classifier.labels),
        accuracy=report.accuracy if report else None,
        macro_f1=report.macro_f1 if report else None,
        ece=report.ece if report else None,
        target_precision=classifier.target_precision,
        threshold=choice.threshold if choice is not None else None,
        threshold_outcome=choice.outcome if choice is not None else "too_few_rows",
        held_back_precision=choice.precision if choice is not None else None,
        precision=at.precision,
        precision_lower=at.precision_lower,
        coverage=at.coverage,
        accepted=at.accepted,
        out_of_scope_rows=int((~in_scope).sum()),
        out_of_scope_accepted=int((accepted & ~in_scope).sum()),
        train_seconds=train_seconds,
        predict_seconds=predict_seconds,
    )
    return evaluation, predictions
