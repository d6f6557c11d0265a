"""The churn model's features, as pure functions of the signals: the point-in-time signals
every app registers (opsroom.people.signals) plus a few derived ones (trends, rates)."""

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

# (name, what it is): signals first, then derived features.
DERIVED = (
    ("activity_trend_14d", "Active days in the last 14 days minus the 14 days before"),
    ("events_ratio", "Events in the last 30 days over the 30 before (1 = steady)"),
    ("email_open_rate", "Share of the last 30 days' emails opened"),
)


def feature_names(signal_names: list[str]) -> list[str]:
    """The model's columns: every signal, sorted, then the derived features."""
    return sorted(signal_names) + [name for name, _ in DERIVED]


def derived_features(signals: Mapping[str, float]) -> dict[str, float]:
    """The derived features of one person's signals."""
    emails = signals.get("emails_30d", 0.0)
    return {
        "activity_trend_14d": signals.get("active_days_14d", 0.0)
        - signals.get("active_days_prev_14d", 0.0),
        "events_ratio": (signals.get("events_30d", 0.0) + 1)
        / (signals.get("events_prev_30d", 0.0) + 1),
        "email_open_rate": signals.get("emails_opened_30d", 0.0) / emails if emails else 0.0,
    }


def feature_matrix(
    rows: Sequence[Mapping[str, float]], names: list[str]
) -> npt.NDArray[np.float64]:
    """One row of features per person, in `names` order (missing signals are 0)."""
    matrix = np.zeros((len(rows), len(names)), dtype=float)
    for i, signals in enumerate(rows):
        values = {**signals, **derived_features(signals)}
        matrix[i] = [float(values.get(name, 0.0)) for name in names]
    return matrix
