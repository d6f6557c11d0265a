"""Anomaly detectors over one series, each causal: a point's score uses only earlier points.

Every detector takes the timestamps (seconds since the epoch) and values of a series and
returns a robust z-score per point (positive: above what was expected). `score_from_z` turns
one into an anomaly score in [0, 1]. `benchmarks/bench_analytics.py` and
`analytics_anomaly_scores` compare them on labelled series; `DETECTOR` is the one that won
(see docs/analytics.md, "Anomalies") and the one the product runs.

- seasonal_robust: a value's departure from its trailing median (a day), against the median
  departure of the same slot in the last 4 seasons (a week; a day while less than a week is
  known), so trend and level shifts are followed within half a day and each season's shape is
  taken around the level it had then; scaled by the MAD of the last week's residuals, floored
  for counts (Poisson) and for flat series;
- rolling_median: Grafana's MAD around a rolling median, no seasonality;
- windowed_gaussian: the Numenta benchmark's baseline, mean and standard deviation of a window.
"""

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

DAY, WEEK = 86400.0, 7 * 86400.0
SEASONS = 4
MIN_HISTORY = 12  # points before any score
MAD_TO_SD = 1.4826

Detector = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _past_windows(values: np.ndarray, width: int, reducer: Callable[..., np.ndarray]) -> np.ndarray:
    """reducer over values[t-width:t] for each t (NaN-aware; NaN where there is no past)."""
    n = len(values)
    out = np.full(n, np.nan)
    if n < 2 or width < 1:
        return out
    padded = np.concatenate([np.full(width, np.nan), values[:-1]])
    windows = sliding_window_view(padded, width)
    with np.errstate(all="ignore"), _quiet():
        out[:] = reducer(windows, axis=1)
    return out


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence numpy's 'all-NaN slice' warnings: an empty past is expected at the start."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _interval(timestamps: np.ndarray) -> float:
    steps = np.diff(timestamps)
    steps = steps[steps > 0]
    return float(np.median(steps)) if len(steps) else 0.0


def _lagged(values: np.ndarray, lag: int) -> np.ndarray:
    out = np.full(len(values), np.nan)
    if 0 < lag < len(values):
        out[lag:] = values[:-lag]
    return out


def _count_like(values: np.ndarray) -> np.ndarray:
    """Per point: whether the series so far has held only non-negative whole numbers."""
    finite = np.nan_to_num(values, nan=0.0)
    is_count = (finite >= 0) & (np.abs(finite - np.round(finite)) < 1e-9)
    return np.cumprod(is_count).astype(bool)


def seasonal_robust(timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Robust z against a seasonal median, its recent level and the recent residual scale."""
    return seasonal_robust_fit(timestamps, values)[0]


def seasonal_robust_fit(
    timestamps: np.ndarray, values: np.ndarray, *, unit: np.ndarray | float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(robust z, expected value) per point; the expected value is NaN before any past.

    `unit`: for a sum of amounts (a cost per hour), E[amount^2] / E[amount] of its events (per
    point, from its past; NaN: unknown); the noise floor is then a compound Poisson one,
    sqrt(expected x unit + unit^2) (the variance of a sum of a Poisson number of amounts is
    expected x E[amount^2] / E[amount]), as a count's is sqrt(expected + 1): one more call in
    a quiet hour is not an anomaly."""
    n = len(values)
    interval = _interval(timestamps)
    seasonal = np.full(n, np.nan)
    regime = np.zeros(n, dtype=int)  # 0: no season known yet, 1: a day, 2: a week
    has_period = False
    level_window = max(6, min(48, round(DAY / interval)) if interval else 24)
    # Each past season contributes its shape around the level it had then, so a level shift
    # is followed by the level alone, not again each time it enters another season's median.
    local = _past_windows(values, level_window, np.nanmedian)
    shape = values - np.where(np.isnan(local), values, local)
    if interval > 0:
        for code, span in ((1, DAY), (2, WEEK)):  # a week, once known, overrides a day
            period = round(span / interval)
            if period < 2 or abs(period * interval - span) > interval / 2:
                continue
            has_period = True
            lags = np.vstack([_lagged(shape, k * period) for k in range(1, SEASONS + 1)])
            with _quiet():
                reference = np.nanmedian(lags, axis=0)
            known = ~np.isnan(reference)
            seasonal[known] = reference[known]
            regime[known] = code
    # The value's departure from its trailing level, against the same slot's past departures.
    level = local
    residual = shape - np.nan_to_num(seasonal, nan=0.0)
    scale_window = max(24, min(336, round(WEEK / interval) if interval else 168))
    mad = _past_windows(np.abs(residual), scale_window, np.nanmedian) * MAD_TO_SD
    expected = np.nan_to_num(seasonal, nan=0.0) + np.nan_to_num(level, nan=0.0)
    floor = np.where(
        _count_like(values),
        np.sqrt(np.maximum(expected, 0) + 1.0),
        0.02 * np.abs(expected) + 1e-9,
    )
    if unit is not None:
        units = np.broadcast_to(np.asarray(unit, dtype=float), floor.shape)
        with np.errstate(invalid="ignore"):
            floor = np.fmax(floor, np.sqrt(np.maximum(expected, 0) * units + units * units))
    scale = np.fmax(np.nan_to_num(mad, nan=0.0), floor)
    z = residual / scale
    z[: min(MIN_HISTORY, n)] = 0.0
    if has_period:
        # No score before a season is known, nor while the level still mixes two references.
        z[regime == 0] = 0.0
        before = np.full(n, -1)
        before[level_window:] = regime[: max(n - level_window, 0)]
        z[regime != before] = 0.0
    expected[np.isnan(level)] = np.nan
    return np.asarray(np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0), dtype=float), expected


def rolling_median(timestamps: np.ndarray, values: np.ndarray, *, width: int = 48) -> np.ndarray:
    """Robust z around the median of the last `width` points (MAD scale)."""
    median = _past_windows(values, width, np.nanmedian)
    mad = _past_windows(values, width, lambda w, axis: np.nanmedian(
        np.abs(w - np.nanmedian(w, axis=axis, keepdims=True)), axis=axis))  # fmt: skip
    scale = np.fmax(np.nan_to_num(mad * MAD_TO_SD, nan=0.0), 1e-9 + 0.02 * np.abs(median))
    z = (values - median) / scale
    z[: min(MIN_HISTORY, len(values))] = 0.0
    return np.asarray(np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0), dtype=float)


def windowed_gaussian(
    timestamps: np.ndarray, values: np.ndarray, *, width: int = 168
) -> np.ndarray:
    """z against the mean and standard deviation of the last `width` points (NAB's baseline)."""
    mean = _past_windows(values, width, np.nanmean)
    sd = _past_windows(values, width, np.nanstd)
    z = (values - mean) / np.fmax(np.nan_to_num(sd, nan=0.0), 1e-9)
    z[: min(MIN_HISTORY, len(values))] = 0.0
    return np.asarray(np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0), dtype=float)


DETECTORS: dict[str, Detector] = {
    "seasonal_robust": seasonal_robust,
    "rolling_median": rolling_median,
    "windowed_gaussian": windowed_gaussian,
}
DETECTOR = "seasonal_robust"
# The score at or above which a point is an anomaly, per sensitivity (chosen on the tuning
# seeds; `make bench BENCH_ARGS=analytics` prints precision and recall at each).
THRESHOLDS = {"high": 0.98, "default": 0.99, "low": 0.999}


def score_from_z(z: np.ndarray) -> np.ndarray:
    """An anomaly score in [0, 1]: one minus the two-sided tail of |z| under Student's t(3)
    (heavier tails than the normal, so a score keeps ranking past z = 5)."""
    return np.asarray(1.0 - 2.0 * stats.t.sf(np.abs(z), df=3), dtype=float)


def anomaly_scores(
    timestamps: np.ndarray, values: np.ndarray, *, detector: str = DETECTOR
) -> tuple[np.ndarray, np.ndarray]:
    """(score in [0, 1], signed z) per point of a series, learning as it goes."""
    order_ok = np.all(np.diff(timestamps) >= 0) if len(timestamps) > 1 else True
    if not order_ok:
        raise ValueError("timestamps must be in increasing order")
    z = DETECTORS[detector](np.asarray(timestamps, float), np.asarray(values, float))
    return score_from_z(z), z


def anomaly_fit(
    timestamps: np.ndarray, values: np.ndarray, *, unit: np.ndarray | float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(score, signed z, expected value) per point by the product's detector, learning as it
    goes: the scores are those of `anomaly_scores` (a series of sums of amounts may give the
    `unit` of its noise, see seasonal_robust_fit)."""
    if len(timestamps) > 1 and not np.all(np.diff(timestamps) >= 0):
        raise ValueError("timestamps must be in increasing order")
    z, expected = seasonal_robust_fit(
        np.asarray(timestamps, float), np.asarray(values, float), unit=unit
    )
    return score_from_z(z), z, expected
