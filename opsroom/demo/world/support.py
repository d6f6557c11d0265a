"""Support tickets: what makes a family write, how the team answers, how it ends.

A ticket is written once, with its whole conversation up to the end of the simulation;
what the agent does (a refund, a cancellation, a save offer) is put on the person's agenda.
"""

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from opsroom.demo.world import ticket_phrasings, ticket_text
from opsroom.demo.world.records import TicketTruth
from opsroom.demo.world.releases import ErrorDef
from opsroom.demo.world.state import PersonSim, SubState, sigmoid

if TYPE_CHECKING:
    from opsroom.demo.world.context import Agent, World

CATEGORY = {
    "failed_payment": "billing",
    "double_charge": "billing",
    "unexpected_renewal": "billing",
    "price_question": "billing",
}
PRIORITY = {
    "failed_payment": "high",
    "double_charge": "high",
    "unexpected_renewal": "normal",
    "price_question": "low",
    "bug": "normal",
    "how_to": "normal",
    "feature_request": "low",
    "account_access": "high",
    "cancellation": "normal",
    "invoice_request": "low",
    "email_preferences": "low",
    "other": "low",
}
_BUMP = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}
_FIRST_REPLY_HOURS = {"urgent": 0.6, "high": 2.5, "normal": 6.0, "low": 14.0}
FEATURES = {  # what the customer calls the broken thing, as a noun, a verb and a gerund
    "food-attempt-allergy-none": ("the food log", "log what {kid} ate", "logging {kid}'s food"),
    "llm-timeout": ("the recipe generator", "generate a recipe", "generating a recipe"),
    "pdf-font-missing": ("PDF export", "export the plan", "exporting the weekly plan"),
    "db-pool-exhausted": ("the whole app", "open the app", "opening the app"),
    "grocery-duplicate-item": ("the grocery list", "make a grocery list", "making the list"),
    "recipe-nutrition-missing": ("some recipes", "open a recipe", "opening some recipes"),
    "meal-plan-servings": ("meal plans", "create a meal plan", "creating a meal plan"),
}  # fmt: skip
DECLINE_HUMAN = {
    "insufficient_funds": "insufficient funds",
    "expired_card": "card expired",
    "incorrect_cvc": "wrong security code",
    "authentication_required": "needs 3D Secure",
    "do_not_honor": "do not honor",
    "lost_card": "card reported lost",
    "stolen_card": "card reported stolen",
    "fraudulent": "suspected fraud",
    "processing_error": "processing error",
}
_PLATFORM_HUMAN = {"ios": "iPhone", "android": "Android", "web": "the website"}
# Topics where the customer cannot do what they came to do until support helps.
BLOCKING_TOPICS = frozenset({"bug", "account_access"})


def facts_for(world: "World", person: PersonSim, at: datetime) -> dict[str, str]:
    """What a customer might mention: their plan, card, kids, app version."""
    rng = world.rng
    kid = rng.choice(person.kids)
    facts = {
        "first": person.first_name,
        "name": person.name,
        "email": person.email,
        "kid": str(kid["name"]),
        "kids_count": str(len(person.kids)),
        "household": str(len(person.kids) + 2),
        "platform_human": _PLATFORM_HUMAN[person.platform],
        "app_version": world.releases.app_version_at(at, lag=person.app_lag),
        "recipe": rng.choice(("Lentil bolognese", "Coconut dal", "Banana oat pancakes")),
    }
    if person.sub is not None:
        facts["plan"] = person.sub.plan.name
        if person.sub.plan.amount:
            facts["amount"] = f"${person.sub.plan.amount / 100:.2f}"
    if person.card is not None:
        facts["last4"] = person.card.last4
    if person.invoice_seq:
        facts["invoice_number"] = f"{person.customer_prefix}-{person.invoice_seq:04d}"
    idea, short = rng.choice(ticket_text.IDEAS)
    facts.update(idea=idea, idea_short=short)
    return facts


def _quiet(person: PersonSim, at: datetime) -> bool:
    return person.ticket_quiet_until is not None and at < person.ticket_quiet_until


def after_error(
    world: "World", person: PersonSim, error: ErrorDef, at: datetime, *, endpoint: str = ""
) -> None:
    """A server error may make someone write in, the planted bug most of all."""
    chance = 0.35 if error.needs_allergy else 0.02 if error.key == "llm-timeout" else 0.05
    if person.is_vip:
        chance *= 2
    if _quiet(person, at) or world.rng.random() >= chance:
        return
    facts = facts_for(world, person, at)
    feature, verb, gerund = FEATURES.get(error.key, ("the app", "use the app", "using the app"))
    facts.update(
        feature=feature.format(**facts),
        feature_verb=verb.format(**facts),
        feature_gerund=gerund.format(**facts),
        issue=error.issue_id,
    )
    priority = "high" if error.needs_allergy or error.level == "fatal" else None
    delay = timedelta(minutes=world.rng.randint(3, 600))
    ticket_open(world, person, "bug", at + delay, facts, priority=priority, feature=endpoint)


def after_payment_failure(
    world: "World", person: PersonSim, sub: SubState, decline: str, at: datetime
) -> None:
    chance = 0.5 if person.is_vip else 0.3
    if _quiet(person, at) or world.rng.random() >= chance:
        return
    facts = facts_for(world, person, at)
    facts["decline_human"] = DECLINE_HUMAN.get(decline, "declined")
    delay = timedelta(hours=world.rng.uniform(0.2, 40))
    ticket_open(
        world, person, "failed_payment", at + delay, facts, effect=("card_help", sub.sub_id)
    )


def after_charge(world: "World", person: PersonSim, sub: SubState, at: datetime) -> None:
    """After a successful charge: a surprised renewal, a suspected double charge, an invoice."""
    rng = world.rng
    if _quiet(person, at):
        return
    renewal = sub.trial_end is None or at - sub.started_at > timedelta(days=40)
    roll = rng.random()
    facts = None
    if sub.plan.is_annual and renewal and roll < 0.07:
        facts = facts_for(world, person, at)
        topic, effect = "unexpected_renewal", ("refund_cancel", sub.sub_id)
    elif roll < 0.003:
        facts = facts_for(world, person, at)
        topic, effect = "double_charge", None
    elif roll < 0.003 + (0.06 if person.country.vat_percent or sub.plan.is_annual else 0.02):
        facts = facts_for(world, person, at)
        topic, effect = "invoice_request", None
    if facts is not None:
        ticket_open(
            world, person, topic, at + timedelta(hours=rng.uniform(1, 72)), facts, effect=effect
        )


def weekly(world: "World", person: PersonSim, at: datetime) -> None:
    """Questions and requests that come up in ordinary weeks."""
    rng = world.rng
    if _quiet(person, at):
        return
    engaged = sigmoid(person.engagement(at))
    young = at - person.signup_at < timedelta(days=21)
    roll = rng.random()
    for topic, chance in (
        ("how_to", 0.018 if young else 0.001),
        ("feature_request", 0.005 * engaged),
        ("account_access", 0.0012),
        (
            "price_question",
            0.003 if person.sub is None or person.sub.status == "trialing" else 0.0005,
        ),
        ("email_preferences", 0.0012 if person.marketing_opt_in else 0.0),
        ("other", 0.0009),
        ("invoice_request", 0.008 if person.sub is not None and person.sub.is_paying else 0.0),
    ):
        if roll < chance:
            when = at + timedelta(hours=rng.uniform(0, 160))
            effect = ("unsubscribe", None) if topic == "email_preferences" else None
            ticket_open(world, person, topic, when, facts_for(world, person, at), effect=effect)
            return
        roll -= chance


def cancellation_ticket(world: "World", person: PersonSim, at: datetime, reason: str) -> None:
    """Someone asks support to cancel: a save offer, a refund, or a cancellation at period end."""
    rng, sub = world.rng, person.subscription
    if at >= world.horizon:
        return
    facts = facts_for(world, person, at)
    facts["reason_human"] = ticket_text.REASONS.get(reason, "")
    replies = ticket_phrasings.CANCELLATION_REPLIES
    paid_recently = sub.last_charge is not None and at - sub.last_charge[
        "attempted_at"
    ] < timedelta(days=14)
    after: list[tuple[str, Any]] = []
    effect_at = 0
    if not sub.plan.is_annual and rng.random() < 0.35:  # the offer is 30% off three months
        first = replies["offer"]
        if rng.random() < 0.3 + 0.4 * sigmoid(person.engagement(at)):
            mode = "saved"
            after = [
                ("customer", rng.choice(_STAYING)),
                ("agent", rng.choice(ticket_text.AGENT_CLOSING)),
            ]
        else:
            mode, effect_at = "period_end", 2
            after = [("customer", rng.choice(_LEAVING)), ("agent_reply", replies["period_end"])]
    elif paid_recently and rng.random() < 0.4:
        mode, first = "refund", replies["refund"]
    else:
        mode, first = "period_end", replies["period_end"]
    effect = ("cancel", (sub.sub_id, reason, mode))
    ticket_open(world, person, "cancellation", at, facts, effect=effect, first_reply=first,
                after=after, effect_at=effect_at)  # fmt: skip


_STAYING = ("Oh, that's kind. We'll stay then!", "ok, let's try a few more months", "Deal :)")
_LEAVING = ("No thanks, please just cancel.", "Thanks but no, cancel please.", "please cancel")


def _hours(world: "World", median: float, sigma: float = 0.9) -> timedelta:
    return timedelta(hours=median * math.exp(world.rng.gauss(0, sigma)))


# At "now" the team is behind (two agents out): what arrived in the last days waits longer, so
# the demo queue holds new, open and pending tickets of every age, some past their SLA.
BACKLOG_DAYS = 6
BACKLOG_SLOWER = 8.0


def _busy(world: "World", at: datetime, wait: timedelta) -> timedelta:
    """A reply's wait, longer when it falls in the backlog days before the horizon."""
    if at + wait >= world.horizon - timedelta(days=BACKLOG_DAYS):
        return wait * BACKLOG_SLOWER
    return wait


def _office_hours(world: "World", at: datetime) -> datetime:
    """The team answers from 07:00 to 23:00 UTC (Europe, then the Americas).

    Whatever arrives at night waits for the morning queue, worked through in a few hours.
    """
    if at.hour < 7:
        at = at.replace(hour=7, minute=0) + timedelta(minutes=world.rng.uniform(5, 180))
    return at


def ticket_open(
    world: "World",
    person: PersonSim,
    topic: str,
    at: datetime,
    facts: dict[str, str],
    *,
    priority: str | None = None,
    effect: tuple[str, Any] | None = None,
    first_reply: tuple[str, ...] | None = None,
    after: list[tuple[str, Any]] | None = None,
    effect_at: int = 0,
    feature: str = "",
) -> None:
    """Write a ticket and its conversation as it stands at the end of the simulation.

    The first agent reply answers the customer's intent (or `first_reply`); `after` scripts
    the rest (default: a few rounds ending in thanks); `effect` happens when message
    number `effect_at` (0: the first reply) is sent. `feature` is the endpoint that failed
    (bug tickets); with the priority and the topic it is the ticket's truth (`TicketTruth`).
    """
    if at >= world.horizon or person.status != "active":
        return
    rng = world.rng
    person.ticket_quiet_until = at + timedelta(days=10)
    category = CATEGORY.get(topic, topic)
    priority = priority or PRIORITY[topic]
    if person.is_vip:
        priority = _BUMP[priority]
    channel = rng.choices(("email", "web", "chat", "in_app"), weights=(50, 25, 17, 8))[0]
    agents = world.billing_agents if category == "billing" else world.support_agents
    agent: Agent = rng.choice(agents)
    subject, body, intent = ticket_text.ticket_text(rng, topic, facts)
    rest: list[tuple[str, Any]] = (
        ticket_text.conversation(rng, rng.choices((0, 1, 2, 3), weights=(55, 30, 12, 3))[0])
        if after is None
        else after
    )
    speed = 0.08 if channel == "chat" else 1.0
    wait = _hours(world, _FIRST_REPLY_HOURS[priority] * speed)
    last = _office_hours(world, at + _busy(world, at, wait))
    first = ticket_text.agent_reply(rng, first_reply or intent.replies, facts, agent.name)
    script = [(last, "agent", first, False)]
    if rng.random() < 0.15 and topic in ("failed_payment", "bug", "double_charge"):
        note = f"Checked Stripe: last charge on card ending {facts.get('last4', '?')}."
        if topic == "bug":
            note = f"Same as Sentry issue {facts.get('issue', '?')}; engineering knows."
        script.append((last + timedelta(minutes=2), "agent", note, True))
    for author, content in rest:
        if author == "customer":
            last = last + _hours(world, 5.0)
        else:
            last = _office_hours(world, last + _busy(world, last, _hours(world, 3.0)))
        text = str(content)
        if author == "agent_reply":  # a full answer, picked from the given phrasings
            author, text = "agent", ticket_text.agent_reply(rng, content, facts, agent.name)
        script.append((last, author, text, False))
    if effect is not None:
        public = [moment for moment, _, _, internal in script if not internal]
        person.schedule(public[min(effect_at, len(public) - 1)], "ticket_effect", effect)
    ticket_id = _ticket_write(world, person, topic, at, script, subject=subject, body=body,
                              channel=channel, priority=priority, category=category,
                              agent=agent)  # fmt: skip
    world.ticket_truth[ticket_id] = TicketTruth(
        severity=priority,
        is_blocking=topic in BLOCKING_TOPICS,
        feature=feature if topic == "bug" and feature else None,
    )


def _ticket_write(
    world: "World",
    person: PersonSim,
    topic: str,
    at: datetime,
    script: list[tuple[datetime, str, str, bool]],
    **fields: Any,
) -> str:
    rng, agent = world.rng, fields.pop("agent")
    ticket_id = f"zd-{world.next_ticket_number()}"
    visible = [m for m in script if m[0] < world.horizon]
    status, resolved_at = _status_at_end(world, visible, script[-1][0], len(script))
    row: dict[str, Any] = {
        "external_id": ticket_id,
        "_requester": person.external_id,
        **fields,
        "status": status,
        "assignee_id": agent.user_id if visible else None,
        "created_at": at,
        "updated_at": visible[-1][0] if visible else at,
        "resolved_at": resolved_at,
    }
    if resolved_at is not None and rng.random() < 0.4:
        rating = _rating(world, script[0][0] - at, topic)
        rated_at = resolved_at + _hours(world, 10.0)
        if rated_at < world.horizon:
            comment = rng.choice(ticket_text.CSAT_COMMENTS[rating])
            row.update(satisfaction_rating=rating, satisfaction_comment=comment, rated_at=rated_at)
            person.boost += 0.1 if rating >= 4 else -0.15
    world.batch.tickets.append(row)
    for number, (when, author, text, internal) in enumerate(visible, start=1):
        world.batch.ticket_messages.append(
            {
                "external_id": f"{ticket_id}-{number}",
                "_ticket": ticket_id,
                "author_kind": author,
                "author_user_id": agent.user_id if author == "agent" else None,
                "body": text,
                "is_internal": internal,
                "created_at": when,
            }
        )
    return ticket_id


def _status_at_end(
    world: "World", visible: list[tuple[datetime, str, str, bool]], solved_at: datetime, total: int
) -> tuple[str, datetime | None]:
    if not visible:
        return "new", None
    if len(visible) == total:
        if solved_at + timedelta(days=4) < world.horizon:
            return "closed", solved_at
        return "solved", solved_at
    return ("open" if visible[-1][1] == "customer" else "pending"), None


def _rating(world: "World", first_reply: timedelta, topic: str) -> int:
    weights = [11, 7, 10, 20, 52]  # 1..5 stars
    if first_reply > timedelta(hours=24):
        weights = [22, 14, 16, 20, 28]
    if topic in ("unexpected_renewal", "failed_payment", "double_charge"):
        weights = [w + s for w, s in zip(weights, (6, 4, 2, 0, -6), strict=True)]
    return world.rng.choices((1, 2, 3, 4, 5), weights=weights)[0]
