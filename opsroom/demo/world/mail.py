"""Emails Little Bites sends: templates, sequences, and what became of each message."""

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from opsroom.demo.world.catalog import APP_DOMAIN
from opsroom.demo.world.state import Enrollment, PersonSim, sigmoid

if TYPE_CHECKING:
    from opsroom.demo.world.context import World

# key: (name, category, subject, body)
TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    "welcome": (
        "Welcome", "lifecycle", "Welcome to Little Bites, {{ first_name }}!",
        "Hi {{ first_name }},\n\nWelcome to Little Bites! Tell us what your kids love (and what "
        "they push away) and we will plan a week of dinners the whole table can share.\n\n"
        "Start here: https://littlebites.app/plan\n\nThe Little Bites team",
    ),
    "onboarding_first_plan": (
        "Onboarding: first plan", "lifecycle", "Plan your first week in 5 minutes",
        "Hi {{ first_name }},\n\nPick five dinners, tap 'Make my list', done. Most families "
        "finish their first plan in under five minutes.\n\nThe Little Bites team",
    ),
    "onboarding_picky_eaters": (
        "Onboarding: picky eaters", "lifecycle", "3 tricks for picky eaters (that actually work)",
        "Hi {{ first_name }},\n\n1. Serve one safe food with every new one.\n2. Let them help "
        "cook.\n3. Log each try: it takes 10-15 tastes before a food is accepted.\n\n"
        "The Little Bites team",
    ),
    "onboarding_templates": (
        "Onboarding: templates", "lifecycle", "No time to plan? Start from a template",
        "Hi {{ first_name }},\n\nOur meal plan templates give you a ready week in one tap: "
        "picky-eater starter, batch-cook Sunday, budget week and more.\n\nThe Little Bites team",
    ),
    "trial_ending": (
        "Trial ending", "transactional", "Your Little Bites trial ends in 3 days",
        "Hi {{ first_name }},\n\nYour free trial of {{ plan }} ends on {{ trial_end }}. We will "
        "charge your card then; you can cancel any time before in Settings > Subscription.",
    ),
    "payment_receipt": (
        "Payment receipt", "transactional", "Your Little Bites receipt [{{ number }}]",
        "Hi {{ first_name }},\n\nThanks! We received {{ amount }} for {{ plan }}.\n"
        "Invoice {{ number }}: {{ url }}",
    ),
    "card_expiring": (
        "Card expiring", "transactional", "Your card ending in {{ last4 }} expires soon",
        "Hi {{ first_name }},\n\nThe card we charge for {{ plan }} expires at the end of the "
        "month. Update it in a minute: https://littlebites.app/billing",
    ),
    "payment_failed": (
        "Dunning: payment failed", "dunning", "We couldn't process your payment",
        "Hi {{ first_name }},\n\nYour payment of {{ amount }} for {{ plan }} didn't go through "
        "({{ reason }}). We'll try again in a few days, or you can update your card now: "
        "https://littlebites.app/billing",
    ),
    "update_card_reminder": (
        "Dunning: update card", "dunning", "Action needed: please update your card",
        "Hi {{ first_name }},\n\nWe still couldn't charge your card for {{ plan }}. Update it to "
        "keep your meal plans and saved recipes: https://littlebites.app/billing",
    ),
    "final_notice": (
        "Dunning: final notice", "dunning", "Last chance to keep your Little Bites plan",
        "Hi {{ first_name }},\n\nThis is our last reminder: unless the payment goes through in "
        "the next few days, your {{ plan }} subscription will be canceled.",
    ),
    "winback_miss_you": (
        "Win-back: we miss you", "marketing", "We miss you at the table, {{ first_name }}",
        "Hi {{ first_name }},\n\nA lot changed since you left: meal plan templates, a smarter "
        "recipe page and 300 new kid-tested recipes. Come have a look: https://littlebites.app",
    ),
    "winback_offer": (
        "Win-back: offer", "marketing", "50% off for 3 months, just for you",
        "Hi {{ first_name }},\n\nCome back to Little Bites Premium at half price for three "
        "months with code COMEBACK50: https://littlebites.app/comeback",
    ),
    "retention_checkin": (
        "Retention: check-in", "lifecycle", "Can we help, {{ first_name }}?",
        "Hi {{ first_name }},\n\nWe noticed you have not planned a week in a while. Is something "
        "in the way? Reply to this email and a real person will help: picky eaters, busy weeks, "
        "anything.\n\nThe Little Bites team",
    ),
    "retention_templates_nudge": (
        "Retention: templates nudge", "lifecycle", "A ready week in one tap",
        "Hi {{ first_name }},\n\nNo time to plan? Start from a meal plan template: picky-eater "
        "starter, batch-cook Sunday, budget week. https://littlebites.app/templates\n\n"
        "The Little Bites team",
    ),
    "annual_upsell": (
        "Upsell: annual plan", "marketing", "Two months free with the annual plan",
        "Hi {{ first_name }},\n\nYou plan with us every week: switch to yearly billing and get "
        "two months free. https://littlebites.app/billing/annual\n\nThe Little Bites team",
    ),
    "newsletter_monthly": (
        "Monthly newsletter", "marketing", "New this month: {{ headline }}",
        "Hi {{ first_name }},\n\n{{ headline }}. Plus five new five-ingredient dinners.\n\n"
        "Unsubscribe: https://littlebites.app/email-preferences",
    ),
}  # fmt: skip

SEQUENCES: dict[str, tuple[str, str, list[tuple[str, int]]]] = {
    "onboarding": (
        "Onboarding",
        "New families: first plan, picky-eater tips, templates.",
        [
            ("welcome", 0),
            ("onboarding_first_plan", 1),
            ("onboarding_picky_eaters", 3),
            ("onboarding_templates", 7),
        ],
    ),
    "dunning": (
        "Dunning",
        "A payment failed: tell them, remind them to update the card, final notice.",
        [("payment_failed", 0), ("update_card_reminder", 3), ("final_notice", 10)],
    ),
    "winback": (
        "Win-back",
        "After a subscription ends: what's new, then an offer.",
        [("winback_miss_you", 7), ("winback_offer", 30)],
    ),
}
HEADLINES = (
    "Meal plan templates are here",
    "Lunchbox ideas for back-to-school",
    "Sneaky veggies: 12 recipes kids ask for again",
    "Batch-cook Sunday, relax all week",
    "Holiday dinners without the drama",
    "Our smarter recipe page",
    "Spring greens, toddler-approved",
    "The AI feeding coach got better",
)
_OPEN_RATE = {"transactional": 0.55, "lifecycle": 0.42, "dunning": 0.5, "marketing": 0.2}


def template_rows() -> list[dict[str, Any]]:
    return [
        {"key": key, "name": name, "category": category, "subject": subject, "body_text": body}
        for key, (name, category, subject, body) in TEMPLATES.items()
    ]


def sequence_rows() -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "name": name,
            "description": description,
            "steps": [{"template": template, "delay_days": delay} for template, delay in steps],
        }
        for key, (name, description, steps) in SEQUENCES.items()
    ]


def _render(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{{ " + name + " }}", value)
    return text


def send(
    world: "World",
    person: PersonSim,
    template: str,
    at: datetime,
    *,
    sequence: str | None = None,
    values: dict[str, str] | None = None,
) -> str:
    """Send one email; returns its furthest status (delivered, opened, clicked, bounced...)."""
    if at >= world.horizon or person.status != "active":
        return ""
    rng = world.rng
    _, category, subject, body = TEMPLATES[template]
    context = {"first_name": person.first_name}
    context.update(values or {})
    row: dict[str, Any] = {
        "provider_message_id": f"<{world.ids.hex(96)}@mail.{APP_DOMAIN}>",
        "_person": person.external_id,
        "to_email": person.email,
        "_template": template,
        "_sequence": sequence,
        "subject": _render(subject, context)[:300],
        "body_text": _render(body, context),
        "status": "sent",
        "created_at": at,
        "sent_at": at,
    }
    world.batch.emails.append(row)
    if person.email_bounces:
        row.update(status="bounced", bounced_at=at + timedelta(seconds=rng.randint(2, 90)))
        return "bounced"
    delivered = at + timedelta(seconds=rng.randint(2, 120))
    if delivered >= world.horizon or rng.random() < 0.01:
        return "sent"
    row.update(status="delivered", delivered_at=delivered)
    engaged = sigmoid(person.engagement(at) + 1)
    if rng.random() >= _OPEN_RATE[category] * (0.5 + engaged):
        if category == "marketing" and rng.random() < 0.002:
            row.update(status="complained", complained_at=delivered + timedelta(hours=3))
            return "complained"
        return "delivered"
    opened = delivered + timedelta(minutes=math.exp(rng.gauss(4.5, 1.4)))
    if opened >= world.horizon:
        return "delivered"
    row.update(status="opened", opened_at=opened)
    if rng.random() >= 0.3:
        return "opened"
    clicked = opened + timedelta(seconds=rng.randint(4, 300))
    if clicked >= world.horizon:
        return "opened"
    row.update(status="clicked", clicked_at=clicked)
    return "clicked"


def enroll(world: "World", person: PersonSim, sequence: str, at: datetime) -> None:
    """Start a sequence for a person (one active enrolment per sequence)."""
    if sequence in person.enrollments or (person.email_bounces and sequence != "dunning"):
        return
    enrollment = Enrollment(sequence=sequence, enrolled_at=at)
    person.enrollments[sequence] = enrollment
    _schedule_next(person, enrollment)


def _schedule_next(person: PersonSim, enrollment: Enrollment) -> None:
    steps = SEQUENCES[enrollment.sequence][2]
    if enrollment.steps_sent >= len(steps):
        enrollment.next_step_at = None
        return
    delay = steps[enrollment.steps_sent][1]
    enrollment.next_step_at = enrollment.enrolled_at + timedelta(days=delay, minutes=7)
    person.schedule(enrollment.next_step_at, "sequence_step", enrollment.sequence)


def step_due(
    world: "World", person: PersonSim, sequence: str, at: datetime, values: dict[str, str]
) -> str:
    """Send the next step of a sequence; finish the enrolment after the last one."""
    enrollment = person.enrollments.get(sequence)
    if enrollment is None or enrollment.next_step_at != at:
        return ""
    template = SEQUENCES[sequence][2][enrollment.steps_sent][0]
    status = send(world, person, template, at, sequence=sequence, values=values)
    enrollment.steps_sent += 1
    _schedule_next(person, enrollment)
    if enrollment.next_step_at is None:
        finish(world, person, sequence, at, reason="")
    return status


def finish(world: "World", person: PersonSim, sequence: str, at: datetime, *, reason: str) -> None:
    """End an enrolment: completed (no reason) or exited early (with the reason)."""
    enrollment = person.enrollments.pop(sequence, None)
    if enrollment is None:
        return
    world.batch.enrollments.append(
        {
            "_person": person.external_id,
            "_sequence": sequence,
            "status": "exited" if reason else "completed",
            "steps_sent": enrollment.steps_sent,
            "enrolled_at": enrollment.enrolled_at,
            "next_step_at": None,
            "finished_at": at,
            "exit_reason": reason,
        }
    )


def still_active_rows(person: PersonSim) -> list[dict[str, Any]]:
    """Enrolments still running when the simulation ends."""
    return [
        {
            "_person": person.external_id,
            "_sequence": enrollment.sequence,
            "status": "active",
            "steps_sent": enrollment.steps_sent,
            "enrolled_at": enrollment.enrolled_at,
            "next_step_at": enrollment.next_step_at,
        }
        for enrollment in person.enrollments.values()
    ]
