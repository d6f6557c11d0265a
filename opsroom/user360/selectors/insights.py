"""Insights about one person: each states its numbers, its evidence and what to do.

Read from derived tables (daily activity, health inputs, the hourly error-spread table, the
daily feature-lift table) and indexed per-person rows; nothing here scans raw events.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from statistics import median
from typing import Any

from django.template.defaultfilters import pluralize

from opsroom.analytics.selectors import (
    early_activity_band_for_person,
    error_spreads_for_fingerprints,
    feature_lifts_for_segments,
)
from opsroom.core.labels import name_label as event_label
from opsroom.core.money import money_format
from opsroom.people.models import ActivityDaily
from opsroom.people.selectors.activity import PersonActivity
from opsroom.people.snapshot import ErrorGroupFacts, PersonSnapshot
from opsroom.user360.health import HealthInputs, engagement_inputs
from opsroom.user360.labels import band_label, plan_label
from opsroom.user360.timeline import duration_text

SEVERITY_ORDER = {"critical": 0, "warning": 1, "opportunity": 2, "info": 3}
REPEATED_ERRORS = 3
BUG_SPREAD_SHOWN = 2  # the widest-spread bugs a person hit; the debug panel lists them all
BUG_SPREAD_DAYS = 14  # bugs they hit this recently
ENGAGEMENT_DROP = 0.30
MIN_BASELINE_EVENTS = 5
LIFT_MIN, LIFT_P_VALUE, LIFT_MIN_GROUP = 1.2, 0.05, 20


@dataclass(frozen=True)
class Insight:
    key: str
    severity: str  # critical, warning, opportunity, info
    title: str
    evidence: list[str]
    action: str
    action_kind: str = ""  # the quick action that carries it out: email, ticket, debug, ""
    numbers: dict[str, Any] = field(default_factory=dict)
    # Words a fitting email template's key or name may contain, the most specific first: the
    # page offers the template the first word finds, else the draft below.
    template_hint: tuple[str, ...] = ()
    draft_subject: str = ""
    draft_body: str = ""


def _first_name(snapshot: PersonSnapshot) -> str:
    name = snapshot.person.name.split()
    return name[0] if name else "there"


def _inactivity(activity: PersonActivity, snapshot: PersonSnapshot) -> Insight | None:
    logins = activity.days(names=activity.login_events)
    days, verb = (logins, "logged in") if len(logins) >= 5 else (activity.days(), "been active")
    if len(days) < 5:
        return None
    gaps = [(later - earlier).days for earlier, later in pairwise(days)]
    typical, longest = median(gaps), max(gaps)
    since_last = (activity.today - days[-1]).days
    if since_last < 3 or since_last <= longest or since_last < 2 * typical:
        return None
    return Insight(
        key="inactivity",
        severity="warning",
        title=f"Hasn't {verb} for {since_last} day{pluralize(since_last)} "
        "(unusual for this person)",
        evidence=[
            f"Usually every {typical:g} day{'s' if typical != 1 else ''} "
            f"(median gap over {len(days)} active days in 180 days)",
            f"Longest gap before this: {longest} day{pluralize(longest)}",
            f"Last {'login' if verb == 'logged in' else 'activity'}: {days[-1]:%Y-%m-%d}",
        ],
        action="Send a 'We miss you' email with a tip for what they used most.",
        action_kind="email",
        template_hint=("miss you", "miss_you", "we miss", "come back", "comeback"),
        draft_subject="We miss you",
        draft_body=f"Hi {_first_name(snapshot)},\n\nWe have not seen you in a while. Is there "
        "anything we could do better? Reply to this email: a person reads every answer.\n\n",
        numbers={
            "days_inactive": since_last,
            "median_gap_days": typical,
            "longest_gap_days": longest,
        },
    )


def _engagement(inputs: HealthInputs, inactive: bool) -> Insight | None:
    baseline = inputs.events_prev_21d / 3
    if baseline < MIN_BASELINE_EVENTS or (inactive and inputs.events_7d == 0):
        return None
    change = inputs.events_7d / baseline - 1
    if change > -ENGAGEMENT_DROP:
        return None
    return Insight(
        key="engagement_drop",
        severity="warning",
        title=f"Engagement down {round(-change * 100)}% this week",
        evidence=[
            f"{inputs.events_7d} events in the last 7 days vs {baseline:.0f}/week "
            "in the 3 weeks before",
            f"Active on {inputs.active_days_14d} of the last 14 days "
            f"(vs {inputs.active_days_prev_42d / 3:.1f} per 14 days before)",
        ],
        action="Look for what changed (errors, tickets, a release) before reaching out.",
        action_kind="debug",
        numbers={"events_7d": inputs.events_7d, "baseline_per_week": round(baseline, 1)},
    )


def _repeated_errors(snapshot: PersonSnapshot) -> list[Insight]:
    by_endpoint: dict[str, list[ErrorGroupFacts]] = {}
    for group in snapshot.errors.groups_7d:
        by_endpoint.setdefault(group.endpoint or "(no endpoint)", []).append(group)
    insights = []
    for endpoint, groups in by_endpoint.items():
        total = sum(group.count for group in groups)
        if total < REPEATED_ERRORS:
            continue
        last = max(group.last_at for group in groups)
        insights.append(
            Insight(
                key="repeated_errors",
                severity="critical" if total >= 10 else "warning",
                title=f"{total} errors in the last 7 days on {endpoint}",
                evidence=[f"{group.count} x {group.title}" for group in groups[:3]]
                + [f"Last one {duration_text(snapshot.at - last)} ago"],
                action="Open the debug panel: their API calls of the last 24 h show what failed.",
                action_kind="debug",
                numbers={"errors": total, "endpoint": endpoint},
            )
        )
    return insights


def _bug_spread(snapshot: PersonSnapshot) -> list[Insight]:
    now = snapshot.at
    since = now - timedelta(days=BUG_SPREAD_DAYS)
    fingerprints = {g.fingerprint for g in snapshot.errors.groups_30d if g.last_at >= since}
    insights = []
    for spread in error_spreads_for_fingerprints(fingerprints=fingerprints, limit=BUG_SPREAD_SHOWN):
        others = spread.people - 1
        if others < 1:
            continue
        evidence = [
            f"{spread.occurrences} occurrences for {spread.people} people in "
            f"{spread.window_days} day{pluralize(spread.window_days)}; "
            f"last {duration_text(now - spread.last_seen_at)} ago",
            "By release: "
            + ", ".join(
                f"{r['release'] or '?'} ({r['occurrences']})" for r in spread.releases[-3:]
            ),
        ]
        users = f"{others} other user{pluralize(others)}"
        if spread.fixed_in_release:
            first = spread.fixed_release_first_seen_at
            evidence.append(
                f"No occurrence since release {spread.fixed_in_release} went out "
                f"{duration_text(now - first) if first else ''} ago "
                f"({spread.fixed_release_requests:,} API calls on it)"
            )
            severity, action = "info", "Tell them it is fixed in the latest release."
            title = f"Bug affecting {users}: fixed in {spread.fixed_in_release}"
        else:
            evidence.append(f"Still occurring in release {spread.last_release or '?'}")
            severity, action = "warning", "Escalate to engineering with this fingerprint."
            title = f"Bug affecting {users}, still occurring"
        fixed = spread.fixed_in_release
        insights.append(
            Insight(
                key="bug_spread",
                severity=severity,
                title=title,
                # The error's own title in full: cutting it would cut the words that name it.
                evidence=[f"Error: {spread.title}", *evidence],
                action=action,
                action_kind="email" if fixed else "ticket",
                template_hint=("fixed", "bug fix") if fixed else (),
                draft_subject="The problem you ran into is fixed" if fixed else "",
                draft_body=f"Hi {_first_name(snapshot)},\n\nThe error you ran into recently is "
                f"fixed in release {fixed}. Update the app to get the fix, and reply to this email "
                "if you still see it. Sorry for the trouble.\n\n"
                if fixed
                else "",
                numbers={
                    "other_people": others,
                    "occurrences": spread.occurrences,
                    "fingerprint": spread.fingerprint,
                    "fixed_in_release": spread.fixed_in_release,
                },
            )
        )
    return insights


def _payment_failed(snapshot: PersonSnapshot) -> Insight | None:
    last = snapshot.billing.last_payment
    if last is None or last.status != "failed":
        return None
    failures = snapshot.billing.payments_failed_30d
    reason = last.decline_code or "declined"
    evidence = [
        f"Attempt {last.attempt_number}: {reason}"
        + (f" ({last.failure_message})" if last.failure_message else ""),
        f"{failures} failed attempt{'s' if failures != 1 else ''} in 30 days",
    ]
    if last.card_last4:
        evidence.append(f"Card {last.card_brand.title()} •••• {last.card_last4}")
    if last.next_retry_at:
        evidence.append(f"Next retry {last.next_retry_at:%Y-%m-%d}")
    amount = money_format(last.amount, last.currency)
    return Insight(
        key="payment_failed",
        severity="critical",
        title=f"Payment of {amount} failed {duration_text(snapshot.at - last.attempted_at)} ago "
        f"({reason})",
        evidence=evidence,
        action="Send the card-update email and check the customer in Stripe.",
        action_kind="email",
        template_hint=("update card", "update_card", "card update", "payment failed", "dunning"),
        draft_subject="Please update your card",
        draft_body=f"Hi {_first_name(snapshot)},\n\nYour payment of {amount} did not go "
        f"through ({reason}). Please update your card so your plan keeps running.\n\n",
        numbers={"amount": last.amount, "currency": last.currency, "failures_30d": failures},
    )


def _in_days(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def _renewal(snapshot: PersonSnapshot, inputs: HealthInputs) -> Insight | None:
    billing, health = snapshot.billing, snapshot.health
    due = billing.next_charge_at
    if due is None or billing.status == "trialing":
        return None
    window = 30 if billing.interval == "year" else 7
    days = (due - snapshot.at).days
    low = health.band != "healthy" or inputs.active_days_14d <= 2
    if not 0 <= days <= window or not low:
        return None
    amount = money_format(billing.next_charge_amount, billing.currency)
    return Insight(
        key="renewal_low_engagement",
        severity="warning",
        title=f"Renews {_in_days(days)} ({amount}) with low engagement",
        evidence=[
            f"Active on {inputs.active_days_14d} of the last 14 days",
            f"Health {health.score}/100 ({band_label(health.band)})",
            f"Next charge {due:%Y-%m-%d} on {plan_label(billing)}",
        ],
        action="Reach out before the charge with a tip; offer a pause or a smaller plan if asked.",
        action_kind="email",
        template_hint=("renewal", "check-in", "check_in"),
        draft_subject="Getting the most out of your plan",
        draft_body=f"Hi {_first_name(snapshot)},\n\nYour {plan_label(billing)} plan renews on "
        f"{due:%B} {due.day}. If anything gets in the way of using it, reply to this email and "
        "we will help. If now is not a good time, we can also pause your plan or move you to a "
        "smaller one.\n\n",
        numbers={"days_to_renewal": days, "active_days_14d": inputs.active_days_14d},
    )


def _cancellation(snapshot: PersonSnapshot) -> Insight | None:
    billing = snapshot.billing
    if not billing.is_live or not billing.cancel_at_period_end:
        return None
    ends = billing.ends_at
    mrr = money_format(billing.mrr, billing.currency)
    return Insight(
        key="cancellation_scheduled",
        severity="warning",
        title=f"Cancellation scheduled: {mrr} MRR ends {ends:%Y-%m-%d}"
        if ends
        else f"Cancellation scheduled: {mrr} MRR at stake",
        evidence=[
            f"Plan {plan_label(billing)}",
            f"Health {snapshot.health.score}/100",
        ],
        action="Ask why before it ends; a pause or downgrade may keep them.",
        action_kind="email",
        template_hint=("cancel", "pause", "feedback"),
        draft_subject="Before your plan ends",
        draft_body=f"Hi {_first_name(snapshot)},\n\nWe saw that your {plan_label(billing)} plan "
        + (f"ends on {ends:%B} {ends.day}" if ends else "is set to end")
        + ". Could you tell us why? If it is the price or the timing, we can pause your plan or "
        "move you to a smaller one instead.\n\n",
        numbers={"mrr": billing.mrr, "currency": billing.currency},
    )


def _similar_users(snapshot: PersonSnapshot) -> Insight | None:
    person, signed_up = snapshot.person, snapshot.person.signed_up_at
    band = (
        early_activity_band_for_person(person_id=person.id, signed_up_on=signed_up.date())
        if signed_up
        else ""
    )
    if not band:
        return None
    tier = snapshot.billing.tier or "free"
    used = set(
        ActivityDaily.objects.filter(person_id=person.id).values_list("name", flat=True).distinct()
    )
    candidates = feature_lifts_for_segments(
        segments=[f"{tier}|{band}", f"all|{band}"],
        min_lift=LIFT_MIN,
        max_p_value=LIFT_P_VALUE,
        min_group=LIFT_MIN_GROUP,
        excluding=used,
    )
    # Their own plan tier first; everyone together only when the tier has no evidence.
    ranked = sorted(candidates, key=lambda row: (row.segment.startswith("all|"), -row.lift))
    best = ranked[0] if ranked else None
    if best is None:
        return None
    rate_in = best.adopters_retained / best.adopters
    rate_out = best.others_retained / best.others
    segment_tier = best.segment.split("|")[0]
    who = f"{segment_tier} users" if segment_tier != "all" else "users"
    feature = event_label(best.feature)
    return Insight(
        key="similar_users_feature",
        severity="opportunity",
        title=f"Similar users engaged after '{feature}' "
        f"({best.lift:.1f}x as likely to stay active)",
        evidence=[
            f"Among {best.adopters + best.others} {who} about as active in their first month "
            f"({band} active days): {rate_in:.0%} of the {best.adopters} who used it then were "
            f"active 2 months later, vs {rate_out:.0%} of the {best.others} who did not",
            f"Two-proportion test p = {best.p_value:.3f}; this person has not used it",
        ],
        action=f"Point them to '{feature}', e.g. in a tip email.",
        action_kind="email",
        # A tip about this feature: a template only when one names the feature itself.
        template_hint=(best.feature,),
        draft_subject=f"A tip: {feature.lower()}",
        draft_body=f"Hi {_first_name(snapshot)},\n\nFamilies like yours who tried "
        f"'{feature.lower()}' early on got more out of the app and kept coming back. "
        "Give it a try next time you open it.\n\n",
        numbers={
            "feature": best.feature,
            "lift": round(best.lift, 2),
            "adopters": best.adopters,
            "others": best.others,
            "segment": best.segment,
        },
    )


def insights_for_person(*, snapshot: PersonSnapshot) -> list[Insight]:
    """Every insight that holds for a person now, most urgent first."""
    activity = snapshot.activity
    inputs = engagement_inputs(activity.daily, list(activity.core_features))
    found: list[Insight] = []
    inactivity = _inactivity(activity.daily, snapshot)
    for insight in (
        _payment_failed(snapshot),
        inactivity,
        _engagement(inputs, inactive=inactivity is not None),
        _cancellation(snapshot),
        _renewal(snapshot, inputs),
        _similar_users(snapshot),
    ):
        if insight is not None:
            found.append(insight)
    found += _repeated_errors(snapshot) + _bug_spread(snapshot)
    found.sort(key=lambda insight: SEVERITY_ORDER[insight.severity])
    return found
