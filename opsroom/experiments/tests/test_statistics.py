"""The experiment statistics against scipy and statsmodels, to 4 decimals, on data they have
not been tuned on, and the sequential interval's promise checked by simulation."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats._delta_method import NonlinearDeltaCov
from statsmodels.stats.power import NormalIndPower, normal_sample_size_one_tail
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from opsroom.core.errors import InvalidInput
from opsroom.experiments.statistics import (
    ArmStats,
    compare,
    sample_ratio_check,
    sample_size_conversion,
    sample_size_mean,
    sequential_halfwidth,
    units_to_decision,
)


def _arm(values: np.ndarray) -> ArmStats:
    return ArmStats(len(values), float(values.sum()), float((values**2).sum()))


def _samples(seed: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "conversion":
        return rng.binomial(1, 0.21, 1800).astype(float), rng.binomial(1, 0.24, 1750).astype(float)
    if kind == "count":
        return rng.poisson(1.3, 900).astype(float), rng.poisson(1.45, 1100).astype(float)
    return rng.lognormal(3, 0.8, 400), rng.lognormal(3.1, 0.9, 380)


@pytest.mark.parametrize("kind", ["conversion", "count", "revenue"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_p_value_is_welchs_t_test(kind, seed):
    control, treatment = _samples(seed, kind)

    result = compare(_arm(control), _arm(treatment))

    expected = stats.ttest_ind(treatment, control, equal_var=False).pvalue
    assert result.p_value == pytest.approx(expected, abs=1e-4)
    assert round(result.difference, 4) == round(treatment.mean() - control.mean(), 4)


@pytest.mark.parametrize("kind", ["conversion", "count", "revenue"])
def test_welchs_degrees_of_freedom_match_statsmodels(kind):
    control, treatment = _samples(7, kind)
    compared = CompareMeans(DescrStatsW(treatment), DescrStatsW(control))

    result = compare(_arm(control), _arm(treatment))

    # statsmodels' unequal-variance interval of the difference uses the same degrees of freedom.
    low, high = compared.tconfint_diff(alpha=0.05, usevar="unequal")
    se = compared.std_meandiff_separatevar
    t_crit = stats.t.ppf(0.975, result.degrees_of_freedom)
    assert round(result.difference - t_crit * se, 4) == round(low, 4)
    assert round(result.difference + t_crit * se, 4) == round(high, 4)


@pytest.mark.parametrize("kind", ["conversion", "count", "revenue"])
@pytest.mark.parametrize("seed", [4, 5])
def test_the_relative_lift_interval_is_the_delta_method(kind, seed):
    control, treatment = _samples(seed, kind)
    n_c, n_t = len(control), len(treatment)
    delta = NonlinearDeltaCov(
        lambda p: np.array([p[1] / p[0] - 1]),
        np.array([control.mean(), treatment.mean()]),
        np.diag([control.var(ddof=1) / n_c, treatment.var(ddof=1) / n_t]),
    )

    result = compare(_arm(control), _arm(treatment))

    assert round(result.lift, 4) == round(treatment.mean() / control.mean() - 1, 4)
    assert round(result.lift_se, 4) == round(float(delta.se_vectorized()[0]), 4)
    t_crit = stats.t.ppf(0.975, result.degrees_of_freedom)
    assert round(result.ci_low, 4) == round(result.lift - t_crit * result.lift_se, 4)


def test_chance_to_win_is_the_normal_posterior_probability_of_a_positive_lift():
    control, treatment = _samples(8, "conversion")

    result = compare(_arm(control), _arm(treatment))

    expected = 1 - stats.norm.cdf(0, loc=result.lift, scale=result.lift_se)
    assert round(result.chance_to_win, 4) == round(expected, 4)
    # Close to what Beta posteriors of the two rates say (a different route to the same idea).
    rng = np.random.default_rng(0)
    draws_c = rng.beta(1 + control.sum(), 1 + len(control) - control.sum(), 200_000)
    draws_t = rng.beta(1 + treatment.sum(), 1 + len(treatment) - treatment.sum(), 200_000)
    assert abs(result.chance_to_win - (draws_t > draws_c).mean()) < 0.01


def test_the_sample_ratio_check_is_scipys_chi_square():
    check = sample_ratio_check([5120, 4880], [50, 50])

    assert round(check.p_value, 4) == round(stats.chisquare([5120, 4880]).pvalue, 4)
    assert not check.is_mismatch


def test_a_sample_ratio_mismatch_is_flagged_below_one_in_a_thousand():
    check = sample_ratio_check([5300, 4700], [50, 50])

    assert check.p_value < 0.001
    assert check.is_mismatch


def test_unequal_planned_weights_are_expected():
    check = sample_ratio_check([2000, 8000], [20, 80])

    assert check.p_value == pytest.approx(1.0)
    assert check.expected == (2000.0, 8000.0)


def test_evan_millers_example_needs_about_1030_per_arm():
    assert sample_size_conversion(baseline=0.20, effect=0.05, alpha=0.05, power=0.8) == 1031


@pytest.mark.parametrize(
    ("baseline", "effect", "alpha", "power"),
    [(0.2, 0.05, 0.05, 0.8), (0.03, 0.006, 0.05, 0.9), (0.5, -0.04, 0.01, 0.8)],
)
def test_the_conversion_sample_size_matches_statsmodels(baseline, effect, alpha, power):
    std_null = math.sqrt(2 * baseline * (1 - baseline))
    std_alt = math.sqrt(baseline * (1 - baseline) + (baseline + effect) * (1 - baseline - effect))

    expected = normal_sample_size_one_tail(
        abs(effect), power, alpha / 2, std_null=std_null, std_alternative=std_alt
    )

    assert sample_size_conversion(baseline=baseline, effect=effect, alpha=alpha, power=power) == (
        math.ceil(round(expected, 4))
    )


def test_the_mean_sample_size_matches_statsmodels_normal_power():
    expected = NormalIndPower().solve_power(effect_size=0.1 / 1.3, alpha=0.05, power=0.8, ratio=1)

    assert sample_size_mean(std=1.3, effect=0.1) == math.ceil(round(expected, 4))


def test_an_impossible_sample_size_question_is_refused():
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        sample_size_conversion(baseline=0.98, effect=0.05)


def test_the_sequential_interval_is_wider_and_narrows_with_more_data():
    control, treatment = _samples(9, "conversion")

    result = compare(_arm(control), _arm(treatment))

    assert result.seq_low < result.ci_low
    assert result.seq_high > result.ci_high
    assert sequential_halfwidth(unit_variance=1, units=10_000, alpha=0.05, tuning=5000) < (
        sequential_halfwidth(unit_variance=1, units=1_000, alpha=0.05, tuning=5000)
    )


def test_peeking_every_day_at_the_sequential_interval_keeps_false_positives_under_alpha():
    """A/A tests looked at after every batch: the fixed interval 'finds' an effect far more
    often than 5%; the anytime-valid one stays under 5%."""
    rng = np.random.default_rng(42)
    runs, looks, per_look = 300, 30, 100
    fixed_hits = sequential_hits = 0
    for _ in range(runs):
        a = rng.binomial(1, 0.2, looks * per_look).astype(float)
        b = rng.binomial(1, 0.2, looks * per_look).astype(float)
        fixed = sequential = False
        for look in range(1, looks + 1):
            n = look * per_look
            result = compare(_arm(a[:n]), _arm(b[:n]))
            fixed = fixed or result.is_significant
            sequential = sequential or result.is_sequentially_significant
        fixed_hits += fixed
        sequential_hits += sequential
    assert fixed_hits / runs > 0.12
    assert sequential_hits / runs < 0.05


def test_units_to_a_decision_grow_as_the_effect_shrinks():
    near = units_to_decision(unit_variance=2.0, units=1000, effect=0.10)
    far = units_to_decision(unit_variance=2.0, units=1000, effect=0.03)

    assert 1000 < near < far
    assert sequential_halfwidth(unit_variance=2.0, units=near, alpha=0.05, tuning=5000) <= 0.10
    assert units_to_decision(unit_variance=2.0, units=1000, effect=0.0) is None


def test_no_comparison_without_a_control_mean():
    assert compare(ArmStats(100, 0, 0), ArmStats(100, 5, 5)) is None
