"""The design brief's rule score (its `calculate_churn_probability`), point for point: the
baseline the churn model must beat on held-back months to be used, and its reasons.

Its inputs map to the signals: last login, logins and meal plans (the key action) in 30
days, feature adoption (different things done in 30 days), errors in 7 days, tickets in 30
days, failed payments in 30 days, cancel attempts (in the app, or a cancellation scheduled
in 90 days), and an engagement trend that is up (more active days in the last 14 than in the
14 before). The brief's "recent achievement" has no counterpart and is left out.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

# (feature, points, condition on the signals): the brief's calculate_churn_probability.
_CONDITIONS: tuple[tuple[str, int, Any], ...] = (
    ("days_since_login", 30, lambda s: s.get("days_since_login", 0) > 14),
    ("days_since_login", 15, lambda s: 7 < s.get("days_since_login", 0) <= 14),
    ("logins_30d", 20, lambda s: s.get("logins_30d", 0) < 4),
    ("key_actions_30d", 25, lambda s: s.get("key_actions_30d", 0) == 0),
    ("features_used_30d", 15, lambda s: s.get("features_used_30d", 0) < 3),
    ("errors_7d", 15, lambda s: s.get("errors_7d", 0) > 3),
    ("tickets_30d", 10, lambda s: s.get("tickets_30d", 0) > 1),
    ("payment_failures_30d", 20, lambda s: s.get("payment_failures_30d", 0) > 0),
    (
        "cancel_attempts_90d",
        25,
        lambda s: (
            s.get("cancel_attempts_90d", 0)
            + s.get("cancel_requests_90d", 0)
            + s.get("cancel_scheduled", 0)
            > 0
        ),
    ),
)


def rule_factors(signals: Mapping[str, float]) -> list[dict[str, Any]]:
    """The conditions that raised a person's rule score, largest first."""
    fired: list[dict[str, Any]] = [
        {
            "feature": feature,
            "value": float(signals.get(feature, 0.0)),
            "reference": None,
            "contribution": points / 100,
        }
        for feature, points, condition in _CONDITIONS
        if condition(signals)
    ]
    return sorted(fired, key=lambda factor: -factor["contribution"])[:4]


def rule_probability(signals: Mapping[str, float]) -> float:
    """The rule score of one person, 0..1."""
    score = sum(points for _, points, condition in _CONDITIONS if condition(signals))
    if signals.get("active_days_14d", 0.0) > signals.get("active_days_prev_14d", 0.0):
        score -= 10  # engagement trend up
    return min(max(score, 0), 100) / 100.0


def rule_probabilities(rows: Sequence[Mapping[str, float]]) -> npt.NDArray[np.float64]:
    """The rule score of each person."""
    return np.array([rule_probability(signals) for signals in rows], dtype=float)
