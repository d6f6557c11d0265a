"""Deterministic flag evaluation: the same person always lands in the same bucket.

Used to simulate what a flag's current rules would give a person. The host app decides what it
actually serves; that is recorded as an Exposure and shown next to this simulation.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from opsroom.core.errors import InvalidInput
from opsroom.experiments.models import FeatureFlag

OPERATORS = ("eq", "neq", "in", "not_in", "contains", "gt", "gte", "lt", "lte", "exists")


@dataclass(frozen=True)
class Evaluation:
    variant: str
    reason: str


def bucket(*, salt: str, person_key: str) -> float:
    """A stable number in [0, 100) for a person under a salt (the flag key)."""
    digest = hashlib.sha256(f"{salt}:{person_key}".encode()).hexdigest()
    return int(digest[:8], 16) / 0x100000000 * 100


def rule_matches(rule: dict[str, Any], attributes: dict[str, Any]) -> bool:
    """Whether one targeting rule matches a person's attributes."""
    op = rule.get("op", "eq")
    if op not in OPERATORS:
        raise InvalidInput(f"unknown rule operator {op!r}; use one of {', '.join(OPERATORS)}")
    present = rule.get("attribute") in attributes
    actual = attributes.get(rule.get("attribute", ""))
    expected = rule.get("value")
    if op == "exists":
        return present and actual is not None
    if not present or actual is None:
        return op in ("neq", "not_in")
    try:
        if op == "eq":
            return bool(actual == expected)
        if op == "neq":
            return bool(actual != expected)
        if op == "in":
            return actual in (expected or [])
        if op == "not_in":
            return actual not in (expected or [])
        if op == "contains":
            return expected in actual
        if op == "gt":
            return bool(actual > expected)
        if op == "gte":
            return bool(actual >= expected)
        if op == "lt":
            return bool(actual < expected)
        return bool(actual <= expected)
    except TypeError:
        return False


def flag_evaluate(flag: FeatureFlag, *, person_key: str, attributes: dict[str, Any]) -> Evaluation:
    """The variant a flag's current rules give a person, and why."""
    if not flag.is_enabled:
        return Evaluation(flag.default_variant, "flag is switched off")
    for index, rule in enumerate(flag.rules or [], start=1):
        if rule_matches(rule, attributes):
            return Evaluation(str(rule.get("variant", "on")), f"matches rule {index}")
    if bucket(salt=flag.key, person_key=person_key) >= flag.rollout_percent:
        return Evaluation(flag.default_variant, f"outside the {flag.rollout_percent}% rollout")
    variants = flag.variants or [{"key": "on", "weight": 1}]
    total = sum(max(int(v.get("weight", 0)), 0) for v in variants)
    if total <= 0:
        return Evaluation(flag.default_variant, "no variant has weight")
    point = bucket(salt=f"{flag.key}:variant", person_key=person_key) / 100 * total
    running = 0
    for variant in variants:
        running += max(int(variant.get("weight", 0)), 0)
        if point < running:
            return Evaluation(str(variant["key"]), f"in the {flag.rollout_percent}% rollout")
    return Evaluation(str(variants[-1]["key"]), f"in the {flag.rollout_percent}% rollout")
