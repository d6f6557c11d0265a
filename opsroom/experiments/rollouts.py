"""Changing a flag's rules from Opsroom, and staged rollouts: start, advance, roll back, stop.

Every change bumps the flag's version (the host app's cache keys on it), is audited, and is
told to the host app with a signed webhook (`flag.changed`) when webhooks are set up, so a
rollback takes effect without a deploy.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.outbox.host_webhook import host_webhook_configured, host_webhook_enqueue
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.experiments.evaluation import OPERATORS
from opsroom.experiments.models import FeatureFlag, FlagRollout

DEFAULT_STAGES = (10, 25, 50, 100)
MAX_RULES = 50


def flag_public(flag: FeatureFlag) -> dict[str, Any]:
    """A flag's rules as the host app reads them (the flags endpoint and webhooks)."""
    return {
        "key": flag.key,
        "enabled": flag.is_enabled,
        "variants": list(flag.variants or []),
        "default_variant": flag.default_variant,
        "rules": list(flag.rules or []),
        "rollout_percent": flag.rollout_percent,
        "version": flag.version,
        "updated_at": flag.updated_at.isoformat(),
    }


def flag_rules_check(rules: Any) -> list[dict[str, Any]]:
    """Rules as a flag holds them, or an InvalidInput saying which rule is wrong."""
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        raise InvalidInput(f"Rules are a list of at most {MAX_RULES} objects.")
    for index, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or not isinstance(rule.get("attribute"), str):
            raise InvalidInput(f"Rule {index} needs an 'attribute' (text).")
        if rule.get("op", "eq") not in OPERATORS:
            raise InvalidInput(
                f"Rule {index}: unknown operator {rule.get('op')!r}; use one of "
                f"{', '.join(OPERATORS)}."
            )
        if not isinstance(rule.get("variant", "on"), str):
            raise InvalidInput(f"Rule {index}: 'variant' is text.")
    return rules


def _changed(
    flag: FeatureFlag, *, audit: AuditContext, action: str, params: dict[str, Any]
) -> None:
    """Bump the version, save, audit, and tell the host app (inside the caller's transaction)."""
    flag.version += 1
    flag.updated_at = clock.now()
    flag.save()
    audit_record(audit, action=action, target=flag, params={**params, "version": flag.version})
    if host_webhook_configured():
        host_webhook_enqueue(
            event_type="flag.changed",
            data={"flag": flag_public(flag), "reason": action},
            idempotency_key=f"flag:{flag.key}:{flag.version}",
            audit=audit,
            target=flag,
        )


@dataclass(frozen=True)
class FlagChange:
    is_enabled: bool | None = None
    rollout_percent: int | None = None
    rules: list[dict[str, Any]] | None = None
    default_variant: str | None = None


@transaction.atomic
def flag_change(*, flag: FeatureFlag, change: FlagChange, audit: AuditContext) -> FeatureFlag:
    """Change a flag's switch, rollout or rules; audited and told to the host app."""
    flag = FeatureFlag.objects.select_for_update().get(pk=flag.pk)
    params: dict[str, Any] = {}
    if change.rollout_percent is not None:
        if not 0 <= change.rollout_percent <= 100:
            raise InvalidInput("The rollout is a percentage between 0 and 100.")
        if FlagRollout.objects.filter(flag=flag, status=FlagRollout.Status.RUNNING).exists():
            raise Conflict("A staged rollout is running on this flag: stop it first.")
        params["rollout_percent"] = [flag.rollout_percent, change.rollout_percent]
        flag.rollout_percent = change.rollout_percent
    if change.is_enabled is not None and change.is_enabled != flag.is_enabled:
        params["is_enabled"] = [flag.is_enabled, change.is_enabled]
        flag.is_enabled = change.is_enabled
    if change.rules is not None:
        params["rules"] = {"before": flag.rules, "after": flag_rules_check(change.rules)}
        flag.rules = change.rules
    if change.default_variant is not None:
        if not change.default_variant.strip():
            raise InvalidInput("The default variant must not be empty.")
        params["default_variant"] = [flag.default_variant, change.default_variant]
        flag.default_variant = change.default_variant.strip()
    if not params:
        raise InvalidInput("Nothing to change.")
    _changed(flag, audit=audit, action="flag.change", params=params)
    return flag


def _stages_check(stages: list[int]) -> list[int]:
    if not stages or len(stages) > 10:
        raise InvalidInput("A rollout has between 1 and 10 stages.")
    if any(not 0 < s <= 100 for s in stages) or stages != sorted(set(stages)):
        raise InvalidInput("Stages are increasing percentages between 1 and 100.")
    if stages[-1] != 100:
        raise InvalidInput("The last stage is 100%.")
    return stages


@transaction.atomic
def rollout_start(
    *,
    flag: FeatureFlag,
    stage_minutes: int,
    audit: AuditContext,
    stages: list[int] | None = None,
    alpha: float = 0.05,
) -> FlagRollout:
    """Start a staged rollout at its first stage."""
    flag = FeatureFlag.objects.select_for_update().get(pk=flag.pk)
    stages = _stages_check(list(stages or DEFAULT_STAGES))
    if not 5 <= stage_minutes <= 60 * 24 * 30:
        raise InvalidInput("Each stage lasts between 5 minutes and 30 days.")
    if not 0 < alpha <= 0.2:
        raise InvalidInput("The guardrail's alpha is between 0 and 0.2.")
    if FlagRollout.objects.filter(flag=flag, status=FlagRollout.Status.RUNNING).exists():
        raise Conflict("A rollout of this flag is already running.")
    now = clock.now()
    rollout = FlagRollout.objects.create(
        flag=flag,
        stages=stages,
        stage_minutes=stage_minutes,
        alpha=alpha,
        started_at=now,
        stage_started_at=now,
        started_by=audit.label,
    )
    flag.rollout_percent = stages[0]
    flag.is_enabled = True
    _changed(
        flag,
        audit=audit,
        action="flag.rollout_start",
        params={"stages": stages, "stage_minutes": stage_minutes, "rollout": rollout.pk},
    )
    return rollout


def rollout_stage_due(rollout: FlagRollout, *, now: datetime) -> bool:
    """Whether the current stage has lasted its time."""
    return now >= rollout.stage_started_at + timedelta(minutes=rollout.stage_minutes)


@transaction.atomic
def rollout_advance(*, rollout: FlagRollout, audit: AuditContext) -> FlagRollout:
    """Move to the next stage (or complete the rollout after the last)."""
    rollout = FlagRollout.objects.select_for_update().select_related("flag").get(pk=rollout.pk)
    if rollout.status != FlagRollout.Status.RUNNING:
        raise Conflict(f"This rollout is {rollout.get_status_display().lower()}.")
    now = clock.now()
    if rollout.stage_index + 1 >= len(rollout.stages):
        rollout.status = FlagRollout.Status.COMPLETED
        rollout.finished_at = now
        rollout.save()
        params = {"rollout": rollout.pk}
        audit_record(audit, action="flag.rollout_complete", target=rollout.flag, params=params)
        return rollout
    rollout.stage_index += 1
    rollout.stage_started_at = now
    rollout.save()
    flag = rollout.flag
    before = flag.rollout_percent
    flag.rollout_percent = rollout.percent
    _changed(
        flag,
        audit=audit,
        action="flag.rollout_advance",
        params={"rollout": rollout.pk, "rollout_percent": [before, flag.rollout_percent]},
    )
    return rollout


@transaction.atomic
def rollout_rollback(
    *, rollout: FlagRollout, reason: str, guardrail: dict[str, Any], audit: AuditContext
) -> FlagRollout:
    """Roll the flag back to 0% and end the rollout (the guard's automatic action)."""
    rollout = FlagRollout.objects.select_for_update().select_related("flag").get(pk=rollout.pk)
    if rollout.status != FlagRollout.Status.RUNNING:
        raise Conflict(f"This rollout is {rollout.get_status_display().lower()}.")
    now = clock.now()
    rollout.status = FlagRollout.Status.ROLLED_BACK
    rollout.finished_at = now
    rollout.reason = reason
    rollout.guardrail = guardrail
    rollout.checked_at = now
    rollout.save()
    flag = rollout.flag
    before = flag.rollout_percent
    flag.rollout_percent = 0
    _changed(
        flag,
        audit=audit,
        action="flag.rollout_rollback",
        params={"rollout": rollout.pk, "rollout_percent": [before, 0], "reason": reason,
                "guardrail": guardrail},
    )  # fmt: skip
    return rollout


@transaction.atomic
def rollout_stop(*, rollout: FlagRollout, audit: AuditContext) -> FlagRollout:
    """Stop a rollout where it stands (the flag keeps its current percentage)."""
    rollout = FlagRollout.objects.select_for_update().select_related("flag").get(pk=rollout.pk)
    if rollout.status != FlagRollout.Status.RUNNING:
        raise Conflict(f"This rollout is {rollout.get_status_display().lower()}.")
    rollout.status = FlagRollout.Status.STOPPED
    rollout.finished_at = clock.now()
    rollout.reason = f"stopped by {audit.label}"
    rollout.save()
    params = {"rollout": rollout.pk, "rollout_percent": rollout.flag.rollout_percent}
    audit_record(audit, action="flag.rollout_stop", target=rollout.flag, params=params)
    return rollout


def rollout_checked(*, rollout: FlagRollout, guardrail: dict[str, Any]) -> None:
    """Keep the guardrail's latest figures on the rollout (no audit: nothing changed)."""
    FlagRollout.objects.filter(pk=rollout.pk).update(guardrail=guardrail, checked_at=clock.now())
