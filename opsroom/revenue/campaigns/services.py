"""Writes of the retention campaigns: saving one (checked), and the daily run that takes in
new entrants (treated or held out at random), sends the steps that are due and measures the
entrants whose window has passed. The run is idempotent: an entrant is unique per campaign,
person and day, a step is sent once per entrant (a unique key), and a measurement is kept."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from opsroom.core import clock
from opsroom.core.errors import Conflict, DomainError, InvalidInput, NotFound
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.messaging.selectors import template_get, template_list
from opsroom.messaging.services import email_send, template_render
from opsroom.people.models import Person
from opsroom.revenue.campaigns.rules import (
    Candidate,
    is_holdout,
    steps_clean,
    trigger_clean,
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
EDITABLE = (
    "name",
    "kind",
    "description",
    "trigger",
    "steps",
    "offer",
    "holdout_percent",
    "reentry_days",
    "measure_days",
    "daily_limit",
    "is_active",
)


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"The {name} must be a whole number from {low} to {high}.")
    return int(value)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "name" in clean:
        clean["name"] = str(clean["name"]).strip()
        if not clean["name"] or len(clean["name"]) > 200:
            raise InvalidInput("A campaign needs a name of 1 to 200 characters.")
    if "kind" in clean and clean["kind"] not in Campaign.Kind.values:
        raise InvalidInput(f"Unknown kind {clean['kind']!r}: one of {', '.join(Campaign.Kind)}.")
    if "offer" in clean and clean["offer"] not in Campaign.Offer.values:
        raise InvalidInput("The offer is either empty or free_month.")
    if "trigger" in clean:
        clean["trigger"] = trigger_clean(clean["trigger"])
    if "steps" in clean:
        templates = {t.key for t in template_list()}
        clean["steps"] = steps_clean(clean["steps"], templates=templates)
    if "holdout_percent" in clean:
        # A holdout of 0 would leave nothing to measure against, and over half wastes the reach.
        clean["holdout_percent"] = _int(clean["holdout_percent"], "holdout percent", 1, 50)
    for name, high in (("reentry_days", 3650), ("measure_days", 365), ("daily_limit", 100_000)):
        if name in clean:
            clean[name] = _int(clean[name], name.replace("_", " "), 1, high)
    if "is_active" in clean and not isinstance(clean["is_active"], bool):
        raise InvalidInput("is_active must be true or false.")
    if "description" in clean:
        clean["description"] = str(clean["description"])[:4000]
    return clean


@transaction.atomic
def campaign_create(*, key: str, values: dict[str, Any], audit: AuditContext) -> Campaign:
    """A new campaign (inactive unless `is_active` is given)."""
    key = key.strip()
    if not key or len(key) > 60 or not key.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("The key must be 1 to 60 letters, digits, - or _.")
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.")
    if "name" not in values or "steps" not in values:
        raise InvalidInput("A campaign needs at least a name and steps.")
    if Campaign.objects.filter(key=key).exists():
        raise Conflict(f"A campaign {key!r} exists already.")
    campaign = Campaign.objects.create(key=key, created_by=audit.actor, **_clean(values))
    audit_record(audit, action="revenue.campaign_create", target=campaign, params={"key": key})
    return campaign


@transaction.atomic
def campaign_update(*, key: str, changes: dict[str, Any], audit: AuditContext) -> Campaign:
    """Change a campaign; entrants already taken in keep their group and their sends."""
    campaign = Campaign.objects.select_for_update().filter(key=key).first()
    if campaign is None:
        raise NotFound(f"No campaign {key!r}.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.")
    clean = _clean(changes)
    before = {name: getattr(campaign, name) for name in clean}
    for name, value in clean.items():
        setattr(campaign, name, value)
    campaign.updated_at = clock.now()
    campaign.save()
    audit_record(
        audit,
        action="revenue.campaign_update",
        target=campaign,
        params={
            "key": key,
            "changed": {n: [before[n], v] for n, v in clean.items() if before[n] != v},
        },
    )
    return campaign


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


# The design brief's campaigns, created paused (an operator reviews and starts them). Payment
# recovery is not among them: the payment recovery schedule (revenue/recovery) runs dunning.
DEFAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "win-back-high-risk",
        {
            "name": "Win-back: high risk",
            "kind": "win_back",
            "description": "A personal check-in for customers the prediction puts at high risk.",
            "trigger": {"bands": ["high"]},
            "steps": [{"template": "retention_checkin", "day": 0}],
        },
    ),
    (
        "adoption-nudge",
        {
            "name": "Feature adoption: medium risk",
            "kind": "adoption",
            "description": "Show medium-risk customers the feature retained customers use.",
            "trigger": {"bands": ["medium"]},
            "steps": [
                {"template": "retention_templates_nudge", "day": 0},
                {"template": "retention_checkin", "day": 5},
            ],
        },
    ),
    (
        "annual-upsell",
        {
            "name": "Upsell to annual: power users",
            "kind": "upsell",
            "description": "Monthly customers at low risk who have paid for six months or more.",
            "trigger": {
                "bands": ["low"],
                "signals": {"is_annual": {"max": 0}, "paid_days": {"min": 180}},
            },
            "steps": [{"template": "annual_upsell", "day": 0}],
            "holdout_percent": 20,
        },
    ),
)


def campaign_defaults_ensure(*, audit: AuditContext) -> list[str]:
    """Create the brief's campaigns (paused) whose email templates exist; return their keys."""
    templates = {t.key for t in template_list()}
    created = []
    for key, values in DEFAULTS:
        needed = {step["template"] for step in values["steps"]}
        if Campaign.objects.filter(key=key).exists() or not needed <= templates:
            continue
        campaign_create(key=key, values=dict(values), audit=audit)
        created.append(key)
    return created
