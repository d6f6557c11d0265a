"""Confidence thresholds for automatic actions, chosen from measured precision.

An automatic action (resolving a ticket, sending an intervention) happens only when the
model's confidence is at or above a threshold. The threshold is the lowest one whose
precision on held-back rows reaches the target, so that as many rows as possible are
automated while the measured precision holds.

Too little data to claim the target: a precision measured on few rows says little. The
target is claimed only when at least `min_accepted(target, alpha)` held-back rows are
accepted: the smallest count at which even a perfect record gives a one-sided (1 - alpha)
Clopper-Pearson lower bound at or above the target (299 rows for 99% at alpha 0.05). With
fewer, no threshold is returned and automation stays off. The lower bound itself is
reported beside the precision, so a reader sees how sure the figure is.

`claim="lower_bound"` is the stricter rule for actions that must not go wrong: the lowest
threshold whose lower bound, not only its measured precision, reaches the target. The
threshold is then higher and covers fewer rows, but new rows are at least as precise with
(1 - alpha) confidence, rather than about half of the time.
"""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from statsmodels.stats.proportion import proportion_confint

from opsroom.core.errors import InvalidInput

Outcome = Literal["met", "too_few_rows", "target_not_reached"]
Claim = Literal["estimate", "lower_bound"]


def min_accepted(target: float, alpha: float = 0.05) -> int:
    """Accepted rows needed before a precision target can be claimed (see the module note)."""
    if not 0 < target < 1 or not 0 < alpha < 1:
        raise InvalidInput("The target precision and alpha must be between 0 and 1.")
    # A perfect record of n rows has the one-sided lower bound alpha ** (1 / n).
    return math.ceil(math.log(alpha) / math.log(target))


def precision_lower_bound(*, correct: int, accepted: int, alpha: float = 0.05) -> float:
    """One-sided (1 - alpha) Clopper-Pearson lower bound of a precision."""
    if not accepted:
        return 0.0
    lower, _upper = proportion_confint(correct, accepted, alpha=2 * alpha, method="beta")
    return float(lower)


@dataclass(frozen=True)
class ThresholdChoice:
    target: float
    alpha: float
    claim: Claim
    threshold: float | None  # None: the target cannot be claimed on these rows
    outcome: Outcome
    precision: float | None
    precision_lower: float | None
    coverage: float
    accepted: int
    rows: int
    min_accepted: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _arrays(
    confidence: Sequence[float] | npt.NDArray[Any], correct: Sequence[bool] | npt.NDArray[Any]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    c = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    if c.shape != ok.shape or c.ndim != 1:
        raise InvalidInput("Give one confidence and one right-or-wrong per row.")
    return c, ok


def threshold_for_precision(
    *,
    confidence: Sequence[float] | npt.NDArray[Any],
    correct: Sequence[bool] | npt.NDArray[Any],
    target: float = 0.99,
    alpha: float = 0.05,
    claim: Claim = "estimate",
) -> ThresholdChoice:
    """The lowest confidence threshold whose held-back precision (or, with
    `claim="lower_bound"`, its lower bound) reaches `target`.

    `correct` says whether the prediction of each row would have been right (a row that should
    have been refused, such as an out-of-scope one, is never right).
    """
    c, ok = _arrays(confidence, correct)
    needed = min_accepted(target, alpha)
    n = len(c)
    order = np.argsort(-c, kind="stable")
    c_sorted, ok_sorted = c[order], ok[order]
    right = np.cumsum(ok_sorted)
    # Accepting "confidence >= t" takes every row tied at t: candidates end where the value drops.
    ends = np.flatnonzero(np.r_[c_sorted[1:] != c_sorted[:-1], True]) if n else np.array([], int)
    best = None
    for end in ends[::-1]:  # lowest threshold (most rows) first
        accepted = end + 1
        if accepted < needed:
            break
        hits = int(right[end])
        if hits / accepted < target:
            continue
        if claim == "estimate" or (
            precision_lower_bound(correct=hits, accepted=int(accepted), alpha=alpha) >= target
        ):
            best = end
            break
    if best is None:
        outcome: Outcome = "too_few_rows" if n < needed else "target_not_reached"
        return ThresholdChoice(
            target=target,
            alpha=alpha,
            claim=claim,
            threshold=None,
            outcome=outcome,
            precision=None,
            precision_lower=None,
            coverage=0.0,
            accepted=0,
            rows=n,
            min_accepted=needed,
        )
    accepted = int(best + 1)
    hits = int(right[best])
    return ThresholdChoice(
        target=target,
        alpha=alpha,
        claim=claim,
        threshold=float(c_sorted[best]),
        outcome="met",
        precision=hits / accepted,
        precision_lower=precision_lower_bound(correct=hits, accepted=accepted, alpha=alpha),
        coverage=accepted / n,
        accepted=accepted,
        rows=n,
        min_accepted=needed,
    )


@dataclass(frozen=True)
class PrecisionAt:
    threshold: float | None
    precision: float | None
    precision_lower: float | None
    coverage: float
    accepted: int
    rows: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def precision_at(
    *,
    confidence: Sequence[float] | npt.NDArray[Any],
    correct: Sequence[bool] | npt.NDArray[Any],
    threshold: float | None,
    alpha: float = 0.05,
) -> PrecisionAt:
    """Precision and coverage of accepting the rows at or above a threshold (None accepts none)."""
    c, ok = _arrays(confidence, correct)
    accepted_mask = c >= threshold if threshold is not None else np.zeros(len(c), dtype=bool)
    accepted = int(accepted_mask.sum())
    hits = int(ok[accepted_mask].sum())
    return PrecisionAt(
        threshold=threshold,
        precision=hits / accepted if accepted else None,
        precision_lower=precision_lower_bound(correct=hits, accepted=accepted, alpha=alpha)
        if accepted
        else None,
        coverage=accepted / len(c) if len(c) else 0.0,
        accepted=accepted,
        rows=len(c),
    )
