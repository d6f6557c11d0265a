"""The churn model: a logistic regression on the churn features (signed log of each count,
standardised), its probabilities calibrated (Platt) on a later snapshot it did not train on."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from opsroom.core.ml.calibration import calibrated_prefit
from opsroom.revenue.churn.features import feature_matrix

METHOD = "logistic regression on signed-log features, Platt-calibrated on a later snapshot"


def _signed_log(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    result: npt.NDArray[np.float64] = np.sign(matrix) * np.log1p(np.abs(matrix))
    return result


class ChurnModel:
    """Probability of churning within the horizon from a paying customer's signals."""

    def __init__(self, *, names: list[str], c: float = 0.5) -> None:
        self.names = names
        self.c = c
        self.pipeline = Pipeline(
            [
                ("log", FunctionTransformer(_signed_log)),
                ("scale", StandardScaler()),
                ("fit", LogisticRegression(C=c, max_iter=2000)),
            ]
        )
        self.calibrated: Any = None

    def fit(
        self,
        train: Sequence[Mapping[str, float]],
        y_train: npt.NDArray[np.int_],
        calibrate: Sequence[Mapping[str, float]],
        y_calibrate: npt.NDArray[np.int_],
    ) -> "ChurnModel":
        """Fit on the older snapshots; calibrate on the later one."""
        self.pipeline.fit(feature_matrix(train, self.names), y_train)
        self.calibrated = calibrated_prefit(
            self.pipeline, feature_matrix(calibrate, self.names), y_calibrate, method="sigmoid"
        )
        return self

    def probabilities(self, rows: Sequence[Mapping[str, float]]) -> npt.NDArray[np.float64]:
        """The calibrated probability of each row."""
        if not rows:
            return np.zeros(0)
        result: npt.NDArray[np.float64] = self.calibrated.predict_proba(
            feature_matrix(rows, self.names)
        )[:, 1]
        return result

    def factors(self, signals: Mapping[str, float], *, top: int = 4) -> list[dict[str, Any]]:
        """The features that pushed one person's score up the most (coefficient x standardised
        value), with the average value among the training rows as the reference."""
        scaler: StandardScaler = self.pipeline.named_steps["scale"]
        model: LogisticRegression = self.pipeline.named_steps["fit"]
        raw = feature_matrix([signals], self.names)
        z = (_signed_log(raw)[0] - scaler.mean_) / np.where(scaler.scale_ == 0, 1, scaler.scale_)
        pushes = model.coef_[0] * z
        reference = np.sign(scaler.mean_) * np.expm1(np.abs(scaler.mean_))
        order = np.argsort(-pushes, kind="stable")[:top]
        return [
            {
                "feature": self.names[i],
                "value": float(raw[0, i]),
                "reference": round(float(reference[i]), 2),
                "contribution": round(float(pushes[i]), 3),
            }
            for i in order
            if pushes[i] > 0
        ]
