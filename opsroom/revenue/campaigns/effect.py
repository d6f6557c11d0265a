"""A campaign's measured effect: retention of the treated against the random holdout.

Retention is the share of measured entrants (those whose `measure_days` have passed) who did
not churn in that window. The lift is the difference of the two proportions with a 95% Newcombe
(Wilson score) interval, and a two-sided test of no difference (statsmodels'
`test_proportions_2indep`, score method). Revenue saved is the lift times the treated
entrants' MRR on entry, per month, with the same interval: the MRR the campaign kept that the
holdout says would otherwise have gone.
"""

from dataclasses import dataclass

from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

MIN_PER_GROUP = 5  # below this, no effect is claimed


@dataclass(frozen=True)
class Effect:
    treated: int  # measured treated entrants
    treated_retained: int
    holdout: int
    holdout_retained: int
    treated_mrr: int  # the measured treated entrants' MRR on entry

    @property
    def treated_rate(self) -> float | None:
        return self.treated_retained / self.treated if self.treated else None

    @property
    def holdout_rate(self) -> float | None:
        return self.holdout_retained / self.holdout if self.holdout else None

    @property
    def is_measurable(self) -> bool:
        return self.treated >= MIN_PER_GROUP and self.holdout >= MIN_PER_GROUP

    @property
    def lift(self) -> float | None:
        if self.treated_rate is None or self.holdout_rate is None:
            return None
        return self.treated_rate - self.holdout_rate

    @property
    def lift_interval(self) -> tuple[float, float] | None:
        if not self.is_measurable:
            return None
        low, high = confint_proportions_2indep(
            self.treated_retained,
            self.treated,
            self.holdout_retained,
            self.holdout,
            method="newcomb",
            compare="diff",
        )
        return float(low), float(high)

    @property
    def p_value(self) -> float | None:
        if not self.is_measurable:
            return None
        if self.treated_rate == self.holdout_rate:
            return 1.0
        result = test_proportions_2indep(
            self.treated_retained,
            self.treated,
            self.holdout_retained,
            self.holdout,
            method="score",
            compare="diff",
        )
        return float(result.pvalue)

    @property
    def revenue_saved(self) -> int | None:
        lift = self.lift if self.is_measurable else None
        return None if lift is None else round(lift * self.treated_mrr)

    @property
    def revenue_saved_interval(self) -> tuple[int, int] | None:
        interval = self.lift_interval
        if interval is None:
            return None
        return round(interval[0] * self.treated_mrr), round(interval[1] * self.treated_mrr)

    @property
    def is_significant(self) -> bool:
        interval = self.lift_interval
        return interval is not None and (interval[0] > 0 or interval[1] < 0)
