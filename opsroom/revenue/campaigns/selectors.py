"""Reads of the retention campaigns: each campaign's numbers (the brief's triggered, engaged,
retained and revenue saved, against the holdout), a person's intervention timeline, and the
campaign that worked best for customers comparable to a given one."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import Count, Q, QuerySet, Sum

from opsroom.core import clock
from opsroom.messaging.selectors import email_outcomes_by_id
from opsroom.revenue.campaigns.effect import MIN_PER_GROUP, Effect
from opsroom.revenue.models import Campaign, CampaignEnrollment, CampaignSend, ChurnPrediction

Group = CampaignEnrollment.Group
COMPARABLE_MRR_FACTOR = 2.0  # comparable: the same risk band, MRR within half to twice


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.order_by("-is_active", "name")


def campaign_get(*, key: str) -> Campaign | None:
    return Campaign.objects.filter(key=key).first()


def _effect(entries: QuerySet[CampaignEnrollment]) -> Effect:
    measured = entries.filter(retained__isnull=False)
    counts = measured.aggregate(
        treated=Count("pk", filter=Q(group=Group.TREATED)),
        treated_retained=Count("pk", filter=Q(group=Group.TREATED, retained=True)),
        holdout=Count("pk", filter=Q(group=Group.HOLDOUT)),
        holdout_retained=Count("pk", filter=Q(group=Group.HOLDOUT, retained=True)),
        treated_mrr=Sum("mrr", filter=Q(group=Group.TREATED)),
    )
    return Effect(
        treated=counts["treated"],
        treated_retained=counts["treated_retained"],
        holdout=counts["holdout"],
        holdout_retained=counts["holdout_retained"],
        treated_mrr=counts["treated_mrr"] or 0,
    )


@dataclass(frozen=True)
class CampaignFigures:
    campaign: Campaign
    triggered: int  # entrants, both groups
    treated: int
    holdout: int
    emailed: int  # treated entrants sent at least one step
    emails: int
    opened: int  # entrants who opened (or clicked) a step
    clicked: int
    pending: int  # entrants whose window has not passed yet
    effect: Effect
    entered_today: int

    @property
    def engaged_rate(self) -> float | None:
        return self.opened / self.emailed if self.emailed else None


def campaign_figures(campaign: Campaign, *, since: date | None = None) -> CampaignFigures:
    """A campaign's numbers over all its entrants (or those since a day)."""
    entries = CampaignEnrollment.objects.filter(campaign=campaign)
    if since is not None:
        entries = entries.filter(day__gte=since)
    counts = entries.aggregate(
        triggered=Count("pk"),
        treated=Count("pk", filter=Q(group=Group.TREATED)),
        holdout=Count("pk", filter=Q(group=Group.HOLDOUT)),
        pending=Count("pk", filter=Q(retained__isnull=True)),
        today=Count("pk", filter=Q(day=clock.now().date())),
    )
    sends = list(
        CampaignSend.objects.filter(enrollment__in=entries).values_list("enrollment_id", "email_id")
    )
    outcomes = email_outcomes_by_id(email_ids=[e for _, e in sends if e is not None])
    opened = {entry for entry, email in sends if email in outcomes and outcomes[email].opened}
    clicked = {entry for entry, email in sends if email in outcomes and outcomes[email].clicked}
    return CampaignFigures(
        campaign=campaign,
        triggered=counts["triggered"],
        treated=counts["treated"],
        holdout=counts["holdout"],
        emailed=len({entry for entry, _ in sends}),
        emails=len(sends),
        opened=len(opened),
        clicked=len(clicked),
        pending=counts["pending"],
        effect=_effect(entries),
        entered_today=counts["today"],
    )


def campaign_entrants(campaign: Campaign, *, limit: int = 100) -> list[CampaignEnrollment]:
    return list(
        CampaignEnrollment.objects.filter(campaign=campaign)
        .select_related("person")
        .order_by("-day", "-pk")[:limit]
    )


def campaign_sends_today(*, now: datetime | None = None) -> int:
    now = now or clock.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return CampaignSend.objects.filter(sent_at__gte=start, sent_at__lte=now).count()


@dataclass(frozen=True)
class TimelineStep:
    campaign: Campaign
    entry: CampaignEnrollment
    state: str  # "sent", "opened", "clicked", "scheduled", "held out", "skipped"
    template: str
    at: datetime


def interventions_for_person(*, person_id: int) -> list[TimelineStep]:
    """A person's campaign history: each step sent (and opened or clicked), each step still
    scheduled, and the campaigns that held them out; newest first."""
    entries = list(
        CampaignEnrollment.objects.filter(person_id=person_id)
        .select_related("campaign")
        .prefetch_related("sends")
        .order_by("-day", "-pk")[:50]
    )
    sends = [s for e in entries for s in e.sends.all()]
    outcomes = email_outcomes_by_id(email_ids=[s.email_id for s in sends if s.email_id])
    steps: list[TimelineStep] = []
    for entry in entries:
        campaign = entry.campaign
        if entry.group == Group.HOLDOUT:
            # A day: shown as its start (UTC), like the sends' times.
            held_at = datetime.combine(entry.day, time.min, tzinfo=UTC)
            steps.append(TimelineStep(campaign, entry, "held out", "", held_at))
            continue
        for send in entry.sends.all():
            outcome = outcomes.get(send.email_id or 0)
            state = "sent"
            if outcome is not None and outcome.clicked:
                state = "clicked"
            elif outcome is not None and outcome.opened:
                state = "opened"
            steps.append(TimelineStep(campaign, entry, state, send.template, send.sent_at))
        if entry.next_step_at is not None and entry.steps_sent < len(campaign.steps):
            template = str(campaign.steps[entry.steps_sent]["template"])
            steps.append(TimelineStep(campaign, entry, "scheduled", template, entry.next_step_at))
    return sorted(steps, key=lambda s: s.at, reverse=True)


@dataclass(frozen=True)
class Recommendation:
    campaign: Campaign
    effect: Effect  # among the comparable customers
    comparable: int  # measured comparable entrants of this campaign


def recommendation_for(prediction: ChurnPrediction) -> Recommendation | None:
    """The campaign that kept the most comparable customers (same risk band on entry, MRR within
    half to twice) against its own holdout, when some campaign has a measurable positive lift
    among them; None when there is no evidence yet (never a guess)."""
    low = int(prediction.mrr / COMPARABLE_MRR_FACTOR)
    high = int(prediction.mrr * COMPARABLE_MRR_FACTOR)
    comparable = CampaignEnrollment.objects.filter(
        band=prediction.band, mrr__gte=low, mrr__lte=high, retained__isnull=False
    )
    best: Recommendation | None = None
    for campaign in Campaign.objects.filter(
        pk__in=comparable.values("campaign_id").distinct()
    ).order_by("pk"):
        effect = _effect(comparable.filter(campaign=campaign))
        if not effect.is_measurable or effect.lift is None or effect.lift <= 0:
            continue
        if best is None or effect.lift > (best.effect.lift or 0):
            best = Recommendation(campaign, effect, effect.treated + effect.holdout)
    return best


def recommendation_needs() -> str:
    return (
        f"at least {MIN_PER_GROUP} measured treated and {MIN_PER_GROUP} held-out comparable "
        "customers in a campaign"
    )
