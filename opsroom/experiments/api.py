"""The experiments API: results of each A/B test and the sample-size calculator."""

import math
from typing import Literal

from django.http import HttpRequest
from ninja import Router

from opsroom.core.auth import staff_or_key
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.experiments.models import Experiment
from opsroom.experiments.results import ExperimentReport, experiment_report
from opsroom.experiments.schemas import ComparisonOut, ExperimentOut, SampleSizeOut, VariantOut
from opsroom.experiments.statistics import Comparison, sample_size_conversion, sample_size_mean

router = Router(tags=["experiments"])


def _comparison(c: Comparison | None) -> ComparisonOut | None:
    if c is None:
        return None
    return ComparisonOut(
        lift=c.lift,
        ci_low=c.ci_low,
        ci_high=c.ci_high,
        p_value=c.p_value,
        chance_to_win=c.chance_to_win,
        sequential_low=c.seq_low,
        sequential_high=c.seq_high,
        significant_sequentially=c.is_sequentially_significant,
    )


def _experiment_out(report: ExperimentReport) -> ExperimentOut:
    experiment = report.experiment
    return ExperimentOut(
        key=experiment.key,
        name=experiment.name,
        flag=experiment.flag.key,
        status=experiment.status,
        primary_metric=experiment.primary_metric,
        control_variant=experiment.control_variant,
        started_at=experiment.started_at,
        computed_at=report.computed_at,
        variants=[
            VariantOut(
                key=v.key,
                is_control=v.is_control,
                units=v.units,
                conversions=v.conversions,
                conversion_rate=v.conversion_rate,
                per_unit=v.per_unit,
                enough_data=v.enough_data,
                conversion=_comparison(v.conversion_vs_control) if v.enough_data else None,
                per_unit_comparison=_comparison(v.count_vs_control),
            )
            for v in report.variants
        ],
        sample_ratio_p_value=report.sample_ratio.p_value if report.sample_ratio else None,
        sample_ratio_mismatch=bool(report.sample_ratio and report.sample_ratio.is_mismatch),
        multiple_exposures=report.multiple_exposures,
        units_per_day=report.units_per_day,
        days_to_decision=report.days_to_decision,
        decided=report.is_decided,
    )


@router.get(
    "/experiments",
    response=list[ExperimentOut],
    auth=staff_or_key("read"),
    operation_id="experiments_list",
)
def experiments(request: HttpRequest) -> list[ExperimentOut]:
    """Every experiment with its results (recomputed hourly)."""
    rows = Experiment.objects.select_related("flag", "result").order_by("-created_at")
    return [_experiment_out(experiment_report(experiment=row)) for row in rows]


@router.get(
    "/experiments/sample-size",
    response=SampleSizeOut,
    auth=staff_or_key("read"),
    operation_id="experiments_sample_size",
)
def sample_size(
    request: HttpRequest,
    baseline: float,
    effect: float,
    metric: Literal["conversion", "mean"] = "conversion",
    std: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    variants: int = 2,
    units_per_day: float | None = None,
) -> SampleSizeOut:
    """People per variant to detect a relative change `effect` (0.1 = 10%) in a conversion
    rate `baseline` (0.2 = 20%), or in a mean `baseline` with a per-person `std`."""
    if not 0 < alpha < 1 or not 0 < power < 1 or not 2 <= variants <= 10:
        raise InvalidInput("alpha and power are between 0 and 1; variants between 2 and 10.")
    if metric == "conversion":
        per_arm = sample_size_conversion(
            baseline=baseline, effect=baseline * effect, alpha=alpha, power=power
        )
    else:
        if std is None:
            raise InvalidInput("A mean needs its standard deviation per person (std).")
        per_arm = sample_size_mean(std=std, effect=baseline * effect, alpha=alpha, power=power)
    total = per_arm * variants
    days = math.ceil(total / units_per_day) if units_per_day and units_per_day > 0 else None
    return SampleSizeOut(per_variant=per_arm, total=total, days=days)


@router.get(
    "/experiments/{key}",
    response=ExperimentOut,
    auth=staff_or_key("read"),
    operation_id="experiments_get",
)
def experiment(request: HttpRequest, key: str) -> ExperimentOut:
    """One experiment's results."""
    row = Experiment.objects.select_related("flag", "result").filter(key=key).first()
    if row is None:
        raise NotFound(f"No experiment with the key {key!r}.")
    return _experiment_out(experiment_report(experiment=row))
