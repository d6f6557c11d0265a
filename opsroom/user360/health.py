"""The health score: five components, each 0-100 with the figure behind it, weighted to 0-100.

Pure functions of a person's metrics (gathered by services/health.py from derived tables).
Components that do not apply (no paid subscription, no core features) are left out and the
other weights are scaled up, so a free user is not marked down for having no payments.

Payment trouble caps the score: a subscription past due or unpaid (or a last payment that
failed) cannot score above Critical, whatever the usage. Two states come before the bands:
New (signed up fewer than `new_days` ago: not enough history to judge) and Lapsed (no live
paid subscription and no activity in 4 weeks: gone, not at risk).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from opsroom.core.errors import InvalidInput
from opsroom.people.selectors.activity import PersonActivity
from opsroom.revenue.selectors import PaymentHealth

COMPONENTS = (
    ("engagement", "Engagement trend"),
    ("frequency", "Usage frequency"),
    ("adoption", "Feature adoption"),
    ("support", "Support friction"),
    ("payment", "Payment health"),
)
COMPONENT_LABELS = dict(COMPONENTS)
DEFAULT_WEIGHTS = {"engagement": 30, "frequency": 25, "adoption": 20, "support": 10, "payment": 15}
# Support friction: points off per ticket in 30 days, per open ticket, per error in 7 days.
TICKET_PENALTY, OPEN_TICKET_PENALTY, ERROR_PENALTY = 20, 10, 4
# Payment health of a person who had a failed payment in 60 days but has paid since.
RECOVERED_PAYMENT_SCORE = 60
# No activity in this many days (and nothing paid for): the person has lapsed.
LAPSED_DAYS = 28
# The bands with a score threshold, best first; New and Lapsed are states before them.
SCORED_BANDS = ("healthy", "at_risk", "critical")


@dataclass(frozen=True)
class HealthSettings:
    weights: dict[str, float]
    core_features: list[str]
    healthy_min: int = 70
    at_risk_min: int = 40
    target_days_per_week: float = 3.0
    login_events: tuple[str, ...] = ("login",)
    usage_counters: list[dict[str, str]] = field(default_factory=list)
    core_features_detected: bool = False
    new_days: int = 14


@dataclass(frozen=True)
class HealthInputs:
    events_7d: int = 0
    events_prev_21d: int = 0  # days 8-28 before
    active_days_14d: int = 0
    active_days_prev_42d: int = 0  # days 15-56 before
    core_used: int = 0  # distinct core features used in 30 days
    tickets_30d: int = 0
    open_tickets: int = 0
    errors_7d: int = 0
    payment: PaymentHealth | None = None
    account_age_days: int | None = None  # None: signup date unknown
    # Days since the host app last saw them, when scoring now (None: unknown, or a past day,
    # where today's last-seen time would leak what came after).
    seen_days_ago: int | None = None

    @property
    def is_paying(self) -> bool:
        return self.payment is not None and self.payment.is_paying

    @property
    def is_inactive(self) -> bool:
        """No activity in the last 4 weeks (LAPSED_DAYS), nor seen since."""
        seen = self.seen_days_ago is not None and self.seen_days_ago < LAPSED_DAYS
        return self.events_7d == 0 and self.events_prev_21d == 0 and not seen


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    score: int | None  # None: does not apply to this person
    weight: float
    figure: str

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "score": self.score,
            "weight": self.weight,
            "figure": self.figure,
        }


@dataclass(frozen=True)
class HealthResult:
    score: int
    band: str
    components: list[Component]
    uncapped_score: int | None = None  # the weighted score, when payment trouble capped it


def engagement_inputs(activity: PersonActivity, core_features: list[str]) -> HealthInputs:
    """The activity part of the health inputs (windows end the day before today)."""
    today, core = activity.today, set(core_features)

    def in_window(day: date, start: int, end: int) -> bool:
        return today - timedelta(days=start) <= day < today - timedelta(days=end)

    rows = activity.rows
    return HealthInputs(
        events_7d=sum(n for day, _e, n in rows if in_window(day, 7, 0)),
        events_prev_21d=sum(n for day, _e, n in rows if in_window(day, 28, 7)),
        active_days_14d=len({day for day, _e, _n in rows if in_window(day, 14, 0)}),
        active_days_prev_42d=len({day for day, _e, _n in rows if in_window(day, 56, 14)}),
        core_used=len({e for day, e, _n in rows if e in core and in_window(day, 30, 0)}),
    )


def weights_normalise(weights: dict[str, float]) -> dict[str, float]:
    """Weights per component summing to 1 (unknown keys dropped, missing ones 0)."""
    clean = {key: max(float(weights.get(key, 0)), 0.0) for key, _label in COMPONENTS}
    total = sum(clean.values())
    if total <= 0:
        raise InvalidInput("At least one health component needs a positive weight.")
    return {key: value / total for key, value in clean.items()}


def band_for(
    score: int, settings: HealthSettings, *, is_new: bool = False, is_lapsed: bool = False
) -> str:
    """New, Lapsed, else Healthy, At risk or Critical by the score."""
    if is_new:
        return "new"
    if is_lapsed:
        return "lapsed"
    if score >= settings.healthy_min:
        return "healthy"
    if score >= settings.at_risk_min:
        return "at_risk"
    return "critical"


def score_cap(payment_score: int | None, settings: HealthSettings) -> int | None:
    """The highest score payment trouble allows: the top of Critical while delinquent."""
    if payment_score == 0:
        return settings.at_risk_min - 1
    return None


def score_combine(
    scores: dict[str, int | None], weights: dict[str, float], settings: HealthSettings
) -> tuple[int, int | None]:
    """The score from component scores (None: not applicable) and normalised weights, and the
    weighted score before a payment cap (None when no cap applied)."""
    applicable = [
        (weights[key], score)
        for key, score in scores.items()
        if score is not None and weights.get(key, 0) > 0
    ]
    total_weight = sum(weight for weight, _score in applicable)
    weighted = (
        round(sum(weight * score for weight, score in applicable) / total_weight)
        if total_weight
        else 0
    )
    cap = score_cap(scores.get("payment"), settings)
    if cap is not None and weighted > cap:
        return cap, weighted
    return weighted, None


def is_new(account_age_days: int | None, settings: HealthSettings) -> bool:
    """Whether a person is too new to be judged."""
    return account_age_days is not None and account_age_days < settings.new_days


def _per_week(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + "x/week"


def _engagement(inputs: HealthInputs) -> tuple[int, str]:
    now, before = inputs.events_7d, inputs.events_prev_21d / 3
    if before == 0:
        if now == 0:
            return 0, "no activity in the last 4 weeks"
        return 100, f"{now} events this week, none in the 3 weeks before"
    ratio = now / before
    change = round((ratio - 1) * 100)
    versus = f"{now} events vs {before:.0f}/week in the 3 weeks before"
    if change <= -5:
        return round(min(ratio, 1) * 100), f"down {-change}% this week ({versus})"
    if change >= 5:
        return 100, f"up {change}% this week ({versus})"
    return round(min(ratio, 1) * 100), f"steady this week ({versus})"


def _frequency(inputs: HealthInputs, target: float) -> tuple[int, str]:
    now, before = inputs.active_days_14d / 2, inputs.active_days_prev_42d / 6
    score = round(min(now / target, 1) * 100) if target > 0 else 0
    basis = "active days, last 2 weeks vs the 6 before"
    return score, f"{_per_week(before)} → {_per_week(now)} ({basis})"


def _adoption(inputs: HealthInputs, total: int) -> tuple[int | None, str]:
    if total == 0:
        return None, "no core features configured or detected yet"
    used = min(inputs.core_used, total)
    return round(used / total * 100), f"{used}/{total} core features used in the last 30 days"


def _support(inputs: HealthInputs) -> tuple[int, str]:
    penalty = (
        TICKET_PENALTY * min(inputs.tickets_30d, 3)
        + OPEN_TICKET_PENALTY * min(inputs.open_tickets, 3)
        + ERROR_PENALTY * min(inputs.errors_7d, 10)
    )
    tickets = f"{inputs.tickets_30d} ticket{'s' if inputs.tickets_30d != 1 else ''} in 30 days"
    if inputs.open_tickets:
        tickets += f" ({inputs.open_tickets} open)"
    errors = f"{inputs.errors_7d} error{'s' if inputs.errors_7d != 1 else ''} in 7 days"
    return max(0, 100 - penalty), f"{tickets} · {errors}"


def _payment(payment: PaymentHealth | None) -> tuple[int | None, str]:
    if payment is None:
        return None, "no paid subscription and no payments in 60 days"
    if payment.is_delinquent:
        if payment.last_status == "failed" and payment.last_at is not None:
            reason = f" ({payment.last_decline})" if payment.last_decline else ""
            return 0, f"last payment failed on {payment.last_at:%Y-%m-%d}{reason}"
        return 0, "subscription is past due or unpaid"
    if payment.failed:
        plural = "s" if payment.failed != 1 else ""
        return (
            RECOVERED_PAYMENT_SCORE,
            f"{payment.failed} failed payment{plural} in 60 days, paid since",
        )
    if payment.succeeded:
        plural = "s" if payment.succeeded != 1 else ""
        return 100, f"{payment.succeeded} payment{plural} in 60 days, none failed"
    return 100, "no failed payments in 60 days"


def health_compute(inputs: HealthInputs, settings: HealthSettings) -> HealthResult:
    """The score, its band and its components for one person."""
    weights = weights_normalise(settings.weights)
    raw: dict[str, tuple[int | None, str]] = {
        "engagement": _engagement(inputs),
        "frequency": _frequency(inputs, settings.target_days_per_week),
        "adoption": _adoption(inputs, len(settings.core_features)),
        "support": _support(inputs),
        "payment": _payment(inputs.payment),
    }
    components = [
        Component(key, label, raw[key][0], round(weights[key], 4), raw[key][1])
        for key, label in COMPONENTS
    ]
    score, uncapped = score_combine(
        {key: value[0] for key, value in raw.items()}, weights, settings
    )
    band = band_for(
        score,
        settings,
        is_new=is_new(inputs.account_age_days, settings),
        is_lapsed=not inputs.is_paying and inputs.is_inactive,
    )
    return HealthResult(score=score, band=band, components=components, uncapped_score=uncapped)


def history_append(
    history: dict[str, object], *, on: date, score: int, keep: int
) -> dict[str, object]:
    """Add a day's score to a compact daily history, keeping the last `keep` days."""
    scores = list(history.get("scores") or [])  # type: ignore[call-overload]
    start_text = history.get("start")
    if not scores or not isinstance(start_text, str):
        return {"start": on.isoformat(), "scores": [score]}
    start = date.fromisoformat(start_text)
    index = (on - start).days
    if index < 0:
        return {"start": on.isoformat(), "scores": [score]}
    if index < len(scores):
        scores[index] = score
    else:
        scores.extend([None] * (index - len(scores)))
        scores.append(score)
    if len(scores) > keep:
        drop = len(scores) - keep
        scores = scores[drop:]
        start = date.fromordinal(start.toordinal() + drop)
    return {"start": start.isoformat(), "scores": scores}


def history_points(history: dict[str, object]) -> list[tuple[date, int]]:
    """(day, score) pairs of a compact history, days without a score left out."""
    start_text = history.get("start")
    if not isinstance(start_text, str):
        return []
    start = date.fromisoformat(start_text).toordinal()
    scores: list[int | None] = list(history.get("scores") or [])  # type: ignore[call-overload]
    return [
        (date.fromordinal(start + offset), int(value))
        for offset, value in enumerate(scores)
        if value is not None
    ]
