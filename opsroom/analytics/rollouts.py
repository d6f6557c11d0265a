"""The rollout guard: watches each staged flag rollout, rolls it back on an error spike and
advances it when its stage has lasted long enough.

Units are people. Exposed: served any variant other than the flag's default since the rollout
started (from their first such exposure); control: served only the default. An exposed person
"errs" when they hit an error (level error or fatal) at or after their exposure. The test is
one-sided and anytime-valid (it is looked at every few minutes): the rollback fires when the
lower end of the normal-mixture confidence sequence (Howard et al. 2021, at level 2 alpha,
which bounds the one-sided error by alpha) of p_exposed - p_control is above 0.
"""

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from opsroom.analytics.alerts import alert_raise
from opsroom.analytics.models import Alert
from opsroom.core import clock
from opsroom.core.services.audit import AuditContext
from opsroom.experiments.rollouts import (
    rollout_advance,
    rollout_checked,
    rollout_rollback,
    rollout_stage_due,
)
from opsroom.experiments.selectors import exposures_of_flag, rollouts_running
from opsroom.experiments.statistics import SEQUENTIAL_TUNING, sequential_halfwidth
from opsroom.telemetry.selectors import error_times_for_people

# Before deciding anything: people on each side and errors among the exposed.
MIN_PEOPLE, MIN_ERRORS = 30, 3
GUARD = AuditContext.system("rollout guard")

if TYPE_CHECKING:
    from opsroom.experiments.models import FlagRollout


@dataclass(frozen=True)
class Guardrail:
    exposed: int
    exposed_errors: int
    control: int
    control_errors: int
    difference: float  # p_exposed - p_control
    lower: float  # the anytime-valid lower bound of the difference
    is_spike: bool

    @property
    def exposed_rate(self) -> float:
        return self.exposed_errors / self.exposed if self.exposed else 0.0

    @property
    def control_rate(self) -> float:
        return self.control_errors / self.control if self.control else 0.0


def guardrail_measure(rollout: "FlagRollout") -> Guardrail:
    """The error rates of exposed and control people since the rollout started, and the test."""
    flag = rollout.flag
    first_on: dict[int, Any] = {}
    first_off: dict[int, Any] = {}
    for person_id, variant, first in exposures_of_flag(flag_id=flag.pk, since=rollout.started_at):
        side = first_off if variant == flag.default_variant else first_on
        at = max(first, rollout.started_at)
        side[person_id] = min(side.get(person_id, at), at)
    control = {pid: at for pid, at in first_off.items() if pid not in first_on}
    errors = error_times_for_people(person_ids=[*first_on, *control], since=rollout.started_at)

    def erred(group: dict[int, Any]) -> int:
        return sum(any(t >= since for t in errors.get(pid, ())) for pid, since in group.items())

    n_t, n_c = len(first_on), len(control)
    e_t, e_c = erred(first_on), erred(control)
    if n_t < 2 or n_c < 2:
        return Guardrail(n_t, e_t, n_c, e_c, 0.0, -math.inf, False)
    p_t, p_c = e_t / n_t, e_c / n_c
    variance = p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c
    # With no error on either side there is nothing to bound; a floor keeps it defined.
    variance = max(variance, 0.25 / (n_t + n_c) ** 2)
    units = n_t + n_c
    half = sequential_halfwidth(
        unit_variance=variance * units,
        units=units,
        alpha=min(2 * rollout.alpha, 0.5),
        tuning=SEQUENTIAL_TUNING,
    )
    lower = (p_t - p_c) - half
    spike = n_t >= MIN_PEOPLE and n_c >= MIN_PEOPLE and e_t >= MIN_ERRORS and lower > 0
    return Guardrail(n_t, e_t, n_c, e_c, p_t - p_c, lower, spike)


def _figures(guardrail: Guardrail) -> dict[str, Any]:
    figures = asdict(guardrail)
    figures["lower"] = None if math.isinf(guardrail.lower) else round(guardrail.lower, 6)
    figures["difference"] = round(guardrail.difference, 6)
    figures["exposed_rate"] = round(guardrail.exposed_rate, 6)
    figures["control_rate"] = round(guardrail.control_rate, 6)
    return figures


def rollout_watch(rollout: "FlagRollout") -> str:
    """Check one running rollout: roll back, advance, or keep watching. Returns what it did."""
    guardrail = guardrail_measure(rollout)
    figures = _figures(guardrail)
    if guardrail.is_spike:
        reason = (
            f"Error spike among exposed people: {guardrail.exposed_errors} of "
            f"{guardrail.exposed} ({guardrail.exposed_rate:.1%}) against "
            f"{guardrail.control_errors} of {guardrail.control} ({guardrail.control_rate:.1%}) "
            f"not exposed; the anytime-valid lower bound of the difference is "
            f"{guardrail.lower:+.2%}."
        )
        rollout_rollback(rollout=rollout, reason=reason, guardrail=figures, audit=GUARD)
        alert_raise(
            kind=Alert.Kind.ROLLBACK,
            title=f"Flag {rollout.flag.key} rolled back from {rollout.percent}% to 0%",
            body=reason,
            url=f"/analytics/flags/{rollout.flag.key}/",
            dedupe_key=f"rollback:{rollout.pk}",
            audit=GUARD,
        )
        return "rolled_back"
    rollout_checked(rollout=rollout, guardrail=figures)
    if rollout_stage_due(rollout, now=clock.now()):
        advanced = rollout_advance(rollout=rollout, audit=GUARD)
        return "completed" if advanced.status == "completed" else "advanced"
    return "watching"


def rollouts_watch() -> dict[str, str]:
    """Check every running rollout; {flag key: what was done}."""
    return {rollout.flag.key: rollout_watch(rollout) for rollout in rollouts_running()}
