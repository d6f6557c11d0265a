"""Calibrating the triage rules' confidences (severity, affected feature, blocking impact) on
the operator's own history.

The rules in `support/triage.py` give each of their three answers a strength (how many signals
agreed), not a probability. Here each past answer an agent reviewed is a label: was the rule
right? (`support/selectors/calibration.py` says which tickets count.) The rule's strength is
the evidence; a calibrator maps it to the rate at which the rule was right:

- `BinnedCalibrator`: the rule's strengths fall on a few levels; each level (to the nearest
  0.05) gets its observed rate of being right, smoothed toward the overall rate with
  `SMOOTHING` pseudo-labels (so a level seen a handful of times stays near the average);
  a level never seen takes the nearest one's rate.
- `IsotonicCalibrator`: scikit-learn's isotonic regression (the rate of being right as a
  non-decreasing step function of the strength).

Both are fitted on the older tickets and measured on the newer ones (a time split); the one
with the lower Brier score there is kept (the binned one on a tie). The Brier score, not the
expected calibration error, chooses: a calibrator that says the overall rate to every ticket
has a near-zero calibration error and tells nothing apart (isotonic regression does that when
the rule is right less often at a higher strength), while the Brier score rewards telling
right answers from wrong ones as well as being calibrated. The model store uses the chosen
one only if its expected calibration error there beats the rule strengths' own.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss

from opsroom.core.errors import InvalidInput
from opsroom.core.ml.evaluation import calibration_table, expected_calibration_error
from opsroom.core.ml.services import TrainingRun
from opsroom.core.ml.splits import time_split

Field = Literal["severity", "feature", "is_blocking"]
FIELDS: tuple[Field, ...] = ("severity", "feature", "is_blocking")
MODEL_NAMES: dict[Field, str] = {
    "severity": "support.triage.severity",
    "feature": "support.triage.feature",
    "is_blocking": "support.triage.blocking",
}
FIELD_LABELS: dict[Field, str] = {
    "severity": "Severity",
    "feature": "Affected feature",
    "is_blocking": "User impact (blocking)",
}
MIN_LABELS = 200  # reviewed tickets needed before a field's confidences are calibrated
MIN_TEST = 50  # of which at least this many in the newer, held-back slice
TEST_FRACTION = 0.3
SMOOTHING = 10.0
BUCKET = 0.05
PRIMARY_METRIC = "ece"
# Calibrated confidences never claim certainty: a few wrong answers always slip through.
FLOOR, CEILING = 0.01, 0.99

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RuleOutcome:
    """One reviewed answer of a rule: its strength, whether it was right, when it was given."""

    strength: float
    is_right: bool
    at: datetime


def _bucket(strength: float) -> int:
    return round(strength / BUCKET)


class BinnedCalibrator:
    """The smoothed rate of being right at each level of the rule's strength."""

    method = "binned"

    def __init__(self, *, smoothing: float = SMOOTHING) -> None:
        self.smoothing = smoothing
        self.prior = 0.5
        self.rates: dict[int, float] = {}
        self.counts: dict[int, int] = {}

    def fit(self, strengths: Floats, right: Floats) -> "BinnedCalibrator":
        self.prior = float(np.mean(right)) if len(right) else 0.5
        totals: dict[int, list[float]] = {}
        for strength, outcome in zip(strengths, right, strict=True):
            totals.setdefault(_bucket(float(strength)), []).append(float(outcome))
        self.counts = {key: len(values) for key, values in totals.items()}
        self.rates = {
            key: (sum(values) + self.smoothing * self.prior) / (len(values) + self.smoothing)
            for key, values in totals.items()
        }
        return self

    def predict(self, strengths: Floats) -> Floats:
        keys = sorted(self.rates)
        result = np.empty(len(strengths), dtype=float)
        for i, strength in enumerate(strengths):
            key = _bucket(float(strength))
            if key not in self.rates:
                key = min(keys, key=lambda known: (abs(known - key), known)) if keys else key
            result[i] = self.rates.get(key, self.prior)
        return np.clip(result, FLOOR, CEILING)


class IsotonicCalibrator:
    """Isotonic regression of being right on the rule's strength."""

    method = "isotonic"

    def __init__(self) -> None:
        self.model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")

    def fit(self, strengths: Floats, right: Floats) -> "IsotonicCalibrator":
        self.model.fit(strengths, right)
        return self

    def predict(self, strengths: Floats) -> Floats:
        result: Floats = np.clip(self.model.predict(strengths), FLOOR, CEILING)
        return result


@dataclass
class ConfidenceCalibrator:
    """What the model store keeps for one field: the chosen calibrator of its rule."""

    field: Field
    inner: BinnedCalibrator | IsotonicCalibrator

    @property
    def method(self) -> str:
        return self.inner.method

    def confidence(self, strength: float) -> float:
        """The calibrated probability that the rule's answer given at this strength is right."""
        return round(float(self.inner.predict(np.array([strength], dtype=float))[0]), 4)


@dataclass(frozen=True)
class CalibrationTraining:
    """A fitted calibrator with what the store records about it, or why none was fitted."""

    field: Field
    labels: int
    calibrator: ConfidenceCalibrator | None
    run: TrainingRun | None
    reason: str


def _arrays(outcomes: Sequence[RuleOutcome]) -> tuple[Floats, Floats]:
    return (
        np.array([o.strength for o in outcomes], dtype=float),
        np.array([1.0 if o.is_right else 0.0 for o in outcomes], dtype=float),
    )


def _brier(predicted: Floats, right: Floats) -> float:
    return round(float(brier_score_loss(right, predicted, labels=[0, 1])), 6)


def _ece(predicted: Floats, right: Floats) -> float:
    # Rounded: float noise must not decide between two equally calibrated answers.
    return round(
        expected_calibration_error(calibration_table(predicted=predicted, observed=right)), 6
    )


def _levels(
    train: Sequence[RuleOutcome], test: Sequence[RuleOutcome], calibrator: ConfidenceCalibrator
) -> list[dict[str, Any]]:
    """Per level of the rule's strength: labels on each side of the split, how often the rule
    was right there, and the calibrated confidence it now stands for."""
    rows: dict[int, dict[str, Any]] = {}
    for side, outcomes in (("train", train), ("test", test)):
        for outcome in outcomes:
            row = rows.setdefault(
                _bucket(outcome.strength),
                {"train": 0, "train_right": 0, "test": 0, "test_right": 0},
            )
            row[side] += 1
            row[f"{side}_right"] += int(outcome.is_right)
    return [
        {
            "strength": round(key * BUCKET, 2),
            "train_rows": row["train"],
            "train_observed": row["train_right"] / row["train"] if row["train"] else None,
            "test_rows": row["test"],
            "test_observed": row["test_right"] / row["test"] if row["test"] else None,
            "calibrated": calibrator.confidence(key * BUCKET),
        }
        for key, row in sorted(rows.items())
    ]


def confidence_calibration_run(
    *, field: Field, outcomes: Sequence[RuleOutcome]
) -> CalibrationTraining:
    """Fit both calibrators on the older labels, keep the one with the lower Brier score on the
    newer ones, and measure it beside the rule strengths there."""
    started = time.perf_counter()
    rows = sorted(outcomes, key=lambda o: o.at)
    too_few = (
        f"Too little history: {len(rows)} reviewed tickets (needs {MIN_LABELS}, of which "
        f"{MIN_TEST} in the newest {TEST_FRACTION:.0%}); the rule strengths stay in use."
    )
    if len(rows) < MIN_LABELS:
        return CalibrationTraining(field, len(rows), None, None, too_few)
    try:
        split = time_split(timestamps=[o.at for o in rows], test_fraction=TEST_FRACTION)
    except InvalidInput:
        return CalibrationTraining(field, len(rows), None, None, too_few)
    train = [rows[i] for i in split.train]
    test = [rows[i] for i in split.test]
    if len(test) < MIN_TEST or len(train) < MIN_TEST:
        return CalibrationTraining(field, len(rows), None, None, too_few)
    train_x, train_y = _arrays(train)
    test_x, test_y = _arrays(test)
    candidates: list[BinnedCalibrator | IsotonicCalibrator] = [
        BinnedCalibrator().fit(train_x, train_y),
        IsotonicCalibrator().fit(train_x, train_y),
    ]
    briers = {c.method: _brier(c.predict(test_x), test_y) for c in candidates}
    eces = {c.method: _ece(c.predict(test_x), test_y) for c in candidates}
    chosen = min(candidates, key=lambda c: (briers[c.method], c.method != "binned"))
    calibrator = ConfidenceCalibrator(field=field, inner=chosen)
    after = chosen.predict(test_x)
    before = np.clip(test_x, 0.0, 1.0)
    train_seconds = time.perf_counter() - started
    after_table = calibration_table(predicted=after, observed=test_y)
    before_table = calibration_table(predicted=before, observed=test_y)
    right_rate = float(test_y.mean())
    run = TrainingRun(
        name=MODEL_NAMES[field],
        method=f"{chosen.method} calibration of the {FIELD_LABELS[field].lower()} rule's strength",
        primary_metric=PRIMARY_METRIC,
        metrics={
            "ece": _ece(after, test_y),
            "brier": _brier(after, test_y),
            "base_rate": right_rate,
            "reliability": [vars(b) for b in after_table],
            "levels": _levels(train, test, calibrator),
            "method_brier": briers,
            "method_ece": eces,
        },
        baseline_metrics={
            "ece": _ece(before, test_y),
            "brier": _brier(before, test_y),
            "base_rate": right_rate,
            "reliability": [vars(b) for b in before_table],
            "method": "rule strengths",
        },
        train_rows=len(train),
        test_rows=len(test),
        data_start=train[0].at,
        data_end=train[-1].at,
        train_seconds=train_seconds,
        params={
            "field": field,
            "method": chosen.method,
            "smoothing": SMOOTHING,
            "bucket": BUCKET,
            "test_from": split.cut.isoformat(),
        },
    )
    return CalibrationTraining(field, len(rows), calibrator, run, "")
