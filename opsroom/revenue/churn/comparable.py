"""What retained customers comparable to a person looked like: the reference beside each risk
factor ("no login in 14 days; retained customers like them: 2").

Comparable means the same billing interval (annual or not) and the same tenure band; retained
means paying at the start of the last closed window (today minus the horizon) and not churned
within it. The reference is the median of the feature among those customers, as of the start of
that window, so it is a fact about real customers who stayed, not a model's average. A group of
fewer than MIN_GROUP retained customers falls back to every retained customer.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from opsroom.revenue.churn.dataset import snapshot_build
from opsroom.revenue.churn.features import feature_matrix, feature_names

MIN_GROUP = 10
TENURE_BANDS = ((90, "first 3 months"), (365, "3-12 months"), (None, "over a year"))


def comparable_group(signals: Mapping[str, float]) -> tuple[bool, str]:
    """(annual, tenure band) of a customer."""
    days = signals.get("paid_days", 0.0)
    band = next(label for limit, label in TENURE_BANDS if limit is None or days < limit)
    return signals.get("is_annual", 0.0) >= 1, band


def group_label(group: tuple[bool, str]) -> str:
    annual, band = group
    return f"{'annual' if annual else 'monthly'}, {band}"


@dataclass(frozen=True)
class RetainedReferences:
    names: list[str]
    medians: dict[tuple[bool, str], npt.NDArray[np.float64]]
    overall: npt.NDArray[np.float64] | None
    sizes: dict[tuple[bool, str], int]

    def reference(self, signals: Mapping[str, float], feature: str) -> tuple[float, str] | None:
        """The median of a feature among retained customers like this one, and whom it
        describes; None when the feature or any retained customer is unknown."""
        if feature not in self.names:
            return None
        index = self.names.index(feature)
        group = comparable_group(signals)
        if group in self.medians:
            return float(self.medians[group][index]), group_label(group)
        if self.overall is None:
            return None
        return float(self.overall[index]), "all"


def retained_references(*, today: date, horizon_days: int = 30) -> RetainedReferences:
    """The references from the last closed window before today."""
    snapshot = snapshot_build(
        day=today - timedelta(days=horizon_days), horizon_days=horizon_days, labelled=True
    )
    kept = [
        signals
        for signals, churned in zip(
            snapshot.signals, snapshot.churned if snapshot.churned is not None else [], strict=False
        )
        if not churned
    ]
    names = feature_names(sorted({name for row in kept for name in row}))
    if not kept:
        return RetainedReferences(names, {}, None, {})
    matrix = feature_matrix(kept, names)
    groups: dict[tuple[bool, str], list[int]] = {}
    for i, signals in enumerate(kept):
        groups.setdefault(comparable_group(signals), []).append(i)
    medians = {
        group: np.median(matrix[rows], axis=0)
        for group, rows in groups.items()
        if len(rows) >= MIN_GROUP
    }
    return RetainedReferences(
        names=names,
        medians=medians,
        overall=np.median(matrix, axis=0),
        sizes={group: len(rows) for group, rows in groups.items()},
    )


def factors_referenced(
    factors: list[dict[str, object]], signals: Mapping[str, float], refs: RetainedReferences
) -> list[dict[str, object]]:
    """The factors with each reference taken from comparable retained customers."""
    out = []
    for factor in factors:
        found = refs.reference(signals, str(factor.get("feature", "")))
        if found is None:
            out.append({**factor, "reference": None, "compared_with": ""})
        else:
            value, label = found
            out.append({**factor, "reference": round(value, 2), "compared_with": label})
    return out
