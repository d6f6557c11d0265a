"""The daily run of the retention campaigns: it takes in new entrants (treated or held out at
random), sends the steps that are due and measures the entrants whose window has passed. It is
idempotent: an entrant is unique per campaign, person and day, a step is sent once per entrant
(a unique key), and a measurement is kept."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from opsroom.core import clock
from opsroom.core.errors import DomainError, NotFound
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.messaging.selectors import template_get
from opsroom.messaging.services import email_send, template_render
from opsroom.people.models import Person
from opsroom.revenue.campaigns.rules import (
    Candidate,
    is_holdout,
    trigger_matches,
)
from opsroom.revenue.churn.dataset import churned_within
from opsroom.revenue.models import (
    Campaign,
    CampaignEnrollment,
    CampaignSend,
    ChurnPrediction,
    Subscription,
)
from opsroom.revenue.selectors import LIVE_STATUSES
from opsroom.revenue.services import subscription_complimentary_request

Group = CampaignEnrollment.Group
BUSY_DAYS = 30  # after entering a campaign, no other campaign takes a person in for this long


@dataclass
class CampaignRun:
    entered: dict[str, int] = field(default_factory=dict)
    held_out: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    deferred: int = 0  # due but held back by quiet hours or the frequency cap
    measured: int = 0


def _candidates() -> list[Candidate]:
    plans = dict(
        Subscription.objects.filter(status__in=LIVE_STATUSES)
        .order_by("person_id", "-started_at")
        .values_list("person_id", "plan__code")
    )
    rows = ChurnPrediction.objects.order_by("-probability", "person_id").values_list(
        "person_id", "probability", "band", "mrr", "signals"
    )
    return [
        Candidate(pid, prob, band, mrr, plans.get(pid) or "", signals or {})
        for pid, prob, band, mrr, signals in rows.iterator(chunk_size=5000)
    ]


def _busy(today: date) -> dict[int, set[int]]:
    """People another campaign took in lately (treated or held out) or is still writing to: one
    campaign at a time, so that no holdout is treated by another campaign meanwhile."""
    busy: dict[int, set[int]] = {}
    rows = CampaignEnrollment.objects.filter(
        Q(next_step_at__isnull=False) | Q(day__gt=today - timedelta(days=BUSY_DAYS))
    ).values_list("person_id", "campaign_id")
    for person_id, campaign_id in rows.iterator(chunk_size=10000):
        busy.setdefault(person_id, set()).add(campaign_id)
    return busy


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _enter(
    campaign: Campaign, candidates: Iterable[Candidate], today: date, busy: dict[int, set[int]]
) -> int:
    """Take in today's entrants of one campaign; returns how many (treated and held out)."""
    recent = set(
        CampaignEnrollment.objects.filter(
            campaign=campaign, day__gt=today - timedelta(days=campaign.reentry_days)
        ).values_list("person_id", flat=True)
    )
    taken_today = CampaignEnrollment.objects.filter(campaign=campaign, day=today).count()
    room = max(campaign.daily_limit - taken_today, 0)
    rows: list[CampaignEnrollment] = []
    first_day = campaign.steps[0]["day"] if campaign.steps else 0
    for candidate in candidates:
        if len(rows) >= room:
            break
        if candidate.person_id in recent or busy.get(candidate.person_id, set()) - {campaign.pk}:
            continue
        if not trigger_matches(campaign.trigger, candidate):
            continue
        holdout = is_holdout(
            campaign_key=campaign.key,
            person_id=candidate.person_id,
            day=today.isoformat(),
            percent=campaign.holdout_percent,
        )
        rows.append(
            CampaignEnrollment(
                campaign=campaign,
                person_id=candidate.person_id,
                day=today,
                group=Group.HOLDOUT if holdout else Group.TREATED,
                probability=candidate.probability,
                band=candidate.band,
                mrr=candidate.mrr,
                plan_code=candidate.plan_code,
                next_step_at=None if holdout else _start(today) + timedelta(days=first_day),
            )
        )
        busy.setdefault(candidate.person_id, set()).add(campaign.pk)
    CampaignEnrollment.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _quiet(now: datetime) -> bool:
    start, end = settings.OPSROOM_CAMPAIGN_QUIET_HOURS
    hour = now.astimezone(UTC).hour
    return (start <= hour or hour < end) if start > end else start <= hour < end


def _recently_emailed(person_ids: list[int], now: datetime) -> set[int]:
    since = now - timedelta(hours=settings.OPSROOM_CAMPAIGN_CAP_HOURS)
    rows = (
        CampaignSend.objects.filter(enrollment__person_id__in=person_ids)
        .values("enrollment__person_id")
        .annotate(last=Max("sent_at"))
        .filter(last__gt=since)
    )
    return {row["enrollment__person_id"] for row in rows}


def _send_step(entry: CampaignEnrollment, now: datetime) -> bool:
    campaign = entry.campaign
    index = entry.steps_sent
    step = campaign.steps[index]
    key = f"{entry.pk}:{index}"
    template = template_get(key=step["template"])
    audit = AuditContext.system(f"campaign {campaign.key}")
    sent = False
    if template is not None and not CampaignSend.objects.filter(key=key).exists():
        person = Person.objects.get(pk=entry.person_id)
        extra = {"campaign": campaign.name, "offer": campaign.get_offer_display()}
        try:
            with transaction.atomic():
                message = email_send(
                    person=person,
                    subject=template_render(template.subject, person=person, extra=extra),
                    body_text=template_render(template.body_text, person=person, extra=extra),
                    audit=audit,
                    template=template,
                )
                CampaignSend.objects.create(
                    enrollment=entry,
                    key=key,
                    step=index,
                    template=step["template"],
                    email_id=message.pk,
                    sent_at=now,
                )
            sent = True
        except (DomainError, IntegrityError):
            pass  # no address, an account that gets no email, or a concurrent run sent it
    if index == 0 and campaign.offer == Campaign.Offer.FREE_MONTH and not entry.offer_applied:
        try:
            subscription_complimentary_request(
                person=Person.objects.get(pk=entry.person_id),
                plan=None,
                months=1,
                audit=audit,
                reason=f"campaign {campaign.key}",
            )
            entry.offer_applied = True
        except DomainError:
            pass  # no subscription that a free month can apply to
    entry.steps_sent = index + 1
    following = campaign.steps[index + 1]["day"] if index + 1 < len(campaign.steps) else None
    entry.next_step_at = (
        None if following is None else _start(entry.day) + timedelta(days=following)
    )
    entry.save(update_fields=["steps_sent", "next_step_at", "offer_applied"])
    return sent


def _send_due(now: datetime, run: CampaignRun) -> None:
    due = list(
        CampaignEnrollment.objects.filter(group=Group.TREATED, next_step_at__lte=now)
        .select_related("campaign")
        .order_by("next_step_at", "pk")
    )
    if not due:
        return
    if _quiet(now):
        run.deferred += len(due)
        return
    stopped = churned_within(
        person_ids=[e.person_id for e in due],
        start=min(e.day for e in due),
        days=(now.date() - min(e.day for e in due)).days + 1,
    )
    capped = _recently_emailed([e.person_id for e in due], now)
    for entry in due:
        if entry.person_id in stopped:
            entry.next_step_at = None  # they left: the rest of the sequence is not sent
            entry.save(update_fields=["next_step_at"])
            continue
        if entry.person_id in capped or not entry.campaign.is_active:
            run.deferred += 1
            continue
        if entry.steps_sent >= len(entry.campaign.steps):
            entry.next_step_at = None
            entry.save(update_fields=["next_step_at"])
            continue
        if _send_step(entry, now):
            run.sent += 1
            capped.add(entry.person_id)


def _measure(today: date) -> int:
    measured = 0
    open_entries = CampaignEnrollment.objects.filter(retained__isnull=True).select_related(
        "campaign"
    )
    by_window: dict[tuple[date, int], list[CampaignEnrollment]] = {}
    for entry in open_entries:
        days = entry.campaign.measure_days
        if entry.day + timedelta(days=days) <= today:
            by_window.setdefault((entry.day, days), []).append(entry)
    for (day, days), entries in by_window.items():
        churned = churned_within(person_ids=[e.person_id for e in entries], start=day, days=days)
        for entry in entries:
            entry.retained = entry.person_id not in churned
            entry.measured_on = today
        CampaignEnrollment.objects.bulk_update(entries, ["retained", "measured_on"])
        measured += len(entries)
    return measured


def campaigns_run(*, now: datetime | None = None, only: str | None = None) -> CampaignRun:
    """The daily run: measure, take in today's entrants, send what is due. Safe to repeat."""
    now = now or clock.now()
    today = now.date()
    run = CampaignRun()
    run.measured = _measure(today)
    campaigns = Campaign.objects.filter(is_active=True).order_by("pk")
    if only is not None:
        campaigns = campaigns.filter(key=only)
        if not campaigns.exists():
            raise NotFound(f"No active campaign {only!r}.")
    campaigns_list = list(campaigns)
    if campaigns_list:
        candidates = _candidates()
        busy = _busy(today)
        for campaign in campaigns_list:
            with transaction.atomic():
                entered = _enter(campaign, candidates, today, busy)
            held = CampaignEnrollment.objects.filter(
                campaign=campaign, day=today, group=Group.HOLDOUT
            ).count()
            run.entered[campaign.key] = entered
            run.held_out[campaign.key] = held
    _send_due(now, run)
    return run


def campaigns_run_requested(*, audit: AuditContext, only: str | None = None) -> CampaignRun:
    """The daily run started by a staff member or an API key (audited)."""
    run = campaigns_run(only=only)
    audit_record(
        audit,
        action="revenue.campaigns_run",
        target_type="revenue.campaign",
        target_id=only or "",
        params={"entered": run.entered, "sent": run.sent, "measured": run.measured},
    )
    return run
