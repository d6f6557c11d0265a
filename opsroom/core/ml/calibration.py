"""Turning a classifier's scores into probabilities that mean what they say.

Two ways, both fitted on held-back rows the classifier did not train on:
- `TemperatureScaler`: one temperature for a multiclass score matrix (softmax of scores / T),
  fitted by maximum likelihood with scipy. Keeps the ranking, fixes over- or under-confidence.
- `calibrated_prefit`: scikit-learn's sigmoid (Platt) or isotonic calibration of an already
  fitted estimator (one-vs-rest for several classes).
"""

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from opsroom.core.errors import InvalidInput

Scores = npt.NDArray[np.float64]


class TemperatureScaler:
    """Softmax of scores divided by a temperature fitted to held-back rows."""

    def __init__(self) -> None:
        self.temperature = 1.0

    def fit(self, scores: Scores, y: npt.NDArray[np.intp]) -> "TemperatureScaler":
        """Fit on a score matrix (rows x classes) and the column index of each row's true class."""
        scores = np.asarray(scores, dtype=float)
        y = np.asarray(y, dtype=int)
        if scores.ndim != 2 or len(scores) != len(y) or not len(y):
            raise InvalidInput("Temperature scaling needs a score matrix and a label per row.")
        rows = np.arange(len(y))

        def nll(log_t: float) -> float:
            return float(-log_softmax(scores / np.exp(log_t), axis=1)[rows, y].mean())

        best = minimize_scalar(nll, bounds=(-5.0, 5.0), method="bounded")
        self.temperature = float(np.exp(best.x))
        return self

    def transform(self, scores: Scores) -> Scores:
        result: Scores = softmax(np.asarray(scores, dtype=float) / self.temperature, axis=1)
        return result


def calibrated_prefit(
    estimator: Any, X: Any, y: Any, *, method: Literal["sigmoid", "isotonic"] = "sigmoid"
) -> CalibratedClassifierCV:
    """A fitted estimator wrapped with probabilities calibrated on held-back rows (X, y)."""
    calibrated = CalibratedClassifierCV(FrozenEstimator(estimator), method=method)
    return calibrated.fit(X, y)
