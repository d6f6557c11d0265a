"""Labelled series to measure detectors on, and the scoring (event-based precision/recall).

`labelled_series(seed)` makes realistic metric series: a level, a trend, weekly and daily
seasonality, noise (Gaussian, or Poisson for counts), with planted anomalies: spikes, dips,
level shifts and short outages, each labelled by a window. The seeds used to choose the
detector and its threshold are not the seeds the benchmark reports on.

Scoring: consecutive points at or above a threshold form one alarm. An alarm that starts
inside a labelled window (widened by `slack` points after it) finds that anomaly; recall is
the share of anomalies found, precision the share of alarms that found one.
"""

import math
from dataclasses import dataclass, field

import numpy as np

HOUR = 3600.0


@dataclass
class Series:
    name: str
    timestamps: np.ndarray  # seconds since the epoch
    values: np.ndarray
    windows: list[tuple[int, int]] = field(default_factory=list)  # [start, end) point indexes
    kinds: list[str] = field(default_factory=list)


def labelled_series(seed: int, *, hourly: bool = True, points: int | None = None) -> Series:
    """One random metric series with planted, labelled anomalies."""
    rng = np.random.default_rng(seed)
    step = HOUR if hourly else 24 * HOUR
    n = points or (24 * 7 * 10 if hourly else 2 * 365)
    t = np.arange(n)
    start = 1_767_225_600.0  # 2026-01-01 00:00 UTC
    timestamps = start + t * step
    hours = (t * step / HOUR) % 24
    weekday = ((t * step / HOUR) // 24) % 7
    is_count = rng.random() < 0.5
    level = rng.choice([3, 20, 120, 900]) if is_count else rng.lognormal(3, 1.2)
    trend = rng.normal(0, 0.4) / n  # relative change per point
    daily_amp = rng.uniform(0.1, 0.6) if hourly else 0.0
    weekly_amp = rng.uniform(0.05, 0.35)
    daily = np.sin(2 * math.pi * (hours - 6) / 24) if hourly else 0.0
    weekly = np.where(weekday >= 5, -1.0, 0.3) + 0.2 * np.sin(2 * math.pi * weekday / 7)
    mean = level * (1 + trend * t) * (1 + daily_amp * daily) * (1 + weekly_amp * weekly)
    mean = np.maximum(mean, level * 0.05)
    windows: list[tuple[int, int]] = []
    kinds: list[str] = []
    warmup = 24 * 8 if hourly else 35
    slots = rng.choice(np.arange(warmup, n - 6, 12 if hourly else 5), size=5, replace=False)
    for at in sorted(int(slot) for slot in slots):
        if any(lo - 12 <= at <= hi + 12 for lo, hi in windows):
            continue
        kind = rng.choice(["spike", "dip", "shift", "outage"], p=[0.4, 0.2, 0.25, 0.15])
        if kind == "spike":
            width = int(rng.integers(1, 4))
            mean[at : at + width] *= rng.uniform(2.5, 6)
        elif kind == "dip":
            width = int(rng.integers(2, 5))
            mean[at : at + width] *= rng.uniform(0.1, 0.4)
        elif kind == "outage":
            width = int(rng.integers(2, 6))
            mean[at : at + width] *= 0.0
        else:
            width = 3
            mean[at:] *= rng.choice([rng.uniform(1.6, 2.5), rng.uniform(0.3, 0.6)])
        windows.append((at, at + width))
        kinds.append(str(kind))
    if is_count:
        values = rng.poisson(np.maximum(mean, 0)).astype(float)
    else:
        values = np.maximum(mean * (1 + rng.normal(0, 0.08, n)), 0)
    return Series(f"series-{seed}", timestamps, values, windows, kinds)


@dataclass(frozen=True)
class Tally:
    anomalies: int
    found: int
    alarms: int
    true_alarms: int

    @property
    def recall(self) -> float:
        return self.found / self.anomalies if self.anomalies else 1.0

    @property
    def precision(self) -> float:
        return self.true_alarms / self.alarms if self.alarms else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(
            self.anomalies + other.anomalies,
            self.found + other.found,
            self.alarms + other.alarms,
            self.true_alarms + other.true_alarms,
        )


def alarms_of(scores: np.ndarray, threshold: float) -> list[int]:
    """The start index of each run of points at or above the threshold."""
    above = scores >= threshold
    starts = np.flatnonzero(above & ~np.concatenate([[False], above[:-1]]))
    return [int(i) for i in starts]


def tally(scores: np.ndarray, windows: list[tuple[int, int]], threshold: float,
          *, slack: int = 3) -> Tally:  # fmt: skip
    """Anomalies found and alarms raised at a threshold (see the module's docstring)."""
    alarms = alarms_of(scores, threshold)
    found = set()
    true_alarms = 0
    for start in alarms:
        hit = next((i for i, (lo, hi) in enumerate(windows) if lo <= start < hi + slack), None)
        if hit is not None:
            true_alarms += 1
            found.add(hit)
    return Tally(len(windows), len(found), len(alarms), true_alarms)
