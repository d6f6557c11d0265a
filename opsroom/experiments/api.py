"""The experiments API: results of each A/B test and the sample-size calculator."""

import hashlib
import json
import math
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Status

from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth, staff_or_key
from opsroom.core.errors import Forbidden, InvalidInput, NotFound
from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext
from opsroom.experiments.models import Experiment, FeatureFlag, FlagRollout
from opsroom.experiments.results import ExperimentReport, experiment_report
from opsroom.experiments.rollouts import FlagChange, flag_change, flag_public, rollout_start
from opsroom.experiments.schemas import (
    ComparisonOut,
    EvaluationOut,
    ExperimentOut,
    FlagChangeIn,
    FlagOut,
    FlagSimulateIn,
    FlagSimulationOut,
    FlagsOut,
    RolloutIn,
    RolloutOut,
    SampleSizeOut,
    VariantOut,
)
from opsroom.experiments.selectors import flag_get, rollouts_for_flag
from opsroom.experiments.simulation import flag_simulate
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
    summary="List experiments with their results",
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
    summary="Sample size per variant",
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
    summary="Get an experiment's results",
)
def experiment(request: HttpRequest, key: str) -> ExperimentOut:
    """One experiment's results."""
    row = Experiment.objects.select_related("flag", "result").filter(key=key).first()
    if row is None:
        raise NotFound(f"No experiment with the key {key!r}.")
    return _experiment_out(experiment_report(experiment=row))


# The flags the host app reads, and changes made by operators or admin keys.


def _flags_state() -> tuple[str, list[dict[str, object]]]:
    flags = list(FeatureFlag.objects.order_by("key"))
    body = [flag_public(flag) for flag in flags]
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
    return digest, body


@router.get(
    "/flags",
    response={200: FlagsOut},
    auth=staff_or_key("read"),
    operation_id="flags_list",
    summary="List every flag's current rules",
)
def flags(request: HttpRequest) -> HttpResponse | FlagsOut:
    """Every flag's current rules, for the host app to evaluate locally. Cache it: send the
    ETag back as If-None-Match to get a 304 when nothing changed."""
    etag, body = _flags_state()
    quoted = f'"{etag}"'
    headers = {
        "ETag": quoted,
        "Cache-Control": f"private, max-age={settings.OPSROOM_FLAGS_MAX_AGE}",
    }
    if request.headers.get("If-None-Match") == quoted:
        response = HttpResponse(status=304)
    else:
        response = JsonResponse({"etag": etag, "flags": body})
    for name, value in headers.items():
        response[name] = value
    return response


def _staff_may(request: HttpRequest, permission: str) -> AuditContext:
    auth = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, User) and not auth.has_perm(permission):
        raise Forbidden(f"Your role may not do this ({permission}).")
    return AuditContext.from_request(request)


@router.post(
    "/flags/{key}",
    response={200: FlagOut},
    auth=[ApiKeyAuth("admin"), StaffSessionAuth()],
    operation_id="flags_change",
    summary="Change a flag",
)
def flag_change_endpoint(request: HttpRequest, key: str, data: FlagChangeIn) -> FlagOut:
    """Change a flag's switch, rollout percentage, rules or default; audited, and the host
    app is told by a signed webhook."""
    audit = _staff_may(request, "experiments.change_featureflag")
    flag = flag_get(key=key)
    if flag is None:
        raise NotFound(f"No flag with the key {key!r}.")
    changed = flag_change(
        flag=flag,
        change=FlagChange(
            is_enabled=data.enabled,
            rollout_percent=data.rollout_percent,
            rules=data.rules,
            default_variant=data.default_variant,
        ),
        audit=audit,
    )
    return FlagOut(**flag_public(changed))


@router.post(
    "/flags/{key}/simulate",
    response=FlagSimulationOut,
    auth=staff_or_key("read"),
    operation_id="flags_simulate",
    summary="What one person would get under a proposed change",
)
def flag_simulate_endpoint(request: HttpRequest, key: str, data: FlagSimulateIn) -> Any:
    """A person's variant under the flag's rules now and under the proposed fields (those
    given); nothing is changed."""
    flag = flag_get(key=key)
    if flag is None:
        raise NotFound(f"No flag with the key {key!r}.")
    proposes = any(
        value is not None
        for value in (data.enabled, data.rollout_percent, data.rules, data.default_variant)
    )
    change = FlagChange(
        is_enabled=data.enabled,
        rollout_percent=data.rollout_percent,
        rules=data.rules,
        default_variant=data.default_variant,
    )
    result = flag_simulate(flag=flag, user_id=data.user_id, change=change if proposes else None)
    return FlagSimulationOut(
        user_id=result.person.external_id,
        current=EvaluationOut(variant=result.current.variant, reason=result.current.reason),
        proposed=(
            EvaluationOut(variant=result.proposed.variant, reason=result.proposed.reason)
            if result.proposed
            else None
        ),
        changes=result.changes,
    )


@router.post(
    "/flags/{key}/rollouts",
    response={201: RolloutOut},
    auth=[ApiKeyAuth("admin"), StaffSessionAuth()],
    operation_id="flags_rollout_start",
    summary="Start a staged rollout",
)
def rollout_start_endpoint(request: HttpRequest, key: str, data: RolloutIn) -> Status[Any]:
    """Start a staged rollout watched by the error guardrail."""
    audit = _staff_may(request, "experiments.manage_rollout")
    flag = flag_get(key=key)
    if flag is None:
        raise NotFound(f"No flag with the key {key!r}.")
    rollout = rollout_start(
        flag=flag, stages=data.stages, stage_minutes=data.stage_minutes, alpha=data.alpha,
        audit=audit,
    )  # fmt: skip
    return Status(201, _rollout_out(rollout))


@router.get(
    "/flags/{key}/rollouts",
    response=list[RolloutOut],
    auth=staff_or_key("read"),
    operation_id="flags_rollouts",
    summary="List a flag's rollouts",
)
def rollouts_endpoint(request: HttpRequest, key: str) -> list[RolloutOut]:
    """A flag's rollouts, newest first, with the guardrail's latest figures."""
    flag = flag_get(key=key)
    if flag is None:
        raise NotFound(f"No flag with the key {key!r}.")
    return [_rollout_out(rollout) for rollout in rollouts_for_flag(flag_id=flag.pk)]


def _rollout_out(rollout: FlagRollout) -> RolloutOut:
    return RolloutOut(
        id=rollout.pk,
        flag=rollout.flag.key,
        status=rollout.status,
        stages=list(rollout.stages),
        percent=rollout.percent,
        stage_minutes=rollout.stage_minutes,
        started_at=rollout.started_at,
        finished_at=rollout.finished_at,
        reason=rollout.reason,
        guardrail=dict(rollout.guardrail),
    )
