"""Analytics quality and speed that need no database: the anomaly detectors on labelled
series they were not tuned on, the detector's speed on a year of hourly points for 50 metrics,
and the experiment statistics against scipy and statsmodels.

The labelled series (opsroom/analytics/anomaly/evaluation.py) hold spikes, dips, outages and
level shifts over trend, weekly and daily seasonality and noise; the detector was chosen on
seeds 100-159, these tables use seeds 5000-5199.
"""

import math
import os
import time

import numpy as np

from benchmarks.registry import suite, table

THRESHOLDS = (0.98, 0.99, 0.999)
SEEDS = range(5000, 5200)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()


@suite("analytics")
def analytics(quick: bool = False) -> None:
    _django()
    _detectors(quick)
    _detector_speed(quick)
    _statistics(quick)


def _detectors(quick: bool) -> None:
    from opsroom.analytics.anomaly.detectors import DETECTOR, DETECTORS, score_from_z
    from opsroom.analytics.anomaly.evaluation import Tally, labelled_series, tally

    seeds = list(SEEDS)[: 20 if quick else None]
    rows = []
    for hourly in (True, False):
        series = [labelled_series(seed, hourly=hourly) for seed in seeds]
        anomalies = sum(len(s.windows) for s in series)
        for name, detector in DETECTORS.items():
            scores = [score_from_z(detector(s.timestamps, s.values)) for s in series]
            for threshold in THRESHOLDS:
                total = Tally(0, 0, 0, 0)
                for s, score in zip(series, scores, strict=True):
                    total = total + tally(score, s.windows, threshold)
                rows.append(
                    [
                        "hourly" if hourly else "daily",
                        name + (" (product)" if name == DETECTOR else ""),
                        f"{threshold:g}",
                        anomalies,
                        total.alarms,
                        round(total.precision, 3),
                        round(total.recall, 3),
                        round(total.f1, 3),
                    ]
                )
    print(
        f"Anomaly detectors on {len(seeds)} hourly (10 weeks) and {len(seeds)} daily (2 years) "
        "labelled series never used to choose them; an alarm is a run of points at or above "
        "the threshold, it finds an anomaly when it starts inside its window (+3 points).\n"
    )
    print(
        table(
            ["series", "detector", "threshold", "anomalies", "alarms", "precision", "recall", "F1"],
            rows,
        )
    )


def _detector_speed(quick: bool) -> None:
    from opsroom.analytics.anomaly.detectors import DETECTORS, anomaly_scores

    metrics, points = (10, 8760) if quick else (50, 8760)
    rng = np.random.default_rng(7)
    t = np.arange(points)
    stamps = 1_767_225_600.0 + t * 3600.0
    series = [
        rng.poisson(50 * (1 + 0.4 * np.sin(2 * math.pi * t / 24))).astype(float)
        for _ in range(metrics)
    ]
    rows = []
    for name in DETECTORS:
        started = time.perf_counter()
        for values in series:
            anomaly_scores(stamps, values, detector=name)
        rows.append([name, metrics, points, round(time.perf_counter() - started, 2), 30])
    print(
        f"\nDetector speed: {metrics} metrics x {points:,} hourly points (a year), one process.\n"
    )
    print(table(["detector", "metrics", "points each", "seconds", "target s"], rows))


def _statistics(quick: bool) -> None:
    from scipy import stats
    from statsmodels.stats._delta_method import NonlinearDeltaCov
    from statsmodels.stats.power import normal_sample_size_one_tail

    from opsroom.experiments.statistics import (
        ArmStats,
        compare,
        sample_ratio_check,
        sample_size_conversion,
    )

    rng = np.random.default_rng(11)
    cases = 50 if quick else 500
    worst = {"p-value (Welch, scipy)": 0.0, "lift s.e. (delta method, statsmodels)": 0.0,
             "SRM p-value (chi-square, scipy)": 0.0, "sample size (statsmodels)": 0.0}  # fmt: skip
    for _ in range(cases):
        n_a, n_b = rng.integers(100, 5000, 2)
        rate = rng.uniform(0.02, 0.6)
        a = rng.binomial(1, rate, n_a).astype(float)
        b = rng.binomial(1, rate * rng.uniform(0.8, 1.3), n_b).astype(float)
        arm_a = ArmStats(len(a), float(a.sum()), float(a.sum()))
        arm_b = ArmStats(len(b), float(b.sum()), float(b.sum()))
        result = compare(arm_a, arm_b)
        if result is None:
            continue
        welch = stats.ttest_ind(b, a, equal_var=False).pvalue
        delta = NonlinearDeltaCov(
            lambda p: np.array([p[1] / p[0] - 1]),
            np.array([a.mean(), b.mean()]),
            np.diag([a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)]),
        )
        srm = sample_ratio_check([len(a), len(b)], [50, 50])
        effect = rate * rng.uniform(0.05, 0.4)
        if rate + effect < 1:
            mine = sample_size_conversion(baseline=rate, effect=effect)
            alternative = rate * (1 - rate) + (rate + effect) * (1 - rate - effect)
            theirs = normal_sample_size_one_tail(
                effect, 0.8, 0.025, std_null=math.sqrt(2 * rate * (1 - rate)),
                std_alternative=math.sqrt(alternative),
            )  # fmt: skip
            worst["sample size (statsmodels)"] = max(
                worst["sample size (statsmodels)"], abs(mine - math.ceil(theirs))
            )
        for key, value in (
            ("p-value (Welch, scipy)", abs(result.p_value - welch)),
            ("lift s.e. (delta method, statsmodels)",
             abs(result.lift_se - float(delta.se_vectorized()[0]))),
            ("SRM p-value (chi-square, scipy)",
             abs(srm.p_value - stats.chisquare([len(a), len(b)]).pvalue) if srm else 0.0),
        ):  # fmt: skip
            worst[key] = max(worst[key], value)
    print(f"\nExperiment statistics against scipy/statsmodels over {cases} random experiments.\n")
    print(
        table(
            ["figure", "largest difference", "to 4 decimals"],
            [
                [
                    key,
                    f"{value:.2e}",
                    "yes" if value < 5e-5 or (key.startswith("sample") and value == 0) else "NO",
                ]
                for key, value in worst.items()
            ],
        )
    )
