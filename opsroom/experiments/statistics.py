"""Experiment statistics, as GrowthBook and PostHog define them (docs/analytics.md).

Each variant is summarised by its units (people exposed) and the sum and sum of squares of a
metric per unit (a conversion is a 0/1 metric). Against the control:

- relative lift = mean_t / mean_c - 1, its variance by the delta method
  (var_t / (n_t m_c^2) + m_t^2 var_c / (n_c m_c^4)), its interval with Welch's degrees of
  freedom; the p-value is Welch's t-test of the difference in means (scipy);
- chance to win: P(lift > 0) under a normal posterior with an improper prior;
- the sequential (anytime-valid) interval: the normal-mixture confidence sequence of Howard et
  al. (2021) that GrowthBook uses, tuned for N* units; looking at it every day is safe;
- sample ratio mismatch: chi-square goodness of fit of the units against the planned weights,
  flagged at p < 0.001;
- sample size (Evan Miller) for a conversion rate or a mean.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import optimize, stats

from opsroom.core.errors import InvalidInput

ALPHA = 0.05
SEQUENTIAL_TUNING = 5000  # GrowthBook's N*
SRM_P_VALUE = 0.001
# PostHog's minimum before any result is shown: units and conversions per variant.
MIN_UNITS, MIN_CONVERSIONS = 50, 5


@dataclass(frozen=True)
class ArmStats:
    """One variant's units and the sum and sum of squares of its metric per unit."""

    units: int
    total: float
    total_squares: float

    @property
    def mean(self) -> float:
        return self.total / self.units if self.units else 0.0

    @property
    def variance(self) -> float:
        """The sample variance of the metric per unit (ddof 1)."""
        if self.units < 2:
            return 0.0
        spread = self.total_squares - self.total * self.total / self.units
        return max(spread, 0.0) / (self.units - 1)


@dataclass(frozen=True)
class Comparison:
    """A treatment against the control."""

    lift: float  # relative: mean_t / mean_c - 1
    lift_se: float
    ci_low: float
    ci_high: float
    difference: float  # mean_t - mean_c
    p_value: float
    chance_to_win: float
    seq_low: float
    seq_high: float
    degrees_of_freedom: float

    @property
    def is_significant(self) -> bool:
        """Significant at the fixed horizon (only valid when the sample size was fixed)."""
        return self.ci_low > 0 or self.ci_high < 0

    @property
    def is_sequentially_significant(self) -> bool:
        """Significant by the anytime-valid interval: safe however often it is looked at."""
        return self.seq_low > 0 or self.seq_high < 0


def welch_degrees_of_freedom(control: ArmStats, treatment: ArmStats) -> float:
    """Welch-Satterthwaite degrees of freedom of the difference in means."""
    v_c = control.variance / control.units
    v_t = treatment.variance / treatment.units
    denominator = v_c**2 / (control.units - 1) + v_t**2 / (treatment.units - 1)
    if denominator <= 0:
        return float(control.units + treatment.units - 2)
    return (v_c + v_t) ** 2 / denominator


def relative_lift_variance(control: ArmStats, treatment: ArmStats) -> float:
    """The delta-method variance of mean_t / mean_c - 1."""
    m_c, m_t = control.mean, treatment.mean
    return treatment.variance / (treatment.units * m_c**2) + m_t**2 * control.variance / (
        control.units * m_c**4
    )


def sequential_rho(*, alpha: float, tuning: float) -> float:
    """The mixture's tuning (Howard et al. 2021, eq. 14, as GrowthBook sets it from N*)."""
    return math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)


def sequential_halfwidth(
    *, unit_variance: float, units: float, alpha: float, tuning: float
) -> float:
    """Half the width of the anytime-valid interval after `units` units of this variance."""
    rho = sequential_rho(alpha=alpha, tuning=tuning)
    n_rho2 = units * rho**2
    return math.sqrt(unit_variance) * math.sqrt(
        2 * (n_rho2 + 1) / (units**2 * rho**2) * math.log(math.sqrt(n_rho2 + 1) / alpha)
    )


def has_enough_data(arm: ArmStats, *, binary: bool) -> bool:
    """PostHog's minimum: 50 units, and 5 conversions for a conversion metric."""
    return arm.units >= MIN_UNITS and (not binary or arm.total >= MIN_CONVERSIONS)


def compare(
    control: ArmStats,
    treatment: ArmStats,
    *,
    alpha: float = ALPHA,
    tuning: float = SEQUENTIAL_TUNING,
) -> Comparison | None:
    """The treatment against the control; None when a mean or a variance cannot be formed."""
    if control.units < 2 or treatment.units < 2 or control.mean == 0:
        return None
    if control.variance == 0 and treatment.variance == 0:
        return None
    df = welch_degrees_of_freedom(control, treatment)
    lift = treatment.mean / control.mean - 1
    variance = relative_lift_variance(control, treatment)
    se = math.sqrt(variance)
    critical = float(stats.t.ppf(1 - alpha / 2, df))
    welch = stats.ttest_ind_from_stats(
        treatment.mean,
        math.sqrt(treatment.variance),
        treatment.units,
        control.mean,
        math.sqrt(control.variance),
        control.units,
        equal_var=False,
    )
    units = control.units + treatment.units
    halfwidth = sequential_halfwidth(
        unit_variance=variance * units, units=units, alpha=alpha, tuning=tuning
    )
    return Comparison(
        lift=lift,
        lift_se=se,
        ci_low=lift - critical * se,
        ci_high=lift + critical * se,
        difference=treatment.mean - control.mean,
        p_value=float(welch.pvalue),
        chance_to_win=float(stats.norm.sf(0, loc=lift, scale=se)) if se > 0 else float(lift > 0),
        seq_low=lift - halfwidth,
        seq_high=lift + halfwidth,
        degrees_of_freedom=df,
    )


@dataclass(frozen=True)
class SampleRatio:
    p_value: float
    expected: tuple[float, ...]

    @property
    def is_mismatch(self) -> bool:
        return self.p_value < SRM_P_VALUE


def sample_ratio_check(units: Sequence[int], weights: Sequence[float]) -> SampleRatio | None:
    """Chi-square goodness of fit of the units per variant against the planned weights."""
    total, weight_sum = sum(units), sum(weights)
    if total == 0 or weight_sum <= 0 or len(units) < 2 or any(w <= 0 for w in weights):
        return None
    expected = [total * weight / weight_sum for weight in weights]
    result = stats.chisquare(list(units), expected)
    return SampleRatio(float(result.pvalue), tuple(expected))


def sample_size_raw(*, std_null: float, std_alternative: float, effect: float,
                    alpha: float, power: float) -> float:  # fmt: skip
    """Units per arm for a two-sided test: ((z_a/2 sd0 + z_b sd1) / effect)^2, unrounded."""
    z_alpha = stats.norm.ppf(1 - alpha / 2)
    z_beta = stats.norm.ppf(power)
    return float(((z_alpha * std_null + z_beta * std_alternative) / effect) ** 2)


def sample_size_conversion(
    *, baseline: float, effect: float, alpha: float = ALPHA, power: float = 0.8
) -> int:
    """Evan Miller's units per arm to detect an absolute change `effect` in a rate `baseline`."""
    if not 0 < baseline < 1 or not 0 < baseline + effect < 1 or effect == 0:
        raise InvalidInput(
            "The baseline and the baseline plus the effect must be rates between 0 and 1."
        )
    raw = sample_size_raw(
        std_null=math.sqrt(2 * baseline * (1 - baseline)),
        std_alternative=math.sqrt(
            baseline * (1 - baseline) + (baseline + effect) * (1 - baseline - effect)
        ),
        effect=abs(effect),
        alpha=alpha,
        power=power,
    )
    return math.ceil(raw)


def sample_size_mean(*, std: float, effect: float, alpha: float = ALPHA, power: float = 0.8) -> int:
    """Units per arm to detect an absolute change `effect` in a mean whose unit sd is `std`."""
    if std <= 0 or effect == 0:
        raise InvalidInput("The standard deviation and the effect must not be zero.")
    sd = math.sqrt(2) * std
    return math.ceil(
        sample_size_raw(
            std_null=sd, std_alternative=sd, effect=abs(effect), alpha=alpha, power=power
        )
    )


def units_to_decision(
    *, unit_variance: float, units: int, effect: float, alpha: float = ALPHA,
    tuning: float = SEQUENTIAL_TUNING, limit: int = 10**9,
) -> int | None:  # fmt: skip
    """Total units at which the anytime-valid interval excludes 0 if the effect holds.

    None when even `limit` units would not do (no effect, or no variance to go on).
    """
    if effect == 0 or unit_variance <= 0:
        return None

    def gap(n: float) -> float:
        half = sequential_halfwidth(unit_variance=unit_variance, units=n, alpha=alpha,
                                    tuning=tuning)  # fmt: skip
        return half - abs(effect)

    start = max(units, 2)
    if gap(start) <= 0:
        return start
    if gap(limit) > 0:
        return None
    return math.ceil(float(optimize.brentq(gap, start, limit, xtol=0.5)))
