"""Time-based train/test splits: learn from the past, judge on what came after.

Rows are given by their timestamps; splits return row indices, so any table (a queryset
turned into lists, a DataFrame, arrays) can be split the same way. Rows at the same instant
always land on the same side of a cut.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from opsroom.core.errors import InvalidInput

Indices = npt.NDArray[np.intp]


@dataclass(frozen=True)
class TimeSplit:
    """Rows before `cut` train, rows from `cut` (and before `end`, when set) test."""

    train: Indices
    test: Indices
    cut: datetime
    end: datetime | None = None


def _as_array(timestamps: Sequence[datetime]) -> npt.NDArray[np.object_]:
    if not len(timestamps):
        raise InvalidInput("There are no rows to split.")
    if any(t.tzinfo is None for t in timestamps):
        raise InvalidInput("Timestamps must be timezone-aware.")
    return np.asarray(timestamps, dtype=object)


def time_split(
    *, timestamps: Sequence[datetime], cut: datetime | None = None, test_fraction: float = 0.2
) -> TimeSplit:
    """Split at a date, or (without one) so that about the latest `test_fraction` of rows test."""
    times = _as_array(timestamps)
    if cut is None:
        if not 0 < test_fraction < 1:
            raise InvalidInput("The test fraction must be between 0 and 1.")
        ordered = sorted(times)
        cut = ordered[max(1, len(ordered) - math.ceil(len(ordered) * test_fraction))]
    train = np.flatnonzero(times < cut)
    test = np.flatnonzero(times >= cut)
    if not len(train) or not len(test):
        raise InvalidInput(
            f"A cut at {cut:%Y-%m-%d %H:%M} leaves {len(train)} training and "
            f"{len(test)} test rows; both sides need rows."
        )
    return TimeSplit(train=train, test=test, cut=cut)


def rolling_origin_folds(
    *,
    timestamps: Sequence[datetime],
    folds: int = 3,
    horizon: timedelta | None = None,
    min_train_fraction: float = 0.5,
) -> list[TimeSplit]:
    """Backtest folds with an expanding training window.

    The cuts split the rows after the first `min_train_fraction` into `folds` equal parts;
    each fold trains on everything before its cut and tests on the rows up to the next cut
    (or within `horizon` of its cut, when given). Folds whose test slice is empty are left out.
    """
    times = _as_array(timestamps)
    if folds < 1 or not 0 < min_train_fraction < 1:
        raise InvalidInput("Ask for at least one fold and a training fraction between 0 and 1.")
    ordered = sorted(times)
    n = len(ordered)
    first = math.ceil(n * min_train_fraction)
    positions = [first + math.floor(i * (n - first) / folds) for i in range(folds)]
    cuts = sorted({ordered[min(p, n - 1)] for p in positions})
    result = []
    for i, cut in enumerate(cuts):
        end = cut + horizon if horizon is not None else (cuts[i + 1] if i + 1 < len(cuts) else None)
        train = np.flatnonzero(times < cut)
        in_test = times >= cut
        if end is not None:
            in_test &= times < end
        test = np.flatnonzero(in_test)
        if len(train) and len(test):
            result.append(TimeSplit(train=train, test=test, cut=cut, end=end))
    if not result:
        raise InvalidInput("These rows are too few (or too close in time) to make any fold.")
    return result
