"""How well a model does on held-out rows, by scikit-learn and scipy.

Reports are plain dataclasses; `as_dict()` gives the JSON stored beside a model in the model
store (and read back by the model card), so a report written today reads the same later.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import binned_statistic
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from opsroom.core.errors import InvalidInput

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CalibrationBin:
    """Rows whose predicted probability fell in [lower, upper): how sure, and how often right."""

    lower: float
    upper: float
    count: int
    mean_predicted: float | None
    observed: float | None  # accuracy (multiclass) or share of positives (binary)


def calibration_table(
    *, predicted: Sequence[float] | Floats, observed: Sequence[float] | Floats, bins: int = 10
) -> list[CalibrationBin]:
    """Equal-width bins over [0, 1] of predicted probabilities, with what was observed in each."""
    p = np.clip(np.asarray(predicted, dtype=float), 0.0, 1.0)
    o = np.asarray(observed, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = binned_statistic(p, o, statistic="count", bins=edges).statistic
    mean_p = binned_statistic(p, p, statistic="mean", bins=edges).statistic
    mean_o = binned_statistic(p, o, statistic="mean", bins=edges).statistic
    return [
        CalibrationBin(
            lower=float(edges[i]),
            upper=float(edges[i + 1]),
            count=int(counts[i]),
            mean_predicted=float(mean_p[i]) if counts[i] else None,
            observed=float(mean_o[i]) if counts[i] else None,
        )
        for i in range(bins)
    ]


def expected_calibration_error(table: Sequence[CalibrationBin]) -> float:
    """The count-weighted mean gap between confidence and accuracy over the bins."""
    total = sum(b.count for b in table)
    if not total:
        return 0.0
    return float(
        sum(
            b.count / total * abs(b.observed - b.mean_predicted)
            for b in table
            if b.count and b.observed is not None and b.mean_predicted is not None
        )
    )


@dataclass(frozen=True)
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class MulticlassReport:
    n: int
    accuracy: float
    macro_f1: float
    labels: list[str]
    per_class: list[ClassScore]
    confusion: list[list[int]]  # rows: true label, columns: predicted label, in `labels` order
    ece: float | None
    reliability: list[CalibrationBin]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def multiclass_evaluate(
    *,
    y_true: Sequence[str],
    y_pred: Sequence[str],
    confidence: Sequence[float] | Floats | None = None,
    labels: Sequence[str] | None = None,
    bins: int = 10,
) -> MulticlassReport:
    """Accuracy, macro-F1, per-class precision/recall/support, confusion matrix, and (with the
    confidence of each prediction) expected calibration error and a reliability table."""
    if len(y_true) != len(y_pred) or not len(y_true):
        raise InvalidInput("Evaluation needs as many predictions as true labels, and at least one.")
    order = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=order, zero_division=0
    )
    reliability: list[CalibrationBin] = []
    ece = None
    if confidence is not None:
        correct = np.asarray(y_true, dtype=object) == np.asarray(y_pred, dtype=object)
        reliability = calibration_table(predicted=confidence, observed=correct, bins=bins)
        ece = expected_calibration_error(reliability)
    return MulticlassReport(
        n=len(y_true),
        accuracy=float(accuracy_score(y_true, y_pred)),
        macro_f1=float(f1_score(y_true, y_pred, labels=order, average="macro", zero_division=0)),
        labels=order,
        per_class=[
            ClassScore(
                label=label,
                precision=float(precision[i]),
                recall=float(recall[i]),
                f1=float(f1[i]),
                support=int(support[i]),
            )
            for i, label in enumerate(order)
        ],
        confusion=confusion_matrix(y_true, y_pred, labels=order).tolist(),
        ece=ece,
        reliability=reliability,
    )


@dataclass(frozen=True)
class BinaryReport:
    n: int
    positives: int
    base_rate: float
    roc_auc: float | None  # None when the rows hold one class only
    brier: float
    top_decile_lift: float | None
    calibration: list[CalibrationBin]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def top_decile_lift(
    *, y_true: Sequence[int] | npt.NDArray[Any], scores: Sequence[float] | Floats
) -> float | None:
    """Share of positives among the 10% highest-scored rows, over the share among all rows."""
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(scores, dtype=float)
    base = y.mean() if len(y) else 0.0
    if not base:
        return None
    top = max(1, int(np.ceil(len(s) * 0.1)))
    # Stable order, highest first: ties keep their input order, so the figure is repeatable.
    best = np.argsort(-s, kind="stable")[:top]
    return float(y[best].mean() / base)


def binary_evaluate(
    *, y_true: Sequence[int] | npt.NDArray[Any], scores: Sequence[float] | Floats, bins: int = 10
) -> BinaryReport:
    """ROC AUC, top-decile lift, Brier score and a calibration table for predicted probabilities."""
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=float)
    if len(y) != len(s) or not len(y):
        raise InvalidInput("Evaluation needs as many scores as true labels, and at least one.")
    if not set(np.unique(y)) <= {0, 1} or s.min() < 0 or s.max() > 1:
        raise InvalidInput("Binary evaluation needs 0/1 labels and probabilities in [0, 1].")
    both = len(np.unique(y)) == 2
    return BinaryReport(
        n=len(y),
        positives=int(y.sum()),
        base_rate=float(y.mean()),
        roc_auc=float(roc_auc_score(y, s)) if both else None,
        brier=float(brier_score_loss(y, s, labels=[0, 1])),
        top_decile_lift=top_decile_lift(y_true=y, scores=s),
        calibration=calibration_table(predicted=s, observed=y, bins=bins),
    )
