"""Experiment results: the per-variant sums a task keeps (`experiment_result_refresh`) and the
report the dashboard and the API read (`experiment_report`)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction

from opsroom.core import clock
from opsroom.experiments.models import Experiment, ExperimentResult, Exposure
from opsroom.experiments.statistics import (
    ArmStats,
    Comparison,
    SampleRatio,
    compare,
    has_enough_data,
    sample_ratio_check,
    units_to_decision,
)
from opsroom.people.selectors.events import event_times

TRAFFIC_DAYS = 7
# With no effect to go on, the days left are those to detect this relative lift.
DEFAULT_MDE = 0.05


def _exposures(
    experiment: Experiment, until: datetime
) -> tuple[dict[int, tuple[str, datetime]], int]:
    served: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    rows = Exposure.objects.filter(flag_id=experiment.flag_id, first_exposed_at__lt=until)
    if experiment.started_at is not None:
        rows = rows.filter(last_exposed_at__gte=experiment.started_at)
    for person_id, variant, first in rows.values_list(
        "person_id", "variant", "first_exposed_at"
    ).iterator(chunk_size=5000):
        served[person_id].append((variant, first))
    single = {pid: variants[0] for pid, variants in served.items() if len(variants) == 1}
    return single, len(served) - len(single)


@transaction.atomic
def experiment_result_refresh(*, experiment: Experiment) -> ExperimentResult:
    """Recompute an experiment's per-variant units, conversions and metric sums."""
    now = clock.now()
    until = min(experiment.ended_at or now, now)
    units, multiple = _exposures(experiment, until)
    since = experiment.started_at or min((first for _, first in units.values()), default=until)
    counts: dict[int, int] = defaultdict(int)
    first_conversion: dict[int, datetime] = {}
    for person_id, _name, at in event_times(
        names=[experiment.primary_metric], since=since, until=until
    ):
        served = units.get(person_id)
        if served is None or at < served[1]:
            continue
        counts[person_id] += 1
        if person_id not in first_conversion or at < first_conversion[person_id]:
            first_conversion[person_id] = at
    arms: dict[str, dict[str, Any]] = {}
    exposed_on: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    converted_on: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for person_id, (variant, first) in units.items():
        arm = arms.setdefault(
            variant,
            {"key": variant, "units": 0, "conversions": 0, "total": 0, "total_squares": 0},
        )
        count = counts.get(person_id, 0)
        arm["units"] += 1
        arm["conversions"] += count > 0
        arm["total"] += count
        arm["total_squares"] += count * count
        exposed_on[first.date()][variant] += 1
        if person_id in first_conversion:
            converted_on[first_conversion[person_id].date()][variant] += 1
    result, _ = ExperimentResult.objects.update_or_create(
        experiment=experiment,
        defaults={
            "variants": sorted(arms.values(), key=lambda arm: arm["key"]),
            "daily": _cumulative(exposed_on, converted_on, sorted(arms)),
            "multiple_exposures": multiple,
            "computed_at": now,
        },
    )
    return result


def _cumulative(
    exposed_on: dict[date, dict[str, int]],
    converted_on: dict[date, dict[str, int]],
    variants: list[str],
) -> list[dict[str, Any]]:
    days = sorted(set(exposed_on) | set(converted_on))
    if not days:
        return []
    series = []
    units = dict.fromkeys(variants, 0)
    conversions = dict.fromkeys(variants, 0)
    day = days[0]
    while day <= days[-1]:
        for variant in variants:
            units[variant] += exposed_on.get(day, {}).get(variant, 0)
            conversions[variant] += converted_on.get(day, {}).get(variant, 0)
        series.append(
            {"day": day.isoformat(), "units": dict(units), "conversions": dict(conversions)}
        )
        day += timedelta(days=1)
    return series


@dataclass(frozen=True)
class VariantReport:
    key: str
    is_control: bool
    units: int
    conversions: int
    total: float
    conversion: ArmStats
    count: ArmStats
    conversion_vs_control: Comparison | None
    count_vs_control: Comparison | None
    enough_data: bool

    @property
    def conversion_rate(self) -> float:
        return self.conversions / self.units if self.units else 0.0

    @property
    def per_unit(self) -> float:
        return self.total / self.units if self.units else 0.0


@dataclass(frozen=True)
class ExperimentReport:
    experiment: Experiment
    computed_at: datetime | None
    variants: list[VariantReport]
    sample_ratio: SampleRatio | None
    multiple_exposures: int
    units_per_day: float
    days_to_decision: float | None  # None: no decision in sight at this traffic
    decision_effect: float  # the relative lift the days are counted for
    is_decided: bool
    chart: dict[str, Any]

    @property
    def control(self) -> VariantReport | None:
        return next((v for v in self.variants if v.is_control), None)

    @property
    def treatments(self) -> list[VariantReport]:
        return [v for v in self.variants if not v.is_control]


def experiment_report(*, experiment: Experiment) -> ExperimentReport:
    """The A/B dashboard's figures for an experiment, from its stored sums."""
    result = getattr(experiment, "result", None)
    stored = result.variants if result is not None else []
    control_key = experiment.control_variant
    by_key = {row["key"]: row for row in stored}
    control_row = by_key.get(control_key)
    control_conv = _conversion_arm(control_row) if control_row else None
    control_count = _count_arm(control_row) if control_row else None
    variants = []
    for row in stored:
        conversion, count = _conversion_arm(row), _count_arm(row)
        is_control = row["key"] == control_key
        variants.append(
            VariantReport(
                key=row["key"],
                is_control=is_control,
                units=row["units"],
                conversions=row["conversions"],
                total=row["total"],
                conversion=conversion,
                count=count,
                conversion_vs_control=None
                if is_control or control_conv is None
                else compare(control_conv, conversion),
                count_vs_control=None
                if is_control or control_count is None
                else compare(control_count, count),
                enough_data=has_enough_data(conversion, binary=True),
            )
        )
    variants.sort(key=lambda v: (not v.is_control, v.key))
    weights = {
        str(v.get("key")): float(v.get("weight", 0)) for v in (experiment.flag.variants or [])
    }
    planned = [weights.get(v.key, 0.0) for v in variants]
    ratio = sample_ratio_check([v.units for v in variants], planned) if all(planned) else None
    daily = result.daily if result is not None else []
    rate = _units_per_day(daily)
    days, effect, decided = _days_to_decision(variants, rate)
    return ExperimentReport(
        experiment=experiment,
        computed_at=result.computed_at if result is not None else None,
        variants=variants,
        sample_ratio=ratio,
        multiple_exposures=result.multiple_exposures if result is not None else 0,
        units_per_day=rate,
        days_to_decision=days,
        decision_effect=effect,
        is_decided=decided,
        chart=_chart(daily, control_key),
    )


def _conversion_arm(row: dict[str, Any]) -> ArmStats:
    return ArmStats(row["units"], row["conversions"], row["conversions"])


def _count_arm(row: dict[str, Any]) -> ArmStats:
    return ArmStats(row["units"], row["total"], row["total_squares"])


def _units_per_day(daily: list[dict[str, Any]]) -> float:
    if len(daily) < 2:
        return 0.0
    span = min(TRAFFIC_DAYS, len(daily) - 1)
    now, then = daily[-1]["units"], daily[-1 - span]["units"]
    return float(sum(now.values()) - sum(then.values())) / span


def _days_to_decision(
    variants: list[VariantReport], rate: float
) -> tuple[float | None, float, bool]:
    """Days until the anytime-valid interval of the primary metric excludes 0, if the observed
    lift holds (or, with no lift yet, if a 5% lift is there), at the current traffic."""
    compared = [v.conversion_vs_control for v in variants if v.conversion_vs_control]
    if not compared:
        return None, DEFAULT_MDE, False
    if any(c.is_sequentially_significant for c in compared):
        return 0.0, max(abs(c.lift) for c in compared), True
    units = sum(v.units for v in variants)
    best = None
    effect = DEFAULT_MDE
    for comparison in compared:
        lift = abs(comparison.lift) if abs(comparison.lift) >= 0.005 else DEFAULT_MDE
        needed = units_to_decision(
            unit_variance=comparison.lift_se**2 * units, units=units, effect=lift
        )
        if needed is not None and (best is None or needed < best):
            best, effect = needed, lift
    if best is None or rate <= 0:
        return None, effect, False
    return max(best - units, 0) / rate, effect, False


def _chart(daily: list[dict[str, Any]], control_key: str) -> dict[str, Any]:
    """Cumulative relative lift of the conversion rate with its anytime-valid band, per day."""
    labels: list[str] = []
    datasets: dict[str, dict[str, list[float | None]]] = {}
    for point in daily:
        units, conversions = point["units"], point["conversions"]
        if control_key not in units:
            continue
        control = ArmStats(units[control_key], conversions[control_key], conversions[control_key])
        labels.append(point["day"])
        for variant in sorted(units):
            if variant == control_key:
                continue
            arm = ArmStats(units[variant], conversions[variant], conversions[variant])
            comparison = compare(control, arm) if has_enough_data(arm, binary=True) else None
            lines = datasets.setdefault(variant, {"lift": [], "low": [], "high": []})
            for name, value in (
                ("lift", comparison.lift if comparison else None),
                ("low", comparison.seq_low if comparison else None),
                ("high", comparison.seq_high if comparison else None),
            ):
                lines[name].append(round(value * 100, 2) if value is not None else None)
    sets = []
    for variant, lines in datasets.items():
        sets += [
            {"label": f"{variant}: lift %", "data": lines["lift"]},
            {"label": f"{variant}: anytime-valid low", "data": lines["low"], "borderDash": [4, 4]},
            {
                "label": f"{variant}: anytime-valid high",
                "data": lines["high"],
                "borderDash": [4, 4],
            },
        ]
    return {"type": "line", "labels": labels, "datasets": sets}
