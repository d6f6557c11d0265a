"""Tickets asking whether a feature is on the family's plan ("Is the food log included in
Premium?"), answered from the catalog's FEATURES: the questions the feature-availability
automation handles.

They come from their own random stream and ticket numbers (`zd-fq-<n>`) and change nothing
about the person (no quiet period, no mood, no agenda), so adding them left every other row
of the demo world as it was.
"""

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from opsroom.demo.world import support, ticket_text
from opsroom.demo.world.catalog import FEATURES, PLANS
from opsroom.demo.world.records import TicketTruth
from opsroom.demo.world.state import PersonSim

if TYPE_CHECKING:
    from opsroom.demo.world.context import World

# How each feature is called in a question: each names it by one of its catalog aliases (whole
# words), and no other feature's.
CALLED = {
    "meal-plans": ("the weekly meal plans", "meal plans", "the meal plan"),
    "print-pdf": ("printing", "the PDF export", "a PDF of the week"),
    "allergy-filter": ("the allergy filter", "allergy settings"),
    "food-log-per-child": ("the food log", "a food log per child", "food log"),
    "shared-grocery-list": ("the shared grocery list", "a shopping list we both see"),
    "ai-coach": ("the AI coach", "the coach"),
}
SUBJECTS = (
    "Is {feature} included in my plan?", "{feature} on my plan?", "Question about {feature}",
    "Do I get {feature}?", "Which plan has {feature}?", "is {feature} available for us",
    "Plan question", "Before I upgrade",
)  # fmt: skip
BODIES = (
    "Is {feature} included in my {plan} plan? I couldn't find it in the app.",
    "Do we get {feature} on {plan}, or do we need to upgrade for it?",
    "Quick question: is {feature} available on my plan? We would use it every week.",
    "Does my plan include {feature}? A friend has it and I can't see it anywhere.",
    "Can I use {feature} with my current subscription ({plan})?",
    "which plan comes with {feature}? thinking about switching",
    "I'm on {plan}. Is {feature} part of it or is that extra?",
    "We just signed up. Do we have access to {feature} or is it only on another plan?",
)
YES = (
    "Yes: {name} is included in your {plan} plan. {where}",
    "Good news, {name} is part of {plan}. {where}",
)
NO = (
    "{name} isn't part of {plan}; it comes with {plans}. You can change your plan any time "
    "in Settings > Subscription and it's there right away.",
    "Not on {plan}, I'm afraid: {name} is included with {plans}. Switching plans takes a "
    "minute in Settings > Subscription, and we credit what's left of this period.",
)
_PLAN_NAMES = {"premium": "Premium", "family": "Family", "free": "Free"}
_LIVE = ("trialing", "active", "past_due", "unpaid")
CHANCE = 0.0025  # a week, per family; twice that before they pay (free or trialing)


def _hours(world: "World", median: float, sigma: float = 0.9) -> timedelta:
    return timedelta(hours=median * math.exp(world.feature_rng.gauss(0, sigma)))


def _office_hours(world: "World", at: datetime) -> datetime:
    if at.hour < 7:
        at = at.replace(hour=7, minute=0) + timedelta(minutes=world.feature_rng.uniform(5, 180))
    return at


def _plans_text(plans: list[str]) -> str:
    names = [_PLAN_NAMES.get(p, p) for p in plans]
    return " and ".join(names) if len(names) <= 2 else ", ".join(names)


def weekly(world: "World", person: PersonSim, at: datetime) -> None:
    """Now and then a family asks whether a feature is on their plan."""
    rng = world.feature_rng
    sub = person.sub
    paying = sub is not None and sub.status in ("active", "past_due")
    if rng.random() >= (CHANCE if paying else 2 * CHANCE):
        return
    when = at + timedelta(hours=rng.uniform(0, 160))
    if when >= world.horizon or person.status != "active":
        return
    feature = rng.choice(FEATURES)
    live = sub is not None and sub.status in _LIVE
    plan = sub.plan if live and sub is not None else PLANS[0]
    plans = list(feature["plans"])
    included = not plans or plan.tier in plans or plan.code in plans
    facts = {"feature": rng.choice(CALLED[feature["key"]]), "plan": plan.name}
    subject = rng.choice(SUBJECTS).format(**facts)
    subject = subject[0].upper() + subject[1:]
    body = rng.choice(BODIES).format(**facts)
    if rng.random() < 0.3:
        body = ticket_text.typos(rng, body)
    greeting = rng.choice(ticket_text.GREETINGS)
    signoff = rng.choice(ticket_text.SIGNOFFS).format(first=person.first_name, name=person.name)
    body = "\n\n".join(part for part in (greeting, body, signoff) if part)
    answer = rng.choice(YES if included else NO).format(
        name=feature["name"], plan=plan.name, where=feature["where"], plans=_plans_text(plans)
    )
    _write(world, person, when, subject=subject, body=body, answer=answer)


def _write(
    world: "World", person: PersonSim, at: datetime, *, subject: str, body: str, answer: str
) -> None:
    rng = world.feature_rng
    agent = rng.choice(world.support_agents)
    priority = "normal" if person.is_vip else "low"
    channel = rng.choices(("email", "web", "chat", "in_app"), weights=(50, 25, 17, 8))[0]
    speed = 0.08 if channel == "chat" else 1.0
    wait = _hours(world, support._FIRST_REPLY_HOURS[priority] * speed)
    last = _office_hours(world, at + support._busy(world, at, wait))
    opening = rng.choice((f"Hi {person.first_name},", f"Hello {person.first_name},", "Hi there,"))
    first = f"{opening}\n\n{answer}\n\n{agent.name}\nLittle Bites Support"
    script = [(last, "agent", first, False)]
    for author, text in ticket_text.conversation(rng, rng.choices((0, 1), weights=(70, 30))[0]):
        if author == "customer":
            last = last + _hours(world, 5.0)
        else:
            last = _office_hours(world, last + support._busy(world, last, _hours(world, 3.0)))
        script.append((last, author, text, False))
    world.feature_tickets += 1
    ticket_id = f"zd-fq-{world.feature_tickets}"
    visible = [m for m in script if m[0] < world.horizon]
    status, resolved_at = support._status_at_end(world, visible, script[-1][0], len(script))
    row: dict[str, Any] = {
        "external_id": ticket_id,
        "_requester": person.external_id,
        "subject": subject[:300],
        "body": body,
        "channel": channel,
        "priority": priority,
        "category": "how_to",
        "status": status,
        "assignee_id": agent.user_id if visible else None,
        "created_at": at,
        "updated_at": visible[-1][0] if visible else at,
        "resolved_at": resolved_at,
    }
    if resolved_at is not None and rng.random() < 0.4:
        rating = rng.choices((3, 4, 5), weights=(10, 30, 60))[0]
        rated_at = resolved_at + _hours(world, 10.0)
        if rated_at < world.horizon:
            comment = rng.choice(ticket_text.CSAT_COMMENTS[rating])
            row.update(satisfaction_rating=rating, satisfaction_comment=comment, rated_at=rated_at)
    world.batch.tickets.append(row)
    # A question, never blocking; the catalog feature it names is not an endpoint that failed.
    world.ticket_truth[ticket_id] = TicketTruth(severity=priority, is_blocking=False, feature=None)
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
