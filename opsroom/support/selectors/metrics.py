"""The support dashboard's figures for a period against the one before it."""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from scipy.stats import poisson

from opsroom.support.models import AutomationRun, ReplySuggestion, Ticket
from opsroom.support.selectors.sla import SlaSettings, sla_settings_get
from opsroom.support.sla import PRIORITIES

# A category's tickets this week are "trending" when so many would happen by chance less than
# this often, at the rate of the four weeks before (a one-sided Poisson test).
TRENDING_P = 0.01
BASELINE_WEEKS = 4


@dataclass(frozen=True)
class Durations:
    count: int
    mean_hours: float | None
    median_hours: float | None


@dataclass(frozen=True)
class PeriodFigures:
    start: datetime
    end: datetime
    total: int
    auto_resolved: int
    ai_assisted: int  # a suggested reply was used or edited
    manual: int
    first_response: Durations
    resolution: Durations
    first_response_met: float | None  # share answered within the priority's target
    resolution_met: float | None  # share resolved within the priority's target
    by_priority: tuple["PriorityTargets", ...]
    csat: float | None  # mean rating 1-5
    csat_count: int
    suggestions_used: int
    suggestions_edited: int
    suggestions_rejected: int
    auto_resolution_seconds: float | None  # mean, from arrival to the automation's reply
    # CSAT of auto-resolved, AI-assisted and manual tickets: {"auto": (mean, ratings), ...}
    csat_by_handling: dict[str, tuple[float | None, int]] = field(default_factory=dict)

    @property
    def suggestion_acceptance(self) -> float | None:
        """Share of decided suggestions sent (as is or edited): the AI response quality."""
        decided = self.suggestions_used + self.suggestions_edited + self.suggestions_rejected
        return (self.suggestions_used + self.suggestions_edited) / decided if decided else None


@dataclass(frozen=True)
class PriorityTargets:
    """One priority's first reply and resolution times against its policy's targets."""

    priority: str
    first_reply_target_hours: float
    resolution_target_hours: float
    business_hours: bool
    first_response: Durations
    first_response_met: float | None  # share of the answered tickets within target
    resolution: Durations
    resolution_met: float | None  # share of the resolved tickets within target


@dataclass(frozen=True)
class TopIssue:
    category: str
    this_week: int
    weekly_baseline: float
    is_trending: bool
    p_value: float


def _durations(pairs: Sequence[tuple[datetime, datetime | None]]) -> Durations:
    hours = [
        (end - start).total_seconds() / 3600
        for start, end in pairs
        if end is not None and end >= start
    ]
    if not hours:
        return Durations(0, None, None)
    return Durations(len(hours), statistics.fmean(hours), statistics.median(hours))


def _auto_resolved() -> Exists:
    """Whether an automation resolved the ticket (for annotate)."""
    return Exists(
        AutomationRun.objects.filter(ticket=OuterRef("pk"), outcome=AutomationRun.Outcome.RESOLVED)
    )


def _ai_assisted() -> Exists:
    """Whether a copilot draft was sent on the ticket, as is or edited (for annotate)."""
    return Exists(
        ReplySuggestion.objects.filter(
            ticket=OuterRef("pk"),
            outcome__in=(ReplySuggestion.Outcome.USED, ReplySuggestion.Outcome.EDITED),
        )
    )


def _csat_by_handling(tickets: QuerySet[Ticket]) -> dict[str, tuple[float | None, int]]:
    """Mean rating and count per handling: auto (an automation resolved it), ai_assisted (a
    copilot draft was sent), manual (neither)."""
    rows = (
        tickets.filter(satisfaction_rating__isnull=False)
        .annotate(auto=_auto_resolved(), assisted=_ai_assisted())
        .values("auto", "assisted")
        .annotate(total=Sum("satisfaction_rating"), n=Count("id"))
    )
    sums = {"auto": [0, 0], "ai_assisted": [0, 0], "manual": [0, 0]}
    for row in rows:
        key = "auto" if row["auto"] else ("ai_assisted" if row["assisted"] else "manual")
        sums[key][0] += row["total"]
        sums[key][1] += row["n"]
    return {key: (total / n if n else None, n) for key, (total, n) in sums.items()}


Timed = tuple[datetime, datetime | None, str, bool | None]


def _share(rows: Sequence[Timed]) -> float | None:
    known = [met for _s, _e, _p, met in rows if met is not None]
    return sum(known) / len(known) if known else None


def _by_priority(
    first: Sequence[Timed], resolved: Sequence[Timed], settings: SlaSettings
) -> tuple[PriorityTargets, ...]:
    rows = []
    for priority in PRIORITIES:
        policy = settings.policies[priority]
        answered = [row for row in first if row[2] == priority]
        done = [row for row in resolved if row[2] == priority]
        rows.append(
            PriorityTargets(
                priority=priority,
                first_reply_target_hours=policy.first_reply_minutes / 60,
                resolution_target_hours=policy.resolution_minutes / 60,
                business_hours=policy.business_hours,
                first_response=_durations([(s, e) for s, e, _p, _m in answered]),
                first_response_met=_share(answered),
                resolution=_durations([(s, e) for s, e, _p, _m in done]),
                resolution_met=_share(done),
            )
        )
    return tuple(rows)


def period_figures(
    *, start: datetime, end: datetime, settings: SlaSettings | None = None
) -> PeriodFigures:
    """Tickets opened in [start, end): volumes, response and resolution times, CSAT and how
    the copilot's drafts fared."""
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    total = tickets.count()
    auto = (
        AutomationRun.objects.filter(ticket__in=tickets, outcome=AutomationRun.Outcome.RESOLVED)
        .values("ticket_id")
        .distinct()
        .count()
    )
    assisted = (
        ReplySuggestion.objects.filter(
            ticket__in=tickets,
            outcome__in=(ReplySuggestion.Outcome.USED, ReplySuggestion.Outcome.EDITED),
        )
        .exclude(ticket__automation_runs__outcome=AutomationRun.Outcome.RESOLVED)
        .values("ticket_id")
        .distinct()
        .count()
    )
    automated = list(
        AutomationRun.objects.filter(
            ticket__in=tickets, outcome=AutomationRun.Outcome.RESOLVED
        ).values_list("ticket__created_at", "created_at")
    )
    # Met or missed as stored when it happened (business hours and pauses counted).
    first = list(
        tickets.filter(first_response_at__isnull=False).values_list(
            "created_at", "first_response_at", "priority", "sla_first_reply_met"
        )
    )
    resolved = list(
        tickets.filter(resolved_at__isnull=False).values_list(
            "created_at", "resolved_at", "priority", "sla_resolution_met"
        )
    )
    rated = tickets.filter(satisfaction_rating__isnull=False).aggregate(
        mean=Avg("satisfaction_rating"), n=Count("id")
    )
    by_handling = _csat_by_handling(tickets)
    decided = ReplySuggestion.objects.filter(decided_at__gte=start, decided_at__lt=end).aggregate(
        used=Count("id", filter=Q(outcome=ReplySuggestion.Outcome.USED)),
        edited=Count("id", filter=Q(outcome=ReplySuggestion.Outcome.EDITED)),
        rejected=Count("id", filter=Q(outcome=ReplySuggestion.Outcome.REJECTED)),
    )
    return PeriodFigures(
        start=start,
        end=end,
        total=total,
        auto_resolved=auto,
        ai_assisted=assisted,
        manual=total - auto - assisted,
        first_response=_durations([(c, a) for c, a, _p, _m in first]),
        resolution=_durations([(c, r) for c, r, _p, _m in resolved]),
        first_response_met=_share(first),
        resolution_met=_share(resolved),
        by_priority=_by_priority(first, resolved, settings or sla_settings_get()),
        csat=float(rated["mean"]) if rated["mean"] is not None else None,
        csat_count=rated["n"],
        csat_by_handling=by_handling,
        suggestions_used=decided["used"],
        suggestions_edited=decided["edited"],
        suggestions_rejected=decided["rejected"],
        auto_resolution_seconds=statistics.fmean(
            [(done - created).total_seconds() for created, done in automated]
        )
        if automated
        else None,
    )


def top_issues(*, now: datetime, limit: int = 5) -> list[TopIssue]:
    """This week's most frequent categories, each marked trending only when its count is
    statistically unusual against the four weeks before."""
    week = now - timedelta(days=7)
    before = week - timedelta(days=7 * BASELINE_WEEKS)
    rows = (
        Ticket.objects.filter(created_at__gte=before, created_at__lt=now)
        .exclude(category="")
        .values("category")
        .annotate(
            recent=Count("id", filter=Q(created_at__gte=week)),
            earlier=Count("id", filter=Q(created_at__lt=week)),
        )
    )
    issues = []
    for row in rows:
        if not row["recent"]:
            continue
        baseline = row["earlier"] / BASELINE_WEEKS
        # P(X >= recent) for X ~ Poisson(baseline); with no history a half ticket a week.
        p_value = float(poisson.sf(row["recent"] - 1, max(baseline, 0.5)))
        issues.append(
            TopIssue(
                category=row["category"],
                this_week=row["recent"],
                weekly_baseline=round(baseline, 2),
                is_trending=p_value < TRENDING_P,
                p_value=p_value,
            )
        )
    issues.sort(key=lambda issue: (-issue.this_week, issue.category))
    return issues[:limit]


@dataclass(frozen=True)
class DailyVolumes:
    days: list[date]
    auto_resolved: list[int]
    ai_assisted: list[int]
    manual: list[int]
    csat: list[float | None]  # mean rating of the day's tickets; None when none rated


def daily_volumes(*, start: datetime, end: datetime) -> DailyVolumes:
    """Tickets opened each day of [start, end) (UTC days), split by who resolved them, and
    the day's mean CSAT: the dashboard's chart."""
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    rows = (
        tickets.annotate(
            day=TruncDate("created_at", tzinfo=UTC),
            auto=_auto_resolved(),
            assisted=_ai_assisted(),
        )
        .values("day", "auto", "assisted")
        .annotate(
            n=Count("id"),
            rated=Count("satisfaction_rating"),
            rating_sum=Sum("satisfaction_rating"),
        )
    )
    first = start.astimezone(UTC).date()
    last = (end - timedelta(microseconds=1)).astimezone(UTC).date()
    count = max((last - first).days + 1, 0)
    days = [first + timedelta(days=i) for i in range(count)]
    index = {day: i for i, day in enumerate(days)}
    auto, assisted, manual = [0] * count, [0] * count, [0] * count
    sums, rated = [0] * count, [0] * count
    for row in rows:
        i = index.get(row["day"])
        if i is None:
            continue
        target = auto if row["auto"] else (assisted if row["assisted"] else manual)
        target[i] += row["n"]
        rated[i] += row["rated"]
        sums[i] += row["rating_sum"] or 0
    return DailyVolumes(
        days=days,
        auto_resolved=auto,
        ai_assisted=assisted,
        manual=manual,
        csat=[round(s / r, 2) if r else None for s, r in zip(sums, rated, strict=True)],
    )
