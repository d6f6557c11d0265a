"""The product's detector on this database's watched series, scored against labelled anomalies.

Every watched series (metrics.py) is read from `since` to the end of the data, scored as the
watch scores it (anomaly_fit, learning as it goes), and its alarms (runs of points at or above
the sensitivity's threshold) are matched with the labelled windows by evaluation.py's
event-based rule: an alarm that starts inside a window (or up to 3 points after) finds that
anomaly; recall is the share of labelled anomalies found, precision the share of alarms that
found one. Alarms in series without labels count against precision. Labels of series the
watch does not produce (an endpoint outside the 20 with the most errors) are listed apart, and
so are labels in a series' first 8 days (the detector scores a point once a day, then a week,
of its season is known, and not during the day it moves from one to the other: like the
Numenta benchmark's probationary period, these are left out of the score).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from opsroom.analytics.anomaly.detectors import THRESHOLDS, anomaly_fit
from opsroom.analytics.anomaly.evaluation import Tally, alarms_of, tally
from opsroom.analytics.anomaly.metrics import (
    HISTORY,
    STEP_SECONDS,
    MetricSeries,
    metric_series_read,
)
from opsroom.analytics.services.anomaly_labels import LabelWindow
from opsroom.core import clock
from opsroom.core.errors import InvalidInput

SLACK = 3  # points after a window in which an alarm still finds it
WARM_UP = 8 * 86400.0  # seconds of a series' data before every point can be scored


@dataclass(frozen=True)
class MetricScore:
    key: str
    label: str
    tally: Tally
    alarms_at: list[datetime]  # the start of each alarm


@dataclass
class EvalReport:
    sensitivity: str
    threshold: float
    since: datetime
    until: datetime
    metrics: list[MetricScore] = field(default_factory=list)
    unwatched: list[LabelWindow] = field(default_factory=list)
    warm_up: list[LabelWindow] = field(default_factory=list)  # left out: too early to score

    @property
    def overall(self) -> Tally:
        total = Tally(0, 0, 0, 0)
        for metric in self.metrics:
            total = total + metric.tally
        return total


def _data_end(series: list[MetricSeries]) -> float | None:
    """The end of the last bucket holding data in any series (a count's last non-zero)."""
    ends = []
    for one in series:
        held = np.flatnonzero(np.isfinite(one.values) & (one.values != 0))
        if len(held):
            ends.append(float(one.timestamps[held[-1]]) + STEP_SECONDS[one.step])
    return max(ends) if ends else None


def _trimmed(one: MetricSeries, until: float) -> MetricSeries:
    keep = one.timestamps + STEP_SECONDS[one.step] <= until
    return MetricSeries(
        one.key,
        one.label,
        one.step,
        one.timestamps[keep],
        one.values[keep],
        unit=one.unit[keep] if one.unit is not None else None,
    )


def _windows(one: MetricSeries, labels: list[LabelWindow]) -> list[tuple[int, int]]:
    windows = []
    for label in labels:
        low = int(np.searchsorted(one.timestamps, label.start.timestamp(), side="right")) - 1
        high = int(np.searchsorted(one.timestamps, label.end.timestamp(), side="left"))
        windows.append((max(low, 0), max(high, low + 1)))
    return windows


def anomaly_eval(
    *,
    labels: list[LabelWindow],
    sensitivity: str = "default",
    since: datetime | None = None,
    until: datetime | None = None,
) -> EvalReport:
    """Score the product's detector on every watched series against the labels."""
    if not labels:
        raise InvalidInput("No labelled anomalies to score against.")
    threshold = THRESHOLDS.get(sensitivity)
    if threshold is None:
        raise InvalidInput(f"Sensitivity must be one of {', '.join(THRESHOLDS)}.")
    since = since or min(label.start for label in labels) - HISTORY["hour"]
    now = until or clock.now()
    if since >= now:
        raise InvalidInput("The start must be before the end.")
    series = metric_series_read(now=now, since=since)
    end = until.timestamp() if until is not None else _data_end(series)
    if end is None:
        raise InvalidInput("The database holds no data in the watched series.")
    series = [_trimmed(one, end) for one in series]
    report = EvalReport(sensitivity, threshold, since, datetime.fromtimestamp(end, tz=UTC))
    by_metric: dict[str, list[LabelWindow]] = {}
    for label in labels:
        if label.end > since and label.start < report.until:
            by_metric.setdefault(label.metric, []).append(label)
    keys = set()
    for one in series:
        if len(one.values) == 0:
            continue
        keys.add(one.key)
        score, _z, _expected = anomaly_fit(one.timestamps, one.values, unit=one.unit)
        held = np.flatnonzero(np.isfinite(one.values))
        scorable = float(one.timestamps[held[0]]) + WARM_UP if len(held) else np.inf
        mine: list[LabelWindow] = []
        for label in by_metric.get(one.key, []):
            early = label.start.timestamp() < scorable
            (report.warm_up if early else mine).append(label)
        report.metrics.append(
            MetricScore(
                one.key,
                one.label,
                tally(score, _windows(one, mine), threshold, slack=SLACK),
                [
                    datetime.fromtimestamp(float(one.timestamps[i]), tz=UTC)
                    for i in alarms_of(score, threshold)
                ],
            )
        )
    report.unwatched = [
        label for metric, found in by_metric.items() if metric not in keys for label in found
    ]
    return report
