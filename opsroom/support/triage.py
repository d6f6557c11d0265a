"""Severity, affected feature and blocking impact of a ticket: pure functions of its text, its
predicted category and the requester's snapshot.

The category comes from the learned classifier (calibrated); these three are rules over
signals (urgency words, blocking phrases, the person's recent errors and events, plan value,
VIP), so their confidences here are rule strengths, not probabilities. The analysis turns each
strength into a probability calibrated on the tickets agents reviewed, once there are enough
(`support/ml/confidence.py`). Each result keeps the signals that set it, so the page can say
why.
"""

import re
from dataclasses import dataclass, field

from opsroom.people.snapshot import PersonSnapshot

URGENT_WORDS = (
    "urgent",
    "urgently",
    "asap",
    "immediately",
    "emergency",
    "right now",
    "critical",
    "as soon as possible",
    "today",
)
BLOCKING_PHRASES = (
    "can't",
    "cannot",
    "can not",
    "won't",
    "unable",
    "doesn't work",
    "does not work",
    "not working",
    "broken",
    "stuck",
    "locked out",
    "fails",
    "failed",
    "crash",
    "crashes",
    "times out",
    "timed out",
    "spins",
    "blank",
    "nothing happens",
    "keeps failing",
)
# Categories that are about something not working, or money: a notch more severe by default.
_SERIOUS = {"bug", "account_access", "billing"}
# Asks that can wait when nothing else says otherwise.
_MINOR = {"feature_request", "email_preferences", "other"}
_SEVERITIES = ("low", "normal", "high", "urgent")
# A monthly plan value (minor units) from which a customer counts as high value.
HIGH_VALUE_MRR = 5000
_WORD = re.compile(r"[a-z0-9]+")
_STOP = {
    "the",
    "a",
    "an",
    "and",
    "or",
    "to",
    "of",
    "in",
    "on",
    "for",
    "my",
    "i",
    "it",
    "is",
    "api",
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "id",
    "with",
    "this",
    "that",
    "v1",
    "v2",
    "task",
}


def _has(text: str, phrase: str) -> bool:
    return re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", text) is not None


def _stem(word: str) -> str:
    """A crude stem: 'recipes', 'recipe' -> 'recip'; 'generation', 'generate' -> 'generat'."""
    for suffix in ("ion", "ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


@dataclass(frozen=True)
class FeatureGuess:
    feature: str  # "" when none could be told
    confidence: float
    error_fingerprint: str  # the person's recent error group on that feature, "" when none
    signals: tuple[str, ...] = ()


@dataclass(frozen=True)
class Triage:
    severity: str
    severity_confidence: float
    is_blocking: bool
    blocking_confidence: float
    feature: FeatureGuess
    signals: dict[str, list[str]] = field(default_factory=dict)


def feature_guess(*, text: str, snapshot: PersonSnapshot) -> FeatureGuess:
    """The product feature a ticket is about: the person's recent error endpoints and the
    events they use, matched on the words of the ticket (errors weigh more)."""
    words = _stems(text)
    best: tuple[float, str, str, tuple[str, ...]] = (0.0, "", "", ())
    for group in snapshot.errors.groups_7d:
        name = group.endpoint or group.title
        shared = words & _stems(name)
        if shared:
            score = 0.6 + 0.1 * len(shared) + min(group.count, 5) * 0.05
            if score > best[0]:
                best = (score, name, group.fingerprint, (f"{group.count} errors on {name}",))
    for usage in snapshot.activity.usage_30d:
        shared = words & _stems(usage.label or usage.event.replace("_", " "))
        if shared:
            score = 0.4 + 0.1 * len(shared)
            if score > best[0]:
                best = (score, usage.label or usage.event, "", (f"uses {usage.event}",))
    score, name, fingerprint, signals = best
    return FeatureGuess(
        feature=name,
        confidence=round(min(score, 0.95), 2),
        error_fingerprint=fingerprint,
        signals=signals,
    )


def ticket_triage_compute(*, text: str, category: str, snapshot: PersonSnapshot) -> Triage:
    """Severity, blocking impact and feature of one ticket."""
    lowered = text.lower()
    urgent = [w for w in URGENT_WORDS if _has(lowered, w)]
    blocking = [p for p in BLOCKING_PHRASES if _has(lowered, p)]
    feature = feature_guess(text=text, snapshot=snapshot)
    score = 1 if category in _SERIOUS else 0
    signals: dict[str, list[str]] = {"urgency": urgent, "blocking": blocking}
    if urgent:
        score += 2
    if blocking:
        score += 1
    value: list[str] = []
    if snapshot.person.is_vip:
        value.append("VIP")
    if snapshot.billing.mrr >= HIGH_VALUE_MRR:
        value.append("high plan value")
    if value:
        score += 1
    signals["value"] = value
    errors = []
    if feature.error_fingerprint:
        errors.append(feature.signals[0])
        score += 1
    elif snapshot.errors.count_7d:
        errors.append(f"{snapshot.errors.count_7d} errors in 7 days")
    signals["errors"] = errors
    signals["feature"] = list(feature.signals)
    severity = _severity(score, category)
    evidence = sum(1 for part in (urgent, blocking, value, errors) if part)
    is_blocking = bool(blocking) or bool(feature.error_fingerprint)
    return Triage(
        severity=severity,
        severity_confidence=round(min(0.55 + 0.1 * evidence, 0.9), 2),
        is_blocking=is_blocking,
        blocking_confidence=round(
            min(0.5 + 0.15 * len(blocking) + (0.2 if feature.error_fingerprint else 0), 0.9)
            if is_blocking
            else 0.6,
            2,
        ),
        feature=feature,
        signals=signals,
    )


def _severity(score: int, category: str) -> str:
    if score == 0 and category in _MINOR:
        return "low"
    if score >= 4:
        return "urgent"
    return "high" if score >= 2 else "normal"


def priority_for_severity(severity: str) -> str:
    """The ticket priority a severity calls for (the same four levels)."""
    return severity if severity in _SEVERITIES else "normal"


def priority_rank(priority: str) -> int:
    """0 for low .. 3 for urgent."""
    return _SEVERITIES.index(priority) if priority in _SEVERITIES else 1
