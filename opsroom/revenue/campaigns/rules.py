"""A campaign's trigger and steps: checked when they are saved (a clear error for each mistake)
and matched against a customer's churn prediction when the daily run looks for entrants.

A trigger is a JSON object; every key is optional and an empty trigger matches every scored
customer:

    {"bands": ["high"], "min_probability": 0.4, "max_probability": 1.0,
     "plans": ["pro-monthly"], "min_mrr": 1000,
     "signals": {"is_annual": {"max": 0}, "mrr": {"min": 2000}}}

`signals` names the prediction's signals (the churn features, e.g. `is_annual`,
`payment_failures_30d`, `active_days_30d`); each bound is inclusive.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opsroom.core.errors import InvalidInput

BANDS = ("high", "medium", "low")
TRIGGER_KEYS = {"bands", "min_probability", "max_probability", "plans", "min_mrr", "signals"}
MAX_STEPS = 10
MAX_DAY = 365


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"The trigger's {name} must be a number, not {value!r}.")
    return float(value)


def trigger_clean(trigger: Any) -> dict[str, Any]:
    """The trigger, checked; InvalidInput names the first mistake."""
    if trigger is None:
        return {}
    if not isinstance(trigger, dict):
        raise InvalidInput("The trigger must be a JSON object.")
    unknown = sorted(set(trigger) - TRIGGER_KEYS)
    if unknown:
        raise InvalidInput(
            f"Unknown trigger key {unknown[0]!r}: use {', '.join(sorted(TRIGGER_KEYS))}."
        )
    clean: dict[str, Any] = {}
    if "bands" in trigger:
        bands = trigger["bands"]
        if not isinstance(bands, list) or not all(b in BANDS for b in bands):
            raise InvalidInput(f"The trigger's bands must be a list of {', '.join(BANDS)}.")
        clean["bands"] = sorted(set(bands), key=BANDS.index)
    for name in ("min_probability", "max_probability"):
        if name in trigger:
            value = _number(trigger[name], name)
            if not 0 <= value <= 1:
                raise InvalidInput(f"The trigger's {name} must be between 0 and 1.")
            clean[name] = value
    if clean.get("min_probability", 0) > clean.get("max_probability", 1):
        raise InvalidInput("The trigger's min_probability is above its max_probability.")
    if "plans" in trigger:
        plans = trigger["plans"]
        if not isinstance(plans, list) or not all(isinstance(p, str) and p for p in plans):
            raise InvalidInput("The trigger's plans must be a list of plan codes.")
        clean["plans"] = plans
    if "min_mrr" in trigger:
        clean["min_mrr"] = int(_number(trigger["min_mrr"], "min_mrr"))
    if "signals" in trigger:
        signals = trigger["signals"]
        if not isinstance(signals, dict):
            raise InvalidInput('The trigger\'s signals must be {"name": {"min": x, "max": y}}.')
        clean_signals: dict[str, dict[str, float]] = {}
        for name, bounds in signals.items():
            if not isinstance(bounds, dict) or not bounds or set(bounds) - {"min", "max"}:
                raise InvalidInput(f'The signal {name!r} needs {{"min": x}} and/or {{"max": y}}.')
            clean_signals[str(name)] = {
                k: _number(v, f"signal {name} {k}") for k, v in bounds.items()
            }
        clean["signals"] = clean_signals
    return clean


def steps_clean(steps: Any, *, templates: set[str]) -> list[dict[str, Any]]:
    """The steps, checked against the email templates that exist, in day order."""
    if not isinstance(steps, list) or not steps:
        raise InvalidInput('A campaign needs steps: [{"template": key, "day": n}, ...].')
    if len(steps) > MAX_STEPS:
        raise InvalidInput(f"A campaign has at most {MAX_STEPS} steps.")
    clean = []
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict) or set(step) != {"template", "day"}:
            raise InvalidInput(f'Step {number} must be {{"template": key, "day": n}}.')
        template, day = step["template"], step["day"]
        if not isinstance(template, str) or template not in templates:
            raise InvalidInput(f"Step {number}: no active email template {template!r}.")
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= MAX_DAY:
            raise InvalidInput(f"Step {number}: the day must be a whole number 0 to {MAX_DAY}.")
        clean.append({"template": template, "day": day})
    return sorted(clean, key=lambda s: s["day"])


@dataclass(frozen=True)
class Candidate:
    person_id: int
    probability: float
    band: str
    mrr: int
    plan_code: str
    signals: Mapping[str, float]


def trigger_matches(trigger: Mapping[str, Any], candidate: Candidate) -> bool:
    """Whether a customer's prediction meets a (clean) trigger."""
    if "bands" in trigger and candidate.band not in trigger["bands"]:
        return False
    if candidate.probability < trigger.get("min_probability", 0.0):
        return False
    if candidate.probability > trigger.get("max_probability", 1.0):
        return False
    if "plans" in trigger and candidate.plan_code not in trigger["plans"]:
        return False
    if candidate.mrr < trigger.get("min_mrr", 0):
        return False
    for name, bounds in trigger.get("signals", {}).items():
        value = candidate.signals.get(name)
        if value is None:
            return False
        if "min" in bounds and value < bounds["min"]:
            return False
        if "max" in bounds and value > bounds["max"]:
            return False
    return True


def is_holdout(*, campaign_key: str, person_id: int, day: str, percent: int) -> bool:
    """The random holdout draw: a hash of the campaign, the person and the day, so that a second
    run on the same day draws the same group (no state needed) and draws are independent of the
    person's risk."""
    digest = hashlib.sha256(f"{campaign_key}:{person_id}:{day}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < percent * 100
